"""Scored customer linking: candidates, scoring, threshold, ambiguity, consent and feedback."""

from __future__ import annotations

import pytest

from core.customer_keys import author_keys
from core.models import Author, Consent, Contact, Customer, Handle, RawMention
from nlp.linking import CustomerDirectory, CustomerLinker, InMemoryCustomerDirectory
from nlp.linking.candidates import CandidateFinder, order_numbers_in
from nlp.linking.feedback import InMemoryFeedbackStore, LinkFeedbackStore
from nlp.linking.linker import ScoredLinker
from nlp.linking.scorer import name_similarity
from nlp.testing import raw_mention

CONSENT = Consent(profiling=True)
ANA = Customer(
    code="C001",
    name="Ana Lima",
    consent=CONSENT,
    city="Lisbon",
    country="PT",
    handles=(
        Handle(platform="demo", handle="ana_l", user_id="u1"),
        Handle(platform="twitter", handle="analima"),
    ),
    contacts=(
        Contact(kind="email", value="ana.lima@example.com"),
        Contact(kind="phone", value="+86 138 0013 8000"),
    ),
)
BO = Customer(
    code="C002",
    name="Bo Chen",
    consent=CONSENT,
    handles=(Handle(platform="demo", handle="bochen", user_id="u2"),),
    contacts=(Contact(kind="email", value="bo@example.com"),),
)
TWIN = Customer(
    code="C003", name="Bo Chan", consent=CONSENT, handles=(Handle(platform="demo", handle="bochen"),)
)
WANG = Customer(
    code="C004",
    name="王小明",
    consent=CONSENT,
    city="上海",
    handles=(Handle(platform="weibo", handle="xiaoming"),),
)
PRIVATE = Customer(
    code="C005", name="Cy Private", handles=(Handle(platform="demo", handle="cy", user_id="u3"),)
)


def directory(*customers: Customer) -> InMemoryCustomerDirectory:
    found = InMemoryCustomerDirectory()
    for customer in customers:
        found.add(customer, order_numbers=("A12345",) if customer is ANA else ())
    return found


@pytest.fixture
def linker() -> ScoredLinker:
    return ScoredLinker(directory(ANA, BO, WANG, PRIVATE), feedback=InMemoryFeedbackStore())


def mention(text: str = "hi", platform: str = "demo", n: int = 0, **author: str) -> RawMention:
    who = Author(platform=platform, **author) if author else None
    return raw_mention(text, n, platform=platform, author=who)


def test_protocols(linker: ScoredLinker) -> None:
    assert isinstance(linker, CustomerLinker)
    assert isinstance(InMemoryCustomerDirectory(), CustomerDirectory)
    assert isinstance(InMemoryFeedbackStore(), LinkFeedbackStore)


def test_exact_keys_keep_their_method(linker: ScoredLinker) -> None:
    by_id = linker.link(mention(native_id="u1", handle="bochen"))
    assert by_id is not None
    assert (by_id.customer_id, by_id.confidence, by_id.method) == (ANA.id, 1.0, "platform_user_id")
    by_handle = linker.link(mention(handle="@Ana_L"))
    assert by_handle is not None
    assert (by_handle.customer_id, by_handle.method) == (ANA.id, "handle")
    assert 0.85 < by_handle.confidence < 0.99  # the handle looks like the name: a little more
    by_email = linker.link(mention("write to ANA.LIMA@example.com"))
    assert by_email is not None
    assert (by_email.customer_id, by_email.confidence, by_email.method) == (ANA.id, 0.8, "email")
    assert by_email.evidence == ("email a***@example.com in text",)


def test_soft_signals_link_a_handle_from_another_platform(linker: ScoredLinker) -> None:
    # the handle alone (0.35) is too weak ...
    assert linker.link(mention(platform="reddit", handle="analima_x")) is None
    bare = linker.link(mention(platform="reddit", handle="xiaoming"))
    assert bare is None
    # ... the display name, the location and the profile make it
    link = linker.link(
        mention(
            platform="reddit",
            handle="xiaoming",
            display_name="王小明",
            location="中国上海",
            profile_text="hi",
        )
    )
    assert link is not None
    assert (link.customer_id, link.method) == (WANG.id, "scored")
    assert link.confidence >= 0.75
    assert link.evidence[0] == "handle @xiaoming on another platform"
    assert any("display name" in e for e in link.evidence)
    assert any("上海" in e for e in link.evidence)


def test_order_numbers_in_text() -> None:
    assert order_numbers_in("where is #A12345??") == ["A12345"]
    assert order_numbers_in("Order no. 1234567 never came") == ["1234567"]
    assert order_numbers_in("订单号：1234567 还没发货") == ["1234567"]
    assert order_numbers_in("訂單編號 A-123456") == ["A123456"]
    assert order_numbers_in("#2026 #blessed order 12 on 2026-11-01") == []
    found = CandidateFinder(directory(ANA)).find(mention("订单号 A12345 还没到"))
    assert [(c.customer.code, [h.kind for h in c.hits]) for c in found] == [("C001", ["order_number"])]


def test_an_order_number_alone_is_below_the_threshold_but_with_a_name_links(linker: ScoredLinker) -> None:
    assert linker.link(mention("where is #A12345")) is None  # 0.7: anybody can quote an order
    link = linker.link(mention("where is #A12345", handle="someone", display_name="Ana Lima"))
    assert link is not None
    assert (link.customer_id, link.method) == (ANA.id, "scored")
    lowered = ScoredLinker(directory(ANA), threshold=0.6)
    by_order = lowered.link(mention("where is #A12345"))
    assert by_order is not None
    assert (by_order.method, by_order.confidence) == ("order_number", 0.7)


def test_the_display_name_breaks_a_tie_between_holders_of_a_handle() -> None:
    linker = ScoredLinker(directory(BO, TWIN))
    assert linker.link(mention(handle="bochen")) is None  # two customers, the same evidence
    link = linker.link(mention(handle="bochen", display_name="Bo Chen"))
    assert link is None  # 'Bo Chen' and 'Bo Chan' are too alike to tell apart
    link = linker.link(mention("mail me: bo@example.com", handle="bochen"))
    assert link is not None
    assert (link.customer_id, link.method) == (BO.id, "handle")


def test_a_clearly_different_display_name_lowers_confidence(linker: ScoredLinker) -> None:
    link = linker.link(mention(handle="ana_l", display_name="Zygmunt Wróblewski"))
    assert link is not None
    assert link.confidence == pytest.approx(0.85 * 0.9)
    assert link.evidence[-1] == "display name 'Zygmunt Wróblewski' unlike 'Ana Lima'"
    strict = ScoredLinker(directory(ANA), threshold=0.8)
    assert strict.link(mention(handle="ana_l", display_name="Zygmunt Wróblewski")) is None


def test_consent_is_required(linker: ScoredLinker) -> None:
    assert linker.link(mention(native_id="u3", handle="cy")) is None
    loose = ScoredLinker(directory(PRIVATE), require_consent=False)
    assert loose.link(mention(native_id="u3")) is not None


def test_rejected_pairs_never_link_again(linker: ScoredLinker) -> None:
    feedback = linker.feedback
    assert feedback is not None
    first = mention(native_id="u1", handle="ana_l")
    feedback.record_feedback(author_keys(first)[0], ANA.id, "reject")
    assert linker.link(first) is None
    assert linker.link(mention("again, ana.lima@example.com", n=1, native_id="u1")) is None
    # the handle key is another author key: feedback given on it holds for mentions without the id
    feedback.record_feedback("demo:@ana_l", ANA.id, "reject")
    assert linker.link(mention(n=2, handle="ana_l")) is None
    assert linker.link(mention(n=3, handle="bochen")) is not None  # other customers still link


def test_confirmed_pairs_link_manually(linker: ScoredLinker) -> None:
    feedback = linker.feedback
    assert feedback is not None
    stranger = mention("love it", platform="reddit", handle="quiet_one")
    assert linker.link(stranger) is None
    feedback.record_feedback(author_keys(stranger)[0], BO.id, "confirm")
    link = linker.link(mention("again", platform="reddit", n=1, handle="Quiet_One"))
    assert link is not None
    assert (link.customer_id, link.confidence, link.method) == (BO.id, 1.0, "manual")
    assert link.evidence == ("confirmed for reddit:@quiet_one",)
    feedback.record_feedback("reddit:@quiet_one", BO.id, "reject")  # changed their mind: newest wins
    assert linker.link(stranger) is None
    feedback.record_feedback("reddit:@quiet_one", PRIVATE.id, "confirm")
    assert linker.link(stranger) is None  # confirmed, but no consent to profiling


def test_threshold_is_validated() -> None:
    with pytest.raises(ValueError, match="threshold"):
        ScoredLinker(directory(), threshold=0)


def test_name_similarity() -> None:
    assert name_similarity("analima", "Ana Lima") == 1.0
    assert name_similarity("LIMA, Ana", "Ana Lima") == 1.0
    assert name_similarity("Ána Límа", "Ana Lima") > 0.8  # accents (and a Cyrillic а) barely matter
    assert name_similarity("王小明", "王 小明") == 1.0
    assert name_similarity("Zygmunt", "Ana Lima") < 0.35
    assert name_similarity("", "Ana") == 0.0

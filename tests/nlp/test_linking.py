"""Deterministic customer linking over the in-memory directory."""

from __future__ import annotations

import pytest

from core.models import Author, Consent, Contact, Customer, Handle, RawMention
from nlp.linking import CustomerDirectory, CustomerLinker, DeterministicLinker, InMemoryCustomerDirectory
from nlp.testing import raw_mention

CONSENT = Consent(profiling=True)
ANA = Customer(
    code="C001",
    name="Ana Lima",
    consent=CONSENT,
    handles=(
        Handle(platform="demo", handle="@Ana_L", user_id="u1"),
        Handle(platform="twitter", handle="analima"),
    ),
    contacts=(
        Contact(kind="email", value="Ana.Lima@Example.com"),
        Contact(kind="phone", value="+86 138-0013-8000"),
    ),
)
BO = Customer(
    code="C002",
    name="Bo Chen",
    consent=CONSENT,
    handles=(Handle(platform="demo", handle="bochen", user_id="u2"),),
    contacts=(Contact(kind="email", value="bo@example.com"),),
)
NO_CONSENT = Customer(
    code="C003",
    name="Cy Private",
    handles=(Handle(platform="demo", handle="cy", user_id="u3"),),
    contacts=(Contact(kind="email", value="cy@example.com"),),
)
SHARED = Customer(
    code="C004", name="Shared Handle", consent=CONSENT, handles=(Handle(platform="demo", handle="bochen"),)
)


@pytest.fixture
def linker() -> DeterministicLinker:
    return DeterministicLinker(InMemoryCustomerDirectory([ANA, BO, NO_CONSENT]))


def mention(text: str, author: Author | None = None, platform: str = "demo") -> RawMention:
    return raw_mention(text, platform=platform, author=author)


def by(handle: str | None = None, user_id: str | None = None, platform: str = "demo") -> Author:
    return Author(platform=platform, handle=handle, native_id=user_id)


def test_protocols() -> None:
    directory = InMemoryCustomerDirectory()
    assert isinstance(directory, CustomerDirectory)
    assert isinstance(DeterministicLinker(directory), CustomerLinker)


def test_platform_user_id_wins(linker: DeterministicLinker) -> None:
    # the handle says Bo, the stable user id says Ana: the id is the stronger evidence
    link = linker.link(mention("hi", by("bochen", "u1")))
    assert link is not None
    assert (link.customer_id, link.confidence, link.method) == (ANA.id, 1.0, "platform_user_id")
    assert link.evidence == ("demo user id u1",)


def test_handle_on_the_same_platform(linker: DeterministicLinker) -> None:
    link = linker.link(mention("hi", by("@ANA_l")))
    assert link is not None
    assert (link.customer_id, link.confidence, link.method) == (ANA.id, 0.9, "handle")
    assert linker.link(mention("hi", by("ana_l", platform="reddit"), platform="reddit")) is None


def test_email_and_phone_in_text(linker: DeterministicLinker) -> None:
    link = linker.link(mention("Order lost! Reach me at ana.lima@example.com please"))
    assert link is not None
    assert (link.customer_id, link.confidence, link.method) == (ANA.id, 0.8, "email")
    assert link.evidence == ("email a***@example.com in text",)  # evidence is stored: masked
    phone = linker.link(mention("call me on +86 138 0013 8000"))
    assert phone is not None
    assert (phone.customer_id, phone.method) == (ANA.id, "phone")
    assert phone.evidence == ("phone *********8000 in text",)
    both = linker.link(mention("ana.lima@example.com / 8613800138000"))
    assert both is not None
    assert both.method == "email"
    assert len(both.evidence) == 2


def test_ambiguous_matches_link_nobody(linker: DeterministicLinker) -> None:
    assert linker.link(mention("cc ana.lima@example.com and bo@example.com")) is None
    shared = DeterministicLinker(InMemoryCustomerDirectory([ANA, BO, SHARED]))
    # two customers claim the handle: no handle link, but the email in the text still decides
    assert shared.link(mention("hi", by("bochen"))) is None
    link = shared.link(mention("I am bo@example.com", by("bochen")))
    assert link is not None
    assert (link.customer_id, link.method) == (BO.id, "email")


def test_customers_without_consent_are_never_linked(linker: DeterministicLinker) -> None:
    assert linker.link(mention("hi", by("cy", "u3"))) is None
    assert linker.link(mention("mail cy@example.com")) is None
    unguarded = DeterministicLinker(InMemoryCustomerDirectory([NO_CONSENT]), require_consent=False)
    assert unguarded.link(mention("hi", by("cy"))) is not None


def test_nothing_to_go_on(linker: DeterministicLinker) -> None:
    assert linker.link(mention("no author, no contact, order 2026-11-01")) is None
    assert linker.link(mention("hi", by("stranger", "u999"))) is None

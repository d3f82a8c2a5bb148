"""The alert pages as HTML through the real app (TestClient): the inbox with each alert's explanation,
nothing a user typed rendered as markup, the htmx actions and their refusals, the page's event stream,
the rules page (switches, adding rules from YAML with located errors), and who sees what."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from alerts.channels.base import Severity
from alerts.inbox import Alert, AlertStatus, CustomerSummary, Explanation
from alerts.rules import KINDS
from alerts.store import AlertStores, build_alert_stores
from alerts.store_testing import make_alert, make_rule
from api.accounts.models import Role
from api.testing import add_user, signed_in
from api.web.i18n import labels
from api.web.pages.alerts import highlighted
from core.models import DEFAULT_WORKSPACE
from core.settings import Settings
from tests.api.test_alerts_api import sse_events

HTMX = {"HX-Request": "true"}
HTML = {"Accept": "text/html"}
RULES_YAML = """\
- name: Refund burst
  owner: support
  query: refund
  spec: {kind: threshold, window: 10m, min_count: 3}
- name: Chargebacks
  owner: support
  query: chargeback
  spec: {kind: every_match}
"""


@pytest.fixture
def stores(settings: Settings) -> Iterator[AlertStores]:
    with build_alert_stores(settings, workspace=DEFAULT_WORKSPACE) as opened:
        opened.ensure_ready()
        yield opened


def as_role(settings: Settings, client: TestClient, role: Role) -> TestClient:
    add_user(settings, role.value, role=role)
    signed_in(client, role.value)
    return client


def hostile_alert() -> Alert:
    rule = make_rule("<script>alert(1)</script> rule")
    explanation = Explanation(
        query='refund AND "<b>bold</b>"',
        numbers={"current": 9, "bound": 5, "direction": "up"},
        customer=CustomerSummary(customer_id="c-1", name="<img src=x onerror=alert(2)>", tier="gold"),
        snippet="my &lt;img src=x onerror=alert(3)&gt; <em>refund</em>",
    )
    return Alert.for_hit(rule, "author=<i>eve</i>", "m9", fired_at=datetime.now(UTC), explanation=explanation)


# --- the inbox -----------------------------------------------------------------------------------
def test_a_browser_that_is_not_signed_in_goes_to_the_login_page(client: TestClient) -> None:
    response = client.get("/alerts", headers=HTML, follow_redirects=False)
    assert response.status_code in (302, 303, 307)
    assert response.headers["location"].startswith("/login?next=")


def test_the_inbox_shows_why_each_alert_fired_and_escapes_what_people_typed(
    settings: Settings, client: TestClient, stores: AlertStores
) -> None:
    alert = hostile_alert()
    stores.alerts.add(alert)
    as_role(settings, client, Role.VIEWER)
    page = client.get("/alerts", headers=HTML)
    assert page.status_code == 200
    text = page.text
    for shown in (
        "&lt;script&gt;alert(1)&lt;/script&gt; rule",
        "&lt;img src=x onerror=alert(2)&gt;",
        "my &lt;img src=x onerror=alert(3)&gt; <em>refund</em>",
        "author=&lt;i&gt;eve&lt;/i&gt;",
        "refund AND &#34;&lt;b&gt;bold&lt;/b&gt;&#34;",
        "Bound crossed",
        "Tier: gold",
    ):
        assert shown in text, shown
    for raw in ("<script>alert", "<img src=x", "<i>eve", "<b>bold"):
        assert raw not in text
    assert 'sse-connect="/alerts/live?cursor=' in text
    assert "hx-post" not in text  # a viewer may not work alerts
    resolved = client.get("/alerts", params={"status": "resolved"}, headers=HTML).text
    assert f'id="alert-{alert.id}"' not in resolved
    assert "No alerts here." in resolved
    assert "status=resolved" in resolved.split("sse-connect=")[1].split(">")[0]


def test_acknowledge_snooze_and_resolve_swap_the_alert_and_refusals_show_why(
    settings: Settings, client: TestClient, stores: AlertStores
) -> None:
    alert = make_alert()
    stores.alerts.add(alert)
    as_role(settings, client, Role.AGENT)
    page = client.get("/alerts", headers=HTML).text
    assert f'hx-post="/alerts/{alert.id}/ack"' in page

    acked = client.post(f"/alerts/{alert.id}/ack", headers=HTMX)
    assert acked.status_code == 200
    assert 'alert-status--acknowledged">Acknowledged' in acked.text
    assert "<html" not in acked.text  # the fragment only
    again = client.post(f"/alerts/{alert.id}/ack", headers=HTMX)
    assert again.status_code == 200
    assert "Not changed: alert" in again.text
    assert "already acknowledged by agent" in again.text

    snoozed = client.post(f"/alerts/{alert.id}/snooze", data={"duration": "1h"}, headers=HTMX)
    assert "Snoozed until" in snoozed.text
    bad = client.post(f"/alerts/{alert.id}/snooze", data={"duration": "forever"}, headers=HTMX)
    assert "duration: expected a duration" in bad.text
    resolved = client.post(f"/alerts/{alert.id}/resolve", headers=HTMX)
    assert 'alert-status--resolved">Resolved' in resolved.text
    assert "hx-post" not in resolved.text  # nothing left to do
    stored = stores.alerts.get(alert.id)
    assert stored is not None
    assert [h.status for h in stored.history] == [
        AlertStatus.acknowledged,
        AlertStatus.snoozed,
        AlertStatus.resolved,
    ]
    missing = client.post("/alerts/ffffffffff/ack", headers=HTMX)
    assert missing.status_code == 404


def test_only_those_who_work_alerts_may_move_them(
    settings: Settings, client: TestClient, stores: AlertStores
) -> None:
    alert = make_alert()
    stores.alerts.add(alert)
    as_role(settings, client, Role.ANALYST)
    assert client.post(f"/alerts/{alert.id}/ack", headers=HTMX).status_code == 403
    del client.headers["X-CSRF-Token"]
    assert client.post(f"/alerts/{alert.id}/ack", headers=HTMX).status_code == 403  # no CSRF token
    assert stores.alerts.get(alert.id) == alert


def test_the_page_stream_sends_new_alerts_and_changes_as_fragments(
    settings: Settings, client: TestClient, stores: AlertStores
) -> None:
    old = make_alert("m0")
    stores.alerts.add(old)
    as_role(settings, client, Role.AGENT)
    page = client.get("/alerts", params={"status": "open"}, headers=HTML).text
    live = page.split('sse-connect="')[1].split('"')[0].replace("&amp;", "&")
    fresh = make_alert("m1")
    stores.alerts.add(fresh)
    stores.alerts.ack(old.id, by="bo", at=datetime.now(UTC))
    acked_new = make_alert("m2")
    stores.alerts.add(acked_new)
    stores.alerts.ack(acked_new.id, by="bo", at=datetime.now(UTC))  # new, but not what the page shows
    events = sse_events(client.get(live + "&once=1").text)
    assert [e["event"] for e in events] == ["ready", "alert", f"alert-{old.id}"]
    assert f'id="alert-{fresh.id}"' in events[1]["data"]
    assert "Acknowledge</button>" in events[1]["data"]
    assert 'alert-status--acknowledged">Acknowledged' in events[2]["data"]


# --- rules ---------------------------------------------------------------------------------------
def test_the_rules_page_adds_rules_from_yaml_and_switches_them(
    settings: Settings, client: TestClient, stores: AlertStores
) -> None:
    as_role(settings, client, Role.ANALYST)
    empty = client.get("/alerts/rules", headers=HTML)
    assert "No rules yet." in empty.text
    assert 'name="rules"' in empty.text

    added = client.post("/alerts/rules", data={"rules": RULES_YAML}, headers=HTML, follow_redirects=False)
    assert added.status_code == 303
    assert added.headers["location"] == "/alerts/rules?added=2"
    page = client.get(added.headers["location"], headers=HTML).text
    assert "2 rules saved." in page
    assert "Refund burst" in page
    assert "Threshold" in page
    burst = next(r for r in stores.rules.list() if r.name == "Refund burst")

    row = client.post(f"/alerts/rules/{burst.id}/disable", headers=HTMX)
    assert row.text.lstrip().startswith("<tr")
    assert ">Off<" in row.text
    assert f'hx-post="/alerts/rules/{burst.id}/enable"' in row.text
    stored = stores.rules.get(burst.id)
    assert stored is not None
    assert not stored.enabled
    assert ">On<" in client.post(f"/alerts/rules/{burst.id}/enable", headers=HTMX).text


def test_a_refused_rules_text_shows_each_located_problem_and_keeps_the_text(
    settings: Settings, client: TestClient, stores: AlertStores
) -> None:
    as_role(settings, client, Role.ANALYST)
    text = RULES_YAML.replace("query: chargeback", "query: 'chargeback AND'") + "# <script>x</script>\n"
    refused = client.post("/alerts/rules", data={"rules": text}, headers=HTML)
    assert refused.status_code == 400
    assert "The rules were not saved:" in refused.text
    assert "form:rules[1].query: expected" in refused.text
    assert "# &lt;script&gt;x&lt;/script&gt;" in refused.text  # the text is kept, as text
    assert 'aria-invalid="true"' in refused.text
    assert stores.rules.list() == []  # all or nothing
    broken = client.post("/alerts/rules", data={"rules": "- [unclosed"}, headers=HTML)
    assert broken.status_code == 400
    assert "not valid YAML or JSON" in broken.text


def test_a_viewer_sees_the_rules_but_no_form_or_switch(
    settings: Settings, client: TestClient, stores: AlertStores
) -> None:
    rule = stores.rules.save(make_rule())
    as_role(settings, client, Role.VIEWER)
    page = client.get("/alerts/rules", headers=HTML).text
    assert rule.name in page
    assert 'name="rules"' not in page
    assert "hx-post" not in page
    assert client.post("/alerts/rules", data={"rules": RULES_YAML}, headers=HTML).status_code == 403
    assert client.post(f"/alerts/rules/{rule.id}/disable", headers=HTMX).status_code == 403


# --- pieces --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("a <em>refund</em> now", "a <em>refund</em> now"),
        ("&lt;b&gt; <em>x</em>", "&lt;b&gt; <em>x</em>"),
        ("<b>raw</b> <em>x", "&lt;b&gt;raw&lt;/b&gt; <em>x</em>"),  # only <em>; closed at the end
        ("stray</em> end", "stray end"),
        ("&amp;lt;", "&amp;lt;"),
    ],
)
def test_a_snippet_keeps_only_its_marks(stored: str, shown: str) -> None:
    assert str(highlighted(stored)) == shown


def test_every_status_severity_kind_and_decision_has_a_label() -> None:
    keys = labels()
    for status in AlertStatus:
        assert f"alerts.status.{status.value}" in keys
    for severity in Severity:
        assert f"alerts.severity.{severity.value}" in keys
    for kind in KINDS:
        assert f"alerts.kind.{kind}" in keys
    for decision in ("fire", "recovery", "digest"):
        assert f"alerts.decision.{decision}" in keys

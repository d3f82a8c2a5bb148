"""The reports API and pages through the real app (TestClient, the embedded store; Elasticsearch where
marked): brands and report definitions (create, replace, read, delete, located 422s), the report's data
built live, a run archived and downloaded, who may do what, 404s in the one shape, and each workspace
seeing only its own brands, definitions and archive."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient

from alerts.channels.catalog import channels_file
from alerts.outbox import DeliveryState
from api.accounts.models import Role
from api.app import create_app
from api.testing import Response, add_user, api_key, api_settings, error_of, signed_in
from api.web.pages.reports import REPORT_CSP, cron_words, interval_words, schedule_words
from core.models import DEFAULT_WORKSPACE, Author, SentimentLabel
from core.models import Sentiment as SentimentModel
from core.settings import ElasticsearchSettings, ReportsSettings, Settings, StoreSettings
from index.testing.corpus import enriched_mention
from reports.schedule import ReportSchedule

PERIOD: Final = "2026-03-02..2026-03-08"  # a Monday to a Sunday
IN_PERIOD: Final = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
BEFORE: Final = datetime(2026, 2, 25, 10, 0, tzinfo=UTC)  # the previous period
HTML: Final = {"Accept": "text/html"}
HTMX: Final = {"HX-Request": "true"}
ACME: Final = {"query": "acme", "role": "own", "description": "Our brand"}
GLOBEX: Final = {"query": "globex", "role": "competitor"}
WEEKLY: Final = {
    "title": "Weekly brand report",
    "brands": ["ACME", "globex"],
    "period": "last-week",
    "formats": ["html", "pdf", "csv"],
    "schedule": {"cron": "0 9 * * 1"},
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return api_settings(tmp_path, reports=ReportsSettings(timezone="Asia/Shanghai", language="zh"))


def keyed(app: FastAPI, settings: Settings, role: Role, workspace: str = DEFAULT_WORKSPACE) -> TestClient:
    secret = api_key(settings, role=role, workspace=workspace, name=f"{role.value} {workspace}")
    return TestClient(app, headers={"Authorization": f"Bearer {secret}"})


@pytest.fixture
def as_role(app: FastAPI, settings: Settings, client: TestClient) -> Iterator[Callable[[Role], TestClient]]:
    """A client of the app holding an API key of a role (the `client` fixture runs the app's lifespan)."""
    opened: list[TestClient] = []

    def make(role: Role) -> TestClient:
        one = keyed(app, settings, role)
        opened.append(one)
        return one

    yield make
    for one in opened:
        one.close()


@pytest.fixture
def analyst(as_role: Callable[[Role], TestClient]) -> TestClient:
    return as_role(Role.ANALYST)


def mention(native_id: str, text: str, published: datetime, label: SentimentLabel) -> Any:
    return enriched_mention(
        native_id,
        text,
        published_at=published,
        author=Author(platform="web", handle=f"fan{native_id}"),
        sentiment=SentimentModel(label=label, score=0.0, confidence=0.9),
    )


def seed_mentions(app: FastAPI, workspace: str = DEFAULT_WORKSPACE) -> None:
    """Acme: 3 in the period (2 positive, 1 negative), 1 before; Globex: 1 in the period (negative)."""
    store = app.state.services.get(workspace).mentions
    store.upsert(
        [
            mention("a1", "acme is great", IN_PERIOD, SentimentLabel.positive),
            mention("a2", "love my acme", IN_PERIOD, SentimentLabel.positive),
            mention("a3", "acme broke again", IN_PERIOD, SentimentLabel.negative),
            mention("a0", "acme last month", BEFORE, SentimentLabel.neutral),
            mention("g1", "globex is slow", IN_PERIOD, SentimentLabel.negative),
        ]
    )
    store.refresh()


def setup_weekly(client: TestClient) -> None:
    for name, body in (("Acme", ACME), ("Globex", GLOBEX)):
        assert client.put(f"/api/v1/brands/{name}", json=body).status_code == 201
    assert client.put("/api/v1/reports/weekly", json=WEEKLY).status_code == 201


@dataclass(frozen=True)
class Archived:
    """An app with the weekly report (Acme, Globex) over `seed_mentions`, run once for `PERIOD`: what
    the tests that only read a run share (building and rendering a report takes seconds)."""

    app: FastAPI
    settings: Settings
    analyst: TestClient
    run: dict[str, Any]


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archived]:
    settings = api_settings(
        tmp_path_factory.mktemp("archived"), reports=ReportsSettings(timezone="Asia/Shanghai", language="zh")
    )
    app = create_app(settings)
    with TestClient(app), keyed(app, settings, Role.ANALYST) as analyst:
        setup_weekly(analyst)
        seed_mentions(app)
        response = analyst.post("/api/v1/reports/weekly/runs", params={"period": PERIOD})
        assert response.status_code == 201, response.text
        yield Archived(app, settings, analyst, response.json())


def located(response: Response, *loc: str | int) -> dict[str, Any]:
    """The 422's error at `loc` (FastAPI's shape: each problem located)."""
    error = error_of(response, 422, "invalid_request")
    found = [e for e in error["details"]["errors"] if e["loc"] == [str(part) for part in loc]]
    assert found, error
    return dict(found[0])


# --- brands --------------------------------------------------------------------------------------
def test_brands_are_created_replaced_read_listed_and_deleted(analyst: TestClient) -> None:
    created = analyst.put("/api/v1/brands/Globex", json=GLOBEX)
    assert created.status_code == 201, created.text
    assert analyst.put("/api/v1/brands/Acme", json=ACME).status_code == 201
    first = created.json()
    assert (first["name"], first["role"], first["query"]) == ("Globex", "competitor", "globex")

    replaced = analyst.put("/api/v1/brands/GLOBEX", json={**GLOBEX, "description": "rival"})
    assert replaced.status_code == 200, replaced.text  # one brand, whatever the case: spelt as given
    assert (replaced.json()["name"], replaced.json()["description"]) == ("GLOBEX", "rival")
    assert replaced.json()["created_at"] == first["created_at"]

    listed = analyst.get("/api/v1/brands").json()
    assert listed["workspace"] == DEFAULT_WORKSPACE
    assert [b["name"] for b in listed["brands"]] == ["Acme", "GLOBEX"]  # own brand first
    assert analyst.get("/api/v1/brands/acme").json()["description"] == "Our brand"

    deleted = analyst.delete("/api/v1/brands/acme")
    assert deleted.status_code == 200
    assert deleted.json()["name"] == "Acme"
    error_of(analyst.get("/api/v1/brands/acme"), 404, "not_found")
    error_of(analyst.delete("/api/v1/brands/acme"), 404, "not_found")


def test_a_bad_brand_is_a_422_locating_the_field(analyst: TestClient) -> None:
    query = located(analyst.put("/api/v1/brands/Acme", json={"query": "acme AND ("}), "body", "query")
    assert "invalid query" in query["msg"]
    located(analyst.put("/api/v1/brands/Acme", json={**ACME, "role": "partner"}), "body", "role")
    located(analyst.put("/api/v1/brands/Acme", json={**ACME, "colour": "red"}), "body", "colour")
    located(analyst.put(f"/api/v1/brands/{quote('   ')}", json=ACME), "path", "name")
    located(analyst.put(f"/api/v1/brands/{'x' * 101}", json=ACME), "path", "name")
    assert analyst.get("/api/v1/brands").json()["brands"] == []


def test_a_brand_a_report_names_is_not_deleted(analyst: TestClient) -> None:
    setup_weekly(analyst)
    error = error_of(analyst.delete("/api/v1/brands/globex"), 409, "conflict")
    assert error["details"] == {"brand": "Globex", "reports": ["weekly"]}
    assert analyst.get("/api/v1/brands/globex").status_code == 200


# --- report definitions --------------------------------------------------------------------------
def test_definitions_are_created_replaced_read_listed_and_deleted(analyst: TestClient) -> None:
    setup_weekly(analyst)
    stored = analyst.get("/api/v1/reports/weekly").json()
    assert stored["brands"] == ["Acme", "Globex"]  # as the brands spell their names
    assert (stored["timezone"], stored["language"]) == ("Asia/Shanghai", "zh")  # the settings' defaults
    assert stored["schedule"]["cron"] == "0 9 * * 1"

    body = {**WEEKLY, "brands": [], "timezone": "Europe/Paris", "language": "en", "schedule": None}
    replaced = analyst.put("/api/v1/reports/weekly", json=body)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["created_at"] == stored["created_at"]
    assert (replaced.json()["timezone"], replaced.json()["brands"]) == ("Europe/Paris", [])

    assert [d["name"] for d in analyst.get("/api/v1/reports").json()["reports"]] == ["weekly"]
    assert analyst.delete("/api/v1/reports/weekly").json()["name"] == "weekly"
    error_of(analyst.get("/api/v1/reports/weekly"), 404, "not_found")
    error_of(analyst.delete("/api/v1/reports/weekly"), 404, "not_found")
    assert analyst.get("/api/v1/reports").json()["reports"] == []


def test_a_definition_naming_an_unknown_brand_is_a_422_naming_it(analyst: TestClient) -> None:
    analyst.put("/api/v1/brands/Acme", json=ACME)
    response = analyst.put("/api/v1/reports/weekly", json={**WEEKLY, "brands": ["acme", "Initech"]})
    error = located(response, "body", "brands", 1)
    assert "Initech" in error["msg"]
    assert "Initech" in response.json()["error"]["message"]
    error_of(analyst.get("/api/v1/reports/weekly"), 404, "not_found")


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"timezone": "Mars/Olympus"}, ("body", "timezone")),
        ({"period": "2026-03-08..2026-03-02"}, ("body", "period")),
        ({"period": "fortnight"}, ("body", "period")),
        ({"schedule": {"cron": "0 9 30 2 *"}}, ("body", "schedule", "cron")),
        ({"schedule": {"cron": "0 9 * * *", "every": 3600}}, ("body", "schedule")),
        ({"formats": []}, ("body", "formats")),
        ({"formats": ["docx"]}, ("body", "formats", "0")),
        ({"brands": ["Acme", "acme"]}, ("body", "brands")),
        ({"language": "fr"}, ("body", "language")),
    ],
)
def test_a_bad_definition_is_a_422_locating_the_field(
    analyst: TestClient, change: dict[str, Any], loc: tuple[str, ...]
) -> None:
    analyst.put("/api/v1/brands/Acme", json=ACME)
    response = analyst.put("/api/v1/reports/weekly", json={**WEEKLY, "brands": ["Acme"], **change})
    error_of(response, 422, "invalid_request")
    locations = [tuple(e["loc"]) for e in response.json()["error"]["details"]["errors"]]
    assert any(found[: len(loc)] == loc for found in locations), locations


def test_a_report_name_that_cannot_name_a_file_is_refused(analyst: TestClient) -> None:
    located(analyst.put("/api/v1/reports/.hidden", json=WEEKLY), "path", "name")
    located(analyst.get("/api/v1/reports/a%20b"), "path", "name")


# --- data, runs and the archive ------------------------------------------------------------------
def test_the_report_data_is_built_live_from_the_stores(archived: Archived) -> None:
    response = archived.analyst.get("/api/v1/reports/weekly/data", params={"period": PERIOD})
    assert response.status_code == 200, response.text
    data = response.json()
    assert (data["name"], data["title"], data["language"]) == ("weekly", "Weekly brand report", "zh")
    assert data["period"]["timezone"] == "Asia/Shanghai"
    assert data["total"] == 4
    acme, globex = data["brands"]
    assert (acme["brand"], acme["total"], acme["previous"]) == ("Acme", 3, 1)
    assert (acme["sentiment"]["positive"], acme["sentiment"]["negative"]) == (2, 1)
    assert (globex["brand"], globex["total"]) == ("Globex", 1)
    shares = {row["brand"]: row["share"] for row in data["share_of_voice"]}
    assert shares == {"Acme": 75.0, "Globex": 25.0}


def test_the_data_route_refuses_a_bad_period_and_an_unknown_report(analyst: TestClient) -> None:
    setup_weekly(analyst)
    located(analyst.get("/api/v1/reports/weekly/data", params={"period": "fortnight"}), "query", "period")
    located(
        analyst.get("/api/v1/reports/weekly/data", params={"period": "2026-03-09..2026-03-01"}),
        "query",
        "period",
    )
    error = error_of(analyst.get("/api/v1/reports/monthly/data"), 404, "not_found")
    assert error["details"] == {"report": "monthly", "workspace": DEFAULT_WORKSPACE}


def test_a_run_is_archived_listed_and_downloaded(archived: Archived) -> None:
    analyst, run = archived.analyst, archived.run
    assert (run["report"], run["period_name"], run["total"], run["language"]) == ("weekly", PERIOD, 4, "zh")
    assert [f["format"] for f in run["files"]] == ["html", "pdf", "csv"]
    runs = analyst.get("/api/v1/report-archive").json()["runs"]
    assert [r["id"] for r in runs] == [run["id"]]
    assert analyst.get("/api/v1/report-archive", params={"report": "weekly"}).json()["runs"] == runs
    assert analyst.get("/api/v1/report-archive", params={"report": "monthly"}).json()["runs"] == []
    assert analyst.get(f"/api/v1/report-archive/{run['id']}").json() == run

    pdf = analyst.get(f"/api/v1/report-archive/{run['id']}/files/pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    filename = next(f["filename"] for f in run["files"] if f["format"] == "pdf")
    assert pdf.headers["content-disposition"] == (
        f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"
    )
    html = analyst.get(f"/api/v1/report-archive/{run['id']}/files/html")
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    assert "Acme" in html.text
    csv = analyst.get(f"/api/v1/report-archive/{run['id']}/files/csv")
    assert (csv.headers["content-type"], csv.content[:2]) == ("application/zip", b"PK")  # a zip of CSVs

    error_of(analyst.get(f"/api/v1/report-archive/{run['id']}/files/xlsx"), 404, "not_found")  # not built
    error_of(analyst.get(f"/api/v1/report-archive/{run['id']}/files/docx"), 404, "not_found")
    missing = "0123456789abcdef0123456789abcdef"
    error_of(analyst.get(f"/api/v1/report-archive/{missing}/files/pdf"), 404, "not_found")
    error_of(analyst.get(f"/api/v1/report-archive/{missing}"), 404, "not_found")
    error_of(analyst.get("/api/v1/report-archive/not-a-run-id"), 404, "not_found")


def test_the_same_period_again_replaces_the_run(analyst: TestClient) -> None:
    setup_weekly(analyst)
    analyst.put("/api/v1/reports/weekly", json={**WEEKLY, "formats": ["csv"]})  # quick to build
    first = analyst.post("/api/v1/reports/weekly/runs", params={"period": PERIOD})
    assert first.status_code == 201, first.text
    again = analyst.post("/api/v1/reports/weekly/runs", params={"period": PERIOD}).json()
    assert again["id"] == first.json()["id"]
    assert again["built_at"] >= first.json()["built_at"]
    assert [r["id"] for r in analyst.get("/api/v1/report-archive").json()["runs"]] == [again["id"]]
    other = analyst.post("/api/v1/reports/weekly/runs", params={"period": "2026-03-09..2026-03-15"}).json()
    assert [r["id"] for r in analyst.get("/api/v1/report-archive").json()["runs"]] == [
        other["id"],
        again["id"],
    ]


def test_runs_of_unknown_reports_and_bad_periods_are_refused(analyst: TestClient) -> None:
    setup_weekly(analyst)
    error_of(analyst.post("/api/v1/reports/monthly/runs"), 404, "not_found")
    located(
        analyst.post("/api/v1/reports/weekly/runs", params={"period": "last-999-days"}), "query", "period"
    )
    assert analyst.get("/api/v1/report-archive").json()["runs"] == []
    located(analyst.get("/api/v1/report-archive", params={"limit": 0}), "query", "limit")


def write_channels(settings: Settings, workspace: str = DEFAULT_WORKSPACE) -> None:
    path = channels_file(settings, workspace=workspace)
    path.parent.mkdir(parents=True, exist_ok=True)
    channel = {"name": "brand-mail", "kind": "email", "to": ["brand@example.com"], "from": "r@earful.example"}
    path.write_text(yaml.safe_dump({"channels": [channel]}), encoding="utf-8")


def test_a_run_with_deliver_queues_one_delivery_per_channel(
    app: FastAPI, settings: Settings, analyst: TestClient
) -> None:
    setup_weekly(analyst)
    seed_mentions(app)
    body = {**WEEKLY, "formats": ["html", "csv"], "channels": ["brand-mail"]}
    analyst.put("/api/v1/reports/weekly", json=body).raise_for_status()
    refused = analyst.post("/api/v1/reports/weekly/runs", params={"period": PERIOD, "deliver": True})
    error = error_of(refused, 400, "invalid_input")  # no channels file yet: nothing is built
    assert error["details"]["channels"] == ["brand-mail"]
    assert analyst.get("/api/v1/report-archive").json()["runs"] == []

    write_channels(settings)
    run = analyst.post("/api/v1/reports/weekly/runs", params={"period": PERIOD, "deliver": True}).json()
    analyst.post("/api/v1/reports/weekly/runs", params={"period": PERIOD, "deliver": True}).raise_for_status()
    outbox = app.state.services.get(DEFAULT_WORKSPACE).alerts.outbox
    (record,) = outbox.list(alert_id=f"report:{run['id']}")  # the same period again: queued once
    assert (record.channel, record.state) == ("brand-mail", DeliveryState.pending)
    message = record.message
    assert message.title.startswith("Weekly brand report")
    assert message.html_body is not None
    assert "Acme" in message.html_body
    assert [a.filename for a in message.attachments] == [run["files"][1]["filename"]]  # the CSV zip
    assert Path(message.attachments[0].path).is_file()

    analyst.put("/api/v1/reports/weekly", json={**body, "channels": []}).raise_for_status()
    error = error_of(
        analyst.post("/api/v1/reports/weekly/runs", params={"deliver": True}), 400, "invalid_input"
    )
    assert "names no channel" in error["message"]


# --- who may do what -----------------------------------------------------------------------------
def test_reading_needs_read_and_writing_needs_reports_write(
    app: FastAPI, client: TestClient, as_role: Callable[[Role], TestClient], analyst: TestClient
) -> None:
    setup_weekly(analyst)
    error_of(client.get("/api/v1/brands"), 401, "unauthenticated")
    error_of(client.get("/api/v1/report-archive"), 401, "unauthenticated")
    for role in (Role.VIEWER, Role.AGENT):
        other = as_role(role)
        assert other.get("/api/v1/brands").status_code == 200
        assert other.get("/api/v1/reports/weekly").status_code == 200
        assert other.get("/api/v1/report-archive").status_code == 200
        for method, url, body in (
            ("PUT", "/api/v1/brands/Initech", {"query": "initech"}),
            ("DELETE", "/api/v1/brands/Acme", None),
            ("PUT", "/api/v1/reports/weekly", WEEKLY),
            ("DELETE", "/api/v1/reports/weekly", None),
            ("POST", "/api/v1/reports/weekly/runs", None),
        ):
            error = error_of(other.request(method, url, json=body), 403, "forbidden")
            assert error["details"] == {"permission": "reports.write", "role": role.value}
    assert len(analyst.get("/api/v1/brands").json()["brands"]) == 2


def test_a_session_needs_its_csrf_token_to_write(settings: Settings, client: TestClient) -> None:
    add_user(settings, "bea", role=Role.ANALYST)
    token = signed_in(client, "bea")
    del client.headers["X-CSRF-Token"]
    error_of(client.put("/api/v1/brands/Acme", json=ACME), 403, "csrf_failed")
    client.headers["X-CSRF-Token"] = token
    assert client.put("/api/v1/brands/Acme", json=ACME).status_code == 201


# --- workspaces ----------------------------------------------------------------------------------
def _elasticsearch(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    es = ElasticsearchSettings(
        hosts=[request.getfixturevalue("es_url")], index_prefix=request.getfixturevalue("es_prefix")
    )
    return api_settings(tmp_path, store=StoreSettings(backend="elasticsearch"), elasticsearch=es)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("elasticsearch", marks=pytest.mark.integration)])
def test_a_workspace_sees_only_its_own_brands_definitions_and_archive(
    request: pytest.FixtureRequest, tmp_path: Path, backend: str
) -> None:
    settings = _elasticsearch(request, tmp_path) if backend == "elasticsearch" else api_settings(tmp_path)
    app = create_app(settings)
    with (
        TestClient(app),
        keyed(app, settings, Role.ANALYST, "wsa") as a,
        keyed(app, settings, Role.ANALYST, "wsb") as b,
    ):
        setup_weekly(a)
        a.put("/api/v1/reports/weekly", json={**WEEKLY, "formats": ["csv", "html"]})
        run = a.post("/api/v1/reports/weekly/runs", params={"period": PERIOD}).json()
        assert b.get("/api/v1/brands").json() == {"workspace": "wsb", "brands": []}
        assert b.get("/api/v1/reports").json()["reports"] == []
        assert b.get("/api/v1/report-archive").json()["runs"] == []
        error_of(b.get("/api/v1/brands/acme"), 404, "not_found")
        error_of(b.get("/api/v1/reports/weekly/data"), 404, "not_found")
        error_of(b.get(f"/api/v1/report-archive/{run['id']}"), 404, "not_found")
        error_of(b.get(f"/api/v1/report-archive/{run['id']}/files/csv"), 404, "not_found")
        error_of(b.delete("/api/v1/brands/acme"), 404, "not_found")
        assert b.get(f"/reports/archive/{run['id']}/view", headers=HTML).status_code == 404
        assert b.put("/api/v1/brands/Acme", json={"query": "acme OR wsb"}).status_code == 201  # its own
        assert a.get("/api/v1/brands/acme").json()["query"] == "acme"
        assert [r["id"] for r in a.get("/api/v1/report-archive").json()["runs"]] == [run["id"]]


# --- pages ---------------------------------------------------------------------------------------
def signed_in_as(settings: Settings, client: TestClient, role: Role, language: str = "en") -> TestClient:
    add_user(settings, f"{role.value}-user", role=role, language=language)
    signed_in(client, f"{role.value}-user")
    return client


def test_the_reports_page_lists_definitions_in_words_and_the_archive(archived: Archived) -> None:
    run = archived.run
    with TestClient(archived.app) as client:
        page = signed_in_as(archived.settings, client, Role.VIEWER).get("/reports", headers=HTML)
    assert page.status_code == 200
    text = page.text
    assert "Weekly brand report" in text
    assert "Every Monday at 09:00 (Asia/Shanghai)" in text
    assert "2026-03-02 to 2026-03-08" in text
    for fmt in ("html", "pdf", "csv"):
        assert f'href="/api/v1/report-archive/{run["id"]}/files/{fmt}"' in text
    assert f'href="/reports/archive/{run["id"]}"' in text
    assert "Run now" not in text  # a viewer may not run reports
    assert 'aria-current="page">Reports<' in text


def test_run_now_through_htmx_swaps_in_the_new_run(
    settings: Settings, client: TestClient, analyst: TestClient
) -> None:
    setup_weekly(analyst)
    analyst.put("/api/v1/reports/weekly", json={**WEEKLY, "formats": ["csv"]})  # quick to build
    signed_in_as(settings, client, Role.ANALYST)
    page = client.get("/reports", headers=HTML).text
    assert 'hx-post="/reports/weekly/run"' in page
    assert "No report has been built yet." in page
    fragment = client.post("/reports/weekly/run", headers=HTMX)
    assert fragment.status_code == 200, fragment.text
    assert 'id="reports-body"' in fragment.text
    assert "<html" not in fragment.text
    assert "Report built: Weekly brand report" in fragment.text
    runs = analyst.get("/api/v1/report-archive").json()["runs"]
    assert len(runs) == 1
    assert f'id="run-{runs[0]["id"]}" data-run="{runs[0]["id"]}" class="report-run--new"' in fragment.text

    client.headers.pop("X-CSRF-Token")
    assert client.post("/reports/weekly/run", headers=HTMX).status_code == 403


def test_run_now_shows_a_refusal_in_the_page(
    app: FastAPI, settings: Settings, client: TestClient, analyst: TestClient
) -> None:
    analyst.put("/api/v1/brands/Acme", json=ACME)
    analyst.put("/api/v1/reports/weekly", json={**WEEKLY, "brands": ["Acme"], "period": "last-week"})
    services = app.state.services.get(DEFAULT_WORKSPACE)
    services.reports.delete_brand("Acme")  # the definition now names a brand that is gone
    signed_in_as(settings, client, Role.ANALYST)
    fragment = client.post("/reports/weekly/run", headers=HTMX)
    assert fragment.status_code == 200
    assert fragment.headers["X-Earful-Status"] == "404"
    assert "The report was not built" in fragment.text
    assert "Acme" in fragment.text
    assert client.post("/reports/monthly/run", headers=HTMX).status_code == 404


def test_the_archived_report_page_frames_its_html_under_its_own_policy(archived: Archived) -> None:
    run = archived.run
    with TestClient(archived.app) as client:
        signed_in_as(archived.settings, client, Role.AGENT)
        page = client.get(f"/reports/archive/{run['id']}", headers=HTML)
        view = client.get(f"/reports/archive/{run['id']}/view", headers=HTML)
        listing = client.get("/reports", headers=HTML)
        unknown = client.get(f"/reports/archive/{run['id'][:-1]}0/view", headers=HTML)
    assert page.status_code == 200
    assert f'src="/reports/archive/{run["id"]}/view" sandbox=' in page.text
    assert '<dd class="report-total">4</dd>' in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]  # the app's own policy

    assert view.status_code == 200
    assert view.headers["content-type"] == "text/html; charset=utf-8"
    assert view.headers["content-security-policy"] == REPORT_CSP
    assert view.headers["x-frame-options"] == "SAMEORIGIN"
    assert "Acme" in view.text
    assert listing.headers["content-security-policy"] != REPORT_CSP  # every other response keeps the app's
    assert unknown.status_code == 404
    assert unknown.headers["content-security-policy"] != REPORT_CSP


def test_the_brands_page_adds_edits_and_deletes_with_errors_in_the_form(
    settings: Settings, client: TestClient
) -> None:
    signed_in_as(settings, client, Role.ANALYST)
    empty = client.get("/reports/brands", headers=HTML).text
    assert "No brands yet." in empty
    assert "with the form below" in empty

    bad = client.post("/reports/brands", data={"name": "Acme", "query": "acme AND (", "role": "own"})
    assert bad.status_code == 422
    assert 'id="brand-query-error"' in bad.text
    assert "invalid query" in bad.text
    assert ">acme AND (</textarea>" in bad.text  # what was typed stays in the form
    assert 'aria-invalid="true"' in bad.text
    nameless = client.post("/reports/brands", data={"name": " ", "query": "acme"})
    assert 'id="brand-name-error"' in nameless.text
    assert "A brand needs a name." in nameless.text

    saved = client.post(
        "/reports/brands", data={"name": "Acme", "query": "acme", "role": "own"}, follow_redirects=False
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == "/reports/brands?saved=Acme"
    client.post("/reports/brands", data={"name": "Globex", "query": "globex", "role": "competitor"})
    listed = client.get("/reports/brands?saved=Acme", headers=HTML).text
    assert "Brand Acme saved." in listed
    assert "Own brand" in listed
    assert "Competitor" in listed

    edit = client.get("/reports/brands?edit=acme", headers=HTML).text
    assert "Edit Acme" in edit
    assert 'value="Acme" required autocomplete="off" readonly' in edit
    client.post("/reports/brands", data={"name": "Acme", "query": "acme OR #acme", "editing": "true"})
    brand = client.get("/api/v1/brands/acme").json()
    assert brand["query"] == "acme OR #acme"

    deleted = client.post("/reports/brands/Globex/delete", follow_redirects=False)
    assert deleted.headers["location"] == "/reports/brands?deleted=Globex"
    assert [b["name"] for b in client.get("/api/v1/brands").json()["brands"]] == ["Acme"]
    assert client.post("/reports/brands/Globex/delete", headers=HTML).status_code == 404


def test_a_brand_in_use_is_not_deleted_from_the_page(
    settings: Settings, client: TestClient, analyst: TestClient
) -> None:
    setup_weekly(analyst)
    signed_in_as(settings, client, Role.ANALYST)
    refused = client.post("/reports/brands/Acme/delete", headers=HTML)
    assert refused.status_code == 409
    assert "Not deleted" in refused.text
    assert "weekly" in refused.text


def test_the_brands_page_in_chinese_and_read_only_for_a_viewer(
    settings: Settings, client: TestClient
) -> None:
    signed_in_as(settings, client, Role.VIEWER, language="zh")
    page = client.get("/reports/brands", headers=HTML).text
    assert "品牌与竞品" in page
    assert "暂无品牌。" in page
    assert "拥有报告编辑权限的用户可以在此添加品牌。" in page
    assert 'action="/reports/brands"' not in page
    assert client.post("/reports/brands", data={"name": "Acme", "query": "acme"}).status_code == 403
    reports = client.get("/reports", headers=HTML).text
    assert "暂无报告定义。" in reports
    assert ">报告<" in reports


# --- schedules in words --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cron", "english", "chinese"),
    [
        ("0 9 * * *", "Every day at 09:00", "每天 09:00"),
        ("30 8 * * 1-5", "Weekdays at 08:30", "工作日 08:30"),
        ("0 9 * * 1", "Every Monday at 09:00", "每周一 09:00"),
        ("0 9 * * SUN", "Every Sunday at 09:00", "每周日 09:00"),
        ("0 7 1 * *", "On day 1 of every month at 07:00", "每月 1 日 07:00"),
        ("15 * * * *", "Every hour at minute 15", "每小时第 15 分"),
        ("0 9 1-7 * 1", "Cron “0 9 1-7 * 1”", "Cron 表达式“0 9 1-7 * 1”"),
    ],
)
def test_a_cron_in_words(cron: str, english: str, chinese: str) -> None:
    assert (cron_words(cron, "en"), cron_words(cron, "zh")) == (english, chinese)


def test_an_interval_and_no_schedule_in_words() -> None:
    assert interval_words(timedelta(days=2), "en") == "Every 2 days"
    assert interval_words(timedelta(hours=6), "zh") == "每 6 小时"
    assert interval_words(timedelta(seconds=90), "en") == "Every 90 seconds"
    assert schedule_words(None, "UTC", "en") == "On demand"
    assert interval_words(timedelta(days=1), "en") == "Every day"
    assert schedule_words(ReportSchedule(every=3600), "Asia/Shanghai", "zh") == "每小时（Asia/Shanghai）"

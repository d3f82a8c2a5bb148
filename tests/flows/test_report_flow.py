"""The report flow end to end: brands and a definition in the report store, the report corpus in the
mention store, a channels file with an e-mail channel pointing at a real local SMTP server. A run
archives the report and mails it once (its HTML as the body, its PDF attached as archived); running the
same period again delivers nothing new; bad input is refused before anything is built. On SQLite, and
on Elasticsearch (integration). Also: the flow under Prefect's test harness, the scheduled deployments,
and ``earful reports run``."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from alerts.channels.catalog import channels_file
from alerts.outbox import DeliveryState
from alerts.store import build_alert_stores
from alerts.testing import CONTRACT_TIMEOUT, SmtpReceiver
from core.errors import InvalidInput, NotFound
from core.models import DEFAULT_WORKSPACE
from core.settings import Settings
from flows.reports import ReportRun, report_deployments, report_flow
from index.backends import build_mention_store
from reports.archive import ReportArchive
from reports.definitions import ReportDefinition, ReportFormat
from reports.schedule import ReportSchedule, fire_times
from reports.store import build_report_store
from tests.reports.corpus import BRANDS, CORPUS, NOW, TZ

MAIL = "brand-mail"
WEEKLY = ReportDefinition(
    name="weekly",
    title="Weekly brands",
    brands=("Acme", "Nimbus"),
    period="last-week",
    timezone=TZ,
    formats=(ReportFormat.html, ReportFormat.pdf),
    schedule=ReportSchedule(cron="0 9 * * 1"),
    channels=(MAIL,),
)
#: The same without a PDF, where the PDF is not the point (WeasyPrint takes seconds).
QUICK = WEEKLY.model_copy(
    update={"name": "quick", "formats": (ReportFormat.html, ReportFormat.csv), "schedule": None}
)


@dataclass
class Rig:
    settings: Settings
    receiver: SmtpReceiver

    def run(self, report: str = "weekly", **changes: Any) -> ReportRun:
        values: dict[str, Any] = {"workspace": DEFAULT_WORKSPACE, "report": report, "now": NOW}
        values.update(changes)
        return report_flow.fn(settings=self.settings, **values)

    def archive(self) -> ReportArchive:
        return ReportArchive(self.settings, workspace=DEFAULT_WORKSPACE)

    def save(self, *definitions: ReportDefinition) -> None:
        store = build_report_store(self.settings, workspace=DEFAULT_WORKSPACE)
        try:
            store.ensure_ready()
            for definition in definitions:
                store.save_report(definition)
        finally:
            store.close()


def _seed(settings: Settings, receiver: SmtpReceiver) -> Rig:
    path = channels_file(settings, workspace=DEFAULT_WORKSPACE)
    path.parent.mkdir(parents=True, exist_ok=True)
    channels = [
        {"name": MAIL, "kind": "email", "to": ["brand@example.com"], "from": "reports@earful.example"}
    ]
    path.write_text(yaml.safe_dump({"channels": channels}), encoding="utf-8")
    mentions = build_mention_store(settings, workspace=DEFAULT_WORKSPACE)
    try:
        mentions.ensure_ready()
        mentions.upsert(CORPUS)
        mentions.refresh()
    finally:
        mentions.close()
    store = build_report_store(settings, workspace=DEFAULT_WORKSPACE)
    try:
        store.ensure_ready()
        for brand in BRANDS:
            store.save_brand(brand)
        store.save_report(WEEKLY)
        store.save_report(QUICK)
    finally:
        store.close()
    return Rig(settings, receiver)


def _settings(home: Path, receiver: SmtpReceiver, **more: Any) -> Settings:
    return Settings(
        home=home,
        alerts={"http_timeout": CONTRACT_TIMEOUT, "smtp": receiver.smtp_settings()},
        reports={"public_url": "https://earful.example/"},
        **more,
    )


@pytest.fixture
def receiver() -> Iterator[SmtpReceiver]:
    with SmtpReceiver() as started:
        yield started


@pytest.fixture
def rig(tmp_path: Path, receiver: SmtpReceiver) -> Rig:
    return _seed(_settings(tmp_path, receiver), receiver)


def _pdf(mail: EmailMessage) -> tuple[str | None, str, bytes]:
    (part,) = [p for p in mail.iter_attachments() if isinstance(p, EmailMessage)]
    payload = part.get_content()
    assert isinstance(payload, bytes)
    return part.get_filename(), part.get_content_type(), payload


def _check_delivered_once(rig: Rig) -> ReportRun:
    first = rig.run()
    archive = rig.archive()
    (archived,) = archive.list("weekly")
    assert archived.id == first.run_id
    assert (first.period, first.total) == ("last-week", archived.total)
    assert first.start == datetime(2026, 3, 2, tzinfo=ZoneInfo(TZ))
    pdf_path = archive.file_path(first.run_id, ReportFormat.pdf)
    html_path = archive.file_path(first.run_id, ReportFormat.html)
    assert sorted(first.files) == sorted([str(html_path), str(pdf_path)])
    assert (first.enqueued, first.already_enqueued, first.delivered) == (1, 0, 1)
    assert [(d.channel, d.state, d.attempts) for d in first.deliveries] == [(MAIL, DeliveryState.sent, 1)]

    (received,) = rig.receiver.received
    mail = received.message
    assert mail["Subject"] == "[Earful] [INFO] Weekly brands: 2026-03-02 to 2026-03-08"
    html = mail.get_body(preferencelist=("html",))
    assert isinstance(html, EmailMessage)
    # the same document (SMTP carries its lines with CRLF)
    assert (
        str(html.get_content()).replace("\r\n", "\n").strip() == html_path.read_text(encoding="utf-8").strip()
    )
    assert _pdf(mail) == (pdf_path.name, "application/pdf", pdf_path.read_bytes())
    text = received.parts()["text/plain"]
    assert f"https://earful.example/reports/archive/{first.run_id}" in text
    assert "Acme: " in text
    assert "2026-03-02 to 2026-03-08 (America/New_York)" in text

    # the schedule fires again for the same week, or someone reruns it: archived again, mailed once
    again = rig.run(now=NOW + timedelta(hours=1))
    assert again.run_id == first.run_id
    assert (again.enqueued, again.already_enqueued, again.delivered) == (0, 1, 0)
    assert [d.state for d in again.deliveries] == [DeliveryState.sent]
    assert len(rig.receiver.received) == 1
    assert [r.id for r in archive.list("weekly")] == [first.run_id]
    return first


@pytest.mark.slow
def test_a_run_archives_the_report_and_mails_it_once(rig: Rig) -> None:
    _check_delivered_once(rig)


def test_another_period_is_another_run_and_another_mail(rig: Rig) -> None:
    first = rig.run("quick", deliver=False)
    assert (first.enqueued, first.deliveries) == (0, [])
    assert rig.receiver.received == []
    other = rig.run("quick", period="2026-02-23..2026-03-01")
    assert other.run_id != first.run_id
    assert other.delivered == 1
    assert {r.id for r in rig.archive().list("quick")} == {first.run_id, other.run_id}
    (received,) = rig.receiver.received
    assert received.message["Subject"] == "[Earful] [INFO] Weekly brands: 2026-02-23 to 2026-03-01"


def test_bad_input_is_refused_before_anything_is_built(rig: Rig) -> None:
    with pytest.raises(
        NotFound, match=re.escape("no report 'monthly' in workspace 'default' (its reports: quick, weekly)")
    ):
        rig.run(report="monthly")
    with pytest.raises(InvalidInput, match="unknown period 'last-fortnight'"):
        rig.run(period="last-fortnight")
    with pytest.raises(InvalidInput, match="ends before it starts"):
        rig.run(period="2026-03-08..2026-03-02")
    rig.save(WEEKLY.model_copy(update={"name": "ghosts", "brands": ("Acme", "Ghost", "Phantom")}))
    with pytest.raises(NotFound, match="report 'ghosts' names brands that do not exist: Ghost, Phantom"):
        rig.run(report="ghosts")
    rig.save(WEEKLY.model_copy(update={"name": "lost", "channels": (MAIL, "team-slack")}))
    with pytest.raises(
        InvalidInput, match=re.escape("channels.yaml does not define: team-slack (channels: brand-mail)")
    ):
        rig.run(report="lost")
    assert rig.archive().list() == []
    assert rig.receiver.received == []
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        ReportDefinition.model_validate({**WEEKLY.model_dump(), "timezone": "Mars/Olympus"})


def test_a_mail_server_that_is_down_leaves_the_report_pending_and_archived(rig: Rig) -> None:
    rig.receiver.stop()
    first = rig.run("quick")
    assert (first.enqueued, first.delivered) == (1, 0)
    (state,) = first.deliveries
    assert (state.state, state.attempts) == (DeliveryState.pending, 1)
    assert "SMTP connection failed" in state.reason
    tables = rig.archive().file_path(first.run_id, ReportFormat.csv)
    assert tables.read_bytes().startswith(b"PK")
    with build_alert_stores(rig.settings, workspace=DEFAULT_WORKSPACE) as stores:
        (record,) = stores.outbox.list(alert_id=f"report:{first.run_id}")
        assert record.state is DeliveryState.pending
        assert record.message.attachments[0].path == str(tables)
    # the server is back; the next run of the period (or `earful listen --follow`) delivers it, once
    rig.receiver.start()
    later = datetime.now(UTC) + timedelta(hours=1)  # past the backoff, whatever the real time
    again = rig.run("quick", now=later, period="2026-03-02..2026-03-08")  # the same week, by its dates
    assert (again.run_id, again.enqueued, again.already_enqueued, again.delivered) == (first.run_id, 0, 1, 1)
    assert [(d.state, d.attempts) for d in again.deliveries] == [(DeliveryState.sent, 2)]
    (received,) = rig.receiver.received
    assert [p.get_filename() for p in received.message.iter_attachments()] == [tables.name]


@pytest.mark.integration
@pytest.mark.slow
def test_on_elasticsearch(tmp_path: Path, receiver: SmtpReceiver, es_url: str, es_prefix: str) -> None:
    settings = _settings(
        tmp_path,
        receiver,
        store={"backend": "elasticsearch"},
        elasticsearch={"hosts": [es_url], "index_prefix": es_prefix},
    )
    rig = _seed(settings, receiver)
    first = _check_delivered_once(rig)
    with build_alert_stores(settings, workspace=DEFAULT_WORKSPACE) as stores:
        (record,) = stores.outbox.list(state=DeliveryState.sent)
        assert record.alert_id == f"report:{first.run_id}"


# --- Prefect ---------------------------------------------------------------------------------------
@pytest.mark.usefixtures("prefect_harness")
def test_late_scheduled_runs_each_report_the_period_they_were_due_for(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flow runs as a deployment's schedule makes them (its parameters only, settings from the
    environment), run months after they were due: each reports the week of its own due time."""
    from prefect.client.orchestration import get_client
    from prefect.flow_engine import run_flow
    from prefect.states import Scheduled

    from core.settings import get_settings

    smtp = rig.settings.alerts.smtp
    for name, value in {
        "EARFUL_HOME": str(rig.settings.home),
        "EARFUL_ALERTS__SMTP__HOST": str(smtp.host),
        "EARFUL_ALERTS__SMTP__PORT": str(smtp.port),
        "EARFUL_ALERTS__SMTP__STARTTLS": "false",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    parameters = {"workspace": DEFAULT_WORKSPACE, "report": "quick"}
    runs = []
    with get_client(sync_client=True) as client:
        for due in (NOW, NOW + timedelta(days=7)):
            flow_run = client.create_flow_run(
                report_flow, parameters=parameters, state=Scheduled(scheduled_time=due)
            )
            runs.append(run_flow(report_flow, flow_run=flow_run, parameters=parameters))
    get_settings.cache_clear()
    assert all(isinstance(run, ReportRun) for run in runs)
    new_york = ZoneInfo(TZ)
    assert [run.start for run in runs] == [
        datetime(2026, 3, 2, tzinfo=new_york),
        datetime(2026, 3, 9, tzinfo=new_york),
    ]
    assert [run.delivered for run in runs] == [1, 1]
    assert len(rig.receiver.received) == 2


def test_one_deployment_per_scheduled_report(rig: Rig) -> None:
    from prefect.server.schemas.schedules import IntervalSchedule

    every_day = ReportSchedule(every="1d", anchor=datetime(2026, 3, 2, 9, tzinfo=ZoneInfo(TZ)))
    rig.save(
        WEEKLY.model_copy(update={"name": "daily", "schedule": every_day, "period": "yesterday"}),
        WEEKLY.model_copy(update={"name": "by-hand", "schedule": None}),
    )
    deployments = {d.name: d for d in report_deployments(DEFAULT_WORKSPACE, settings=rig.settings)}
    assert set(deployments) == {"report-default-weekly", "report-default-daily"}
    weekly = deployments["report-default-weekly"]
    assert weekly.parameters == {"workspace": DEFAULT_WORKSPACE, "report": "weekly"}
    (cron,) = weekly.schedules or []
    assert (cron.schedule.cron, cron.schedule.timezone) == ("0 9 * * 1", TZ)  # type: ignore[union-attr]
    daily = deployments["report-default-daily"]
    (interval,) = daily.schedules or []
    assert interval.schedule.interval == timedelta(days=1)  # type: ignore[union-attr]
    # Prefect fires the deployment when Earful's schedule says, across the spring change too
    server = IntervalSchedule.model_validate(interval.schedule.model_dump())
    start, end = datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 12, tzinfo=UTC)
    dates = [d for d in asyncio.run(server.get_dates(start=start, end=end)) if d < end]
    assert dates == fire_times(every_day, TZ, start, end)


# --- the command line ------------------------------------------------------------------------------
@pytest.mark.usefixtures("prefect_harness")
def test_earful_reports_run(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from reports.cli import reports_app

    smtp = rig.settings.alerts.smtp
    monkeypatch.setenv("EARFUL_ALERTS__SMTP__HOST", str(smtp.host))
    monkeypatch.setenv("EARFUL_ALERTS__SMTP__PORT", str(smtp.port))
    monkeypatch.setenv("EARFUL_ALERTS__SMTP__STARTTLS", "false")  # the test server speaks plain SMTP
    home = ["--home", str(rig.settings.home)]
    runner = CliRunner()
    week = ["run", "quick", "--period", "2026-03-02..2026-03-08", *home]

    result = runner.invoke(reports_app, week)
    assert result.exit_code == 0, result.output
    (archived,) = rig.archive().list("quick")
    assert f"run {archived.id}" in result.output
    for entry in archived.files:
        assert f"  {rig.archive().file_path(archived.id, entry.format)}\n" in result.output
    assert "  -> brand-mail: sent\n" in result.output
    again = runner.invoke(reports_app, week)
    assert again.exit_code == 0, again.output
    assert "1 deliveries of this period were enqueued by an earlier run" in again.output
    assert len(rig.receiver.received) == 1

    quiet = runner.invoke(reports_app, ["run", "quick", "--no-deliver", "--period", "yesterday", *home])
    assert quiet.exit_code == 0, quiet.output
    assert "not delivered (--no-deliver)" in quiet.output

    rig.save(WEEKLY.model_copy(update={"name": "lost", "channels": (MAIL, "team-slack")}))
    for args, message in (
        (["run", "quick", "--period", "fortnight", *home], "error: unknown period 'fortnight'"),
        (["run", "monthly", *home], "error: no report 'monthly' in workspace 'default'"),
        (["run", "lost", *home], "does not define: team-slack (channels: brand-mail)"),
    ):
        refused = runner.invoke(reports_app, args)
        assert refused.exit_code == 2, refused.output
        assert message in refused.output
    assert len(rig.receiver.received) == 1

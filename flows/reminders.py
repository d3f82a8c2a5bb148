"""The reminders flow: each account owner's daily digest of birthdays, anniversaries and contract
renewals (`crm.reminders`), delivered through the workspace's alert channels.

One run, for one workspace, at `now`:

1. reads the staff directory (``staff.yaml``, `crm.staff`) and the channels (``channels.yaml``); a staff
   member or the defaults naming a channel that does not exist stops the run before anything is sent;
2. lists the customers and computes, per owner, the digest of their local today (`workspace_digests`):
   only owners whose local time is at or after ``crm.reminders.send_hour`` get one;
3. enqueues each digest as an `AlertMessage` in the workspace's outbox, once per recipient channel,
   under the digest's id (owner + local date): a second run the same local day enqueues nothing, so
   the owner is reminded once however often the flow runs;
4. runs dispatcher rounds (the alert pipeline's dispatcher, with its retries and held channels) until
   nothing is due now; what waits for a retry stays in the outbox for the next run or for
   `earful listen --follow`.

**Schedule.** Owners live in several zones, so the deployment runs **hourly** (``REMINDERS_CRON``):
each owner's digest goes out at the first run at or after their local ``send_hour``, and only once
that day. `reminders_deployment` gives the Prefect deployment; serve it with
``python -m flows.reminders [WORKSPACE]`` (a long-running process that needs a Prefect server or Cloud).
Tests call ``reminders_flow.fn(...)`` and never start a server.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, cast

from prefect import flow
from pydantic import BaseModel, ConfigDict, Field

from alerts.channels.base import AlertMessage, Link, MessageField, MessageSection, Severity
from alerts.outbox import DeliveryState
from core.errors import ConfigError, EarfulError
from core.models import DEFAULT_WORKSPACE, utcnow
from core.settings import ReminderSettings, Settings, get_settings
from crm.reminders import (
    KIND_LABELS,
    OwnerDigest,
    ReminderKind,
    ValueTier,
    detail,
    digest_summary,
    digest_title,
    subject,
    workspace_digests,
)
from crm.staff import StaffDirectory, workspace_staff

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

    from alerts.dispatch import Dispatcher

log = logging.getLogger(__name__)

REMINDERS_CRON = "5 * * * *"  # hourly, a few minutes past: every zone's send hour is met within the hour
MAX_DISPATCH_ROUNDS = 20  # bounds one run's delivering (a round sends up to dispatch.batch_size)
MAX_LINKS = 10  # a chat card with more buttons than this is unreadable
RULE_NAMES = {"en": "Customer reminders", "zh": "客户提醒"}


class RemindersReport(BaseModel):
    """What one run did."""

    model_config = ConfigDict(extra="forbid")

    workspace: str
    now: datetime
    digests: list[str] = Field(default_factory=list, description="Ids of the digests due in this run")
    reminders: int = 0
    enqueued: int = Field(0, description="(digest, channel) deliveries enqueued by this run")
    already_enqueued: int = Field(0, description="Deliveries an earlier run of the same day enqueued")
    delivered: int = 0
    failed: int = 0
    pending: int = 0
    without_channel: list[str] = Field(
        default_factory=list, description="Owners with reminders but no channel: listed, not delivered"
    )
    disabled_channels: dict[str, str] = Field(default_factory=dict)
    errors: list[str] = Field(default_factory=list)


def check_channels(staff: StaffDirectory, settings: ReminderSettings, known: Sequence[str]) -> None:
    """ConfigError naming every staff member (and the defaults) that names a channel not in `known`."""
    problems: list[str] = []
    for member in staff.members.values():
        for name in member.channels or ():
            if name not in known:
                problems.append(f"{staff.source}: staff member {member.id!r}: no channel {name!r}")
    for name in settings.default_channels:
        if name not in known:
            problems.append(f"crm.reminders.default_channels: no channel {name!r}")
    if problems:
        listed = ", ".join(known) or "none"
        raise ConfigError(
            "; ".join(problems) + f" (channels: {listed})", details={"errors": problems, "file": staff.source}
        )


def reminder_message(
    item: OwnerDigest, *, workspace: str, now: datetime, public_url: str | None = None
) -> AlertMessage:
    """The digest as an alert message in the recipient's language: one section per kind, one field per
    customer (key customers first, starred), links to the customers when the UI's URL is known."""
    language, digest = item.recipient.language, item.digest
    sections = []
    for kind in ReminderKind:
        reminders = [r for r in digest.reminders if r.kind is kind]
        if reminders:
            fields = tuple(
                MessageField(label=subject(r, language), value=detail(r, language)) for r in reminders
            )
            sections.append(MessageSection(title=KIND_LABELS[language][kind], fields=fields))
    links: list[Link] = []
    if public_url:
        base = public_url.rstrip("/")
        seen: dict[str, str] = {}
        for reminder in digest.reminders:
            seen.setdefault(reminder.customer_id, subject(reminder, language))
        links = [
            Link(label=label, url=f"{base}/customers/{cid}") for cid, label in list(seen.items())[:MAX_LINKS]
        ]
    return AlertMessage(
        alert_id=digest.id,
        workspace=workspace,
        rule=RULE_NAMES[language],
        title=digest_title(digest, item.recipient.name, language),
        severity=Severity.info,
        summary=digest_summary(digest, language),
        sections=tuple(sections),
        links=tuple(links),
        created_at=now,
    )


@flow(name="reminders", validate_parameters=False, log_prints=False)
def reminders_flow(
    settings: Settings | None = None,
    workspace: str = DEFAULT_WORKSPACE,
    now: datetime | None = None,
    *,
    value_tier: ValueTier | None = None,
) -> RemindersReport:
    """Enqueue and deliver the reminder digests due at `now` (default: the current time) in
    `workspace`. `value_tier` gives a customer's value tier (the scores' ``key`` sorts them first;
    default: the workspace's score store, `crm.reminders.stored_value_tiers`)."""
    from alerts.channels.catalog import workspace_channels
    from alerts.pipeline import AlertPipeline
    from alerts.store import build_alert_stores

    settings = settings or get_settings()
    now = now or utcnow()
    reminder_settings = settings.crm.reminders
    report = RemindersReport(workspace=workspace, now=now)
    channels = workspace_channels(settings, workspace=workspace)  # bad files fail before anything opens
    staff = workspace_staff(settings, workspace=workspace)
    check_channels(staff, reminder_settings, list(channels))

    due = workspace_digests(
        settings, workspace=workspace, now=now, staff=staff, value_tier=value_tier, due_only=True
    )
    stores = build_alert_stores(settings, workspace=workspace)
    try:
        stores.ensure_ready()
    except BaseException:
        stores.close()
        raise
    with AlertPipeline(stores, settings=settings, channels=channels) as alerting:  # closes the stores
        for item in due:
            report.digests.append(item.digest.id)
            report.reminders += len(item.digest.reminders)
            if not item.recipient.channels:
                report.without_channel.append(item.recipient.id)
                continue
            message = reminder_message(
                item, workspace=workspace, now=now, public_url=settings.alerts.public_url
            )
            for channel in item.recipient.channels:
                if stores.outbox.enqueue(message, channel, now=now):
                    report.enqueued += 1
                else:
                    report.already_enqueued += 1
        _deliver(alerting.dispatcher(), now, report)
        report.disabled_channels = dict(alerting.disabled_channels)
        try:
            report.pending = stores.outbox.counts()[DeliveryState.pending]
        except EarfulError as exc:
            report.errors.append(f"outbox: {exc}")
    log.info(
        "reminders in %s: %d digests (%d reminders), %d enqueued, %d delivered, %d pending, %d failed",
        workspace,
        len(report.digests),
        report.reminders,
        report.enqueued,
        report.delivered,
        report.pending,
        report.failed,
    )
    return report


def _deliver(dispatcher: Dispatcher, now: datetime, report: RemindersReport) -> None:
    # A `now` in the past (a late or replayed run) must not hide what is due at the real time.
    at = max(now, utcnow())
    for _ in range(MAX_DISPATCH_ROUNDS):
        try:
            round_ = dispatcher.run_once(at)
        except EarfulError as exc:  # the outbox is unreachable: the deliveries wait for the next run
            report.errors.append(f"dispatch: {exc}")
            return
        report.delivered += round_.sent
        report.failed += round_.failed
        if round_.handled + round_.lost_races < dispatcher.settings.batch_size:
            return


def reminders_deployment(
    workspace: str = DEFAULT_WORKSPACE, *, cron: str = REMINDERS_CRON, timezone: str = "UTC"
) -> RunnerDeployment:
    """The scheduled deployment of `reminders_flow` for `workspace` (hourly by default; see above).
    Building it contacts nothing; ``.apply()`` or ``prefect.serve`` needs a Prefect server."""
    from prefect.schedules import Cron

    deployment = reminders_flow.to_deployment(
        name=f"reminders-{workspace}",
        schedule=Cron(cron, timezone=timezone),
        parameters={"workspace": workspace},
        description="Each account owner's daily digest of customer birthdays, anniversaries and renewals",
        tags=["crm", "reminders"],
    )
    # Called outside an event loop, Prefect's sync-compatible method returns the deployment itself.
    return cast("RunnerDeployment", deployment)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m flows.reminders [WORKSPACE]``: serve the hourly deployment until interrupted."""
    from prefect import serve

    args = list(sys.argv[1:] if argv is None else argv)
    serve(reminders_deployment(args[0] if args else DEFAULT_WORKSPACE))


if __name__ == "__main__":  # pragma: no cover - a long-running server process
    main()

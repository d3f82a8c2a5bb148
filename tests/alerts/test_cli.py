"""`earful alerts`: rules, the inbox, trying and backtesting a rule on stored mentions, and the channels,
through the command line with a temporary home (SQLite; Elasticsearch under the integration marker)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from alerts.cli import alerts_app
from alerts.inbox import AlertStatus
from alerts.manage import find_alert
from alerts.store import AlertStores, build_alert_stores
from alerts.store_testing import make_alert, make_rule, message_for
from alerts.testing import Reply, WebhookReceiver
from core.errors import InvalidInput
from core.models import DEFAULT_WORKSPACE
from core.settings import Settings
from index.backends import build_mention_store
from index.testing.corpus import enriched_mention

RULES = """\
- name: Refund complaints
  owner: support
  query: refund OR chargeback
  spec: {kind: every_match}
  group_by: [author]
  channels: [oncall]
- name: Refund burst
  owner: support
  query: refund
  spec: {kind: threshold, window: 10m, min_count: 3}
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("EARFUL_STORE__BACKEND", "EARFUL_ALERTS__CHANNELS_FILE", "EARFUL_WORKSPACE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("EARFUL_NLP__TAGGER", "lexicon")  # --text tags with it: quick, no weights
    return tmp_path / "home"


def run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(alerts_app, [*args, "--home", str(home)], env={"COLUMNS": "250"})


@pytest.fixture
def stores(home: Path) -> Iterator[AlertStores]:
    with build_alert_stores(Settings(home=home), workspace=DEFAULT_WORKSPACE) as opened:
        yield opened


def rules_file(tmp_path: Path, text: str = RULES) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def write_channels(home: Path, *channels: dict[str, object]) -> Path:
    path = home / "workspaces" / DEFAULT_WORKSPACE / "channels.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"channels": list(channels)}), encoding="utf-8")
    return path


# --- rules ---------------------------------------------------------------------------------------
def test_add_a_rule_file_list_switch_and_remove(home: Path, tmp_path: Path, stores: AlertStores) -> None:
    added = run(home, "add", str(rules_file(tmp_path)))
    assert added.exit_code == 0, added.output
    assert added.stdout.count("added") == 2
    assert "channel 'oncall'" in added.stderr  # warned, not refused: channels.yaml has no oncall
    assert {r.name for r in stores.rules.list()} == {"Refund complaints", "Refund burst"}

    again = run(home, "add", str(rules_file(tmp_path)))
    assert again.stdout.count("updated") == 2  # same ids: replaced, not duplicated
    table = run(home, "rules")
    assert table.exit_code == 0
    for text in ("Refund complaints", "every_match", "threshold", "oncall", "author", "yes"):
        assert text in table.stdout

    assert run(home, "disable", "Refund burst").exit_code == 0
    listed = json.loads(run(home, "rules", "--json").stdout)
    assert {r["name"]: r["enabled"] for r in listed} == {"Refund complaints": True, "Refund burst": False}
    assert run(home, "enable", "Refund burst").exit_code == 0
    burst = next(r for r in stores.rules.list() if r.name == "Refund burst")
    assert burst.enabled

    removed = run(home, "remove", burst.id)
    assert removed.exit_code == 0
    assert "removed" in removed.stdout
    assert [r.name for r in stores.rules.list()] == ["Refund complaints"]
    unknown = run(home, "remove", "Nope")
    assert unknown.exit_code == 2
    assert unknown.stderr.strip() == "error: no rule 'Nope' in workspace 'default'"


def test_a_bad_rule_refuses_the_whole_file_with_located_errors(
    home: Path, tmp_path: Path, stores: AlertStores
) -> None:
    path = rules_file(
        tmp_path,
        "- {name: ok, owner: me, query: refund, spec: {kind: every_match}}\n"
        "- {name: bad, owner: me, query: 'refund AND', spec: {kind: threshold, window: -5m, min_count: 0}}\n",
    )
    result = run(home, "add", str(path))
    assert result.exit_code == 2
    assert f"error: {path}:rules[1].query: expected a term" in result.stderr
    assert f"{path}:rules[1].spec.threshold.min_count" in result.stderr
    assert "Traceback" not in result.output
    assert stores.rules.list() == []  # not even the good one


def test_add_a_preset(home: Path, stores: AlertStores) -> None:
    write_channels(
        home, {"name": "oncall", "kind": "webhook", "url": "https://example.com/h", "secret": "k" * 20}
    )
    vip = run(home, "add", "--preset", "vip_complaint", "--owner", "support", "--channel", "oncall")
    assert vip.exit_code == 0, vip.output
    assert vip.stderr == ""  # oncall exists: no warning
    spike = run(
        home, "add", "--preset", "negative_spike", "--owner", "me", "--param", "query=acme",
        "--param", "severity=critical",
    )  # fmt: skip
    assert spike.exit_code == 0, spike.output
    rules = {r.name: r for r in stores.rules.list()}
    assert rules["Complaint from a VIP customer"].channels == ("oncall",)
    assert rules["Negative spike: acme"].severity.value == "critical"

    missing = run(home, "add", "--preset", "negative_spike", "--owner", "me")
    assert (missing.exit_code, missing.stderr) == (2, "error: preset 'negative_spike' needs query\n")
    bad = run(home, "add", "--preset", "vip_complaint", "--owner", "me", "--param", "severity=loud")
    assert bad.exit_code == 2
    assert "preset vip_complaint:rules[0].severity" in bad.stderr
    for args in (["--preset", "vip_complaint"], ["--param", "x"], []):
        assert run(home, "add", *args).exit_code == 2


# --- inbox ---------------------------------------------------------------------------------------
def test_list_and_show_an_alert_in_full(home: Path, stores: AlertStores) -> None:
    now = datetime.now(UTC)
    older = make_alert("m1", key="author=sam", fired_at=now - timedelta(hours=2))
    newer = make_alert("m2", key="author=kim", fired_at=now - timedelta(hours=1))
    for alert in (older, newer):
        stores.alerts.add(alert)
    stores.outbox.enqueue(message_for(newer.id, DEFAULT_WORKSPACE), "support-slack", now=now)
    [record] = stores.outbox.list(alert_id=newer.id)
    claimed = stores.outbox.claim(record, now=now, lease=timedelta(minutes=2))
    assert claimed is not None
    stores.outbox.mark_retry(
        claimed, next_attempt_at=now + timedelta(minutes=1), reason="HTTP 503: down", at=now, status=503
    )

    listed = run(home, "list")
    assert listed.exit_code == 0, listed.output
    rows = [line for line in listed.stdout.splitlines() if "author=" in line]
    assert ["author=kim" in rows[0], "author=sam" in rows[1]] == [True, True]  # newest first
    assert "still waiting for my refund" in rows[0]  # the headline
    assert newer.id[:12] in rows[0]
    as_json = json.loads(run(home, "list", "--key", "author=sam", "--json").stdout)
    assert [a["id"] for a in as_json] == [older.id]
    assert run(home, "list", "--status", "resolved").stdout.strip() == "No alerts."
    assert run(home, "list", "--status", "gone").exit_code == 2

    shown = run(home, "show", newer.id[:8])
    assert shown.exit_code == 0, shown.output
    for text in (
        f"Alert {newer.id}",
        "query     intent:complaint AND tier:(gold OR platinum)",
        "current   12",
        "top terms refund (7), 退款 (3)",
        "Jane Doe  (c-42)  tier gold  open complaints 2",
        "still waiting for my refund",
        "support-slack    pending  attempts 1  status 503",
        "last reason: HTTP 503: down",
    ):
        assert text in shown.stdout, text
    detail = json.loads(run(home, "show", newer.id, "--json").stdout)
    assert detail["deliveries"][0]["attempts"] == 1
    assert detail["alert"]["explanation"]["customer"]["tier"] == "gold"


def test_ack_and_resolve_record_who_and_why(home: Path, stores: AlertStores) -> None:
    alert = make_alert("m1")
    stores.alerts.add(alert)
    acked = run(home, "ack", alert.id[:10], "--by", "ana", "--note", "on it")
    assert acked.exit_code == 0, acked.output
    assert f"acknowledged by ana: {alert.id}" in acked.stdout
    resolved = run(home, "resolve", alert.id)
    assert resolved.exit_code == 0
    stored = stores.alerts.get(alert.id)
    assert stored is not None
    assert stored.status is AlertStatus.resolved
    first = stored.history[0]
    assert (first.status.value, first.by, first.note) == ("acknowledged", "ana", "on it")
    assert stored.history[1].by  # the OS user by default
    history = run(home, "show", alert.id).stdout
    assert "acknowledged by ana  (on it)" in history


@pytest.mark.parametrize("command", ["show", "ack", "resolve"])
def test_an_unknown_alert_is_bad_input(home: Path, stores: AlertStores, command: str) -> None:
    stores.alerts.add(make_alert("m1"))
    result = run(home, command, "ffffffffff")
    assert result.exit_code == 2
    assert result.stderr == "error: no alert 'ffffffffff' in workspace 'default'\n"


def test_an_ambiguous_prefix_is_refused(stores: AlertStores) -> None:
    by_prefix: dict[str, list[str]] = {}
    for i in range(5000):  # two ids sharing 4 hex digits: the birthday bound says a few hundred
        alert = make_alert(f"m{i}")
        by_prefix.setdefault(alert.id[:4], []).append(f"m{i}")
        if len(by_prefix[alert.id[:4]]) == 2:
            break
    prefix, mentions = next((p, m) for p, m in by_prefix.items() if len(m) == 2)
    for mention in mentions:
        stores.alerts.add(make_alert(mention))
    with pytest.raises(InvalidInput, match="ambiguous"):
        find_alert(stores.alerts, prefix)
    assert find_alert(stores.alerts, make_alert(mentions[0]).id[:12]).id == make_alert(mentions[0]).id


def test_snoozing_one_key_leaves_the_others_alerting(home: Path, stores: AlertStores) -> None:
    rule = make_rule()
    sam, kim = make_alert("m1", key="author=sam"), make_alert("m2", key="author=kim")
    for alert in (sam, kim):
        stores.alerts.add(alert)
    result = run(home, "snooze", sam.id, "--for", "2h", "--by", "ana")
    assert result.exit_code == 0, result.output
    assert "for key 'author=sam' only; its other keys keep alerting" in result.stdout
    now = datetime.now(UTC)
    assert stores.alerts.is_muted(rule.id, "author=sam", now)
    assert stores.alerts.is_muted(rule.id, "author=sam", now + timedelta(hours=1, minutes=59))
    assert not stores.alerts.is_muted(rule.id, "author=sam", now + timedelta(hours=2, minutes=1))
    assert not stores.alerts.is_muted(rule.id, "author=kim", now)
    opened = json.loads(run(home, "list", "--status", "open", "--json").stdout)
    assert [a["key"] for a in opened] == ["author=kim"]
    until = run(home, "snooze", kim.id, "--until", (now + timedelta(days=1)).isoformat())
    assert until.exit_code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--for", "soon"], "error: --for: expected a duration such as 30m, 2h or 1d, got 'soon'"),
        (["--for", "0s"], "error: a snooze must end in the future"),
        (["--until", "2020-01-01T00:00"], "error: a snooze must end in the future, not at 2020-01-01"),
        (["--until", "tomorrow"], "error: --until: expected an ISO time"),
        ([], "error: give exactly one of --for"),
        (["--for", "1h", "--until", "2099-01-01"], "error: give exactly one of --for"),
    ],
)
def test_bad_snoozes_are_refused(home: Path, stores: AlertStores, args: list[str], message: str) -> None:
    alert = make_alert("m1")
    stores.alerts.add(alert)
    result = run(home, "snooze", alert.id, *args)
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    stored = stores.alerts.get(alert.id)
    assert stored is not None
    assert stored.status is AlertStatus.open


# --- trying and backtesting a rule on stored mentions -------------------------------------------
def store_mentions(home: Path, *mentions: object) -> None:
    store = build_mention_store(Settings(home=home), workspace=DEFAULT_WORKSPACE, ensure_ready=True)
    try:
        store.upsert(list(mentions))  # type: ignore[arg-type]
        store.refresh()  # searchable now, not at Elasticsearch's next periodic refresh
    finally:
        store.close()


def test_try_a_rule_on_stored_mentions_and_on_a_text(home: Path, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    store_mentions(
        home,
        enriched_mention("a", "I want a refund now", published_at=now - timedelta(days=1)),
        enriched_mention("b", "a chargeback, seriously", published_at=now - timedelta(days=2)),
        enriched_mention("c", "all good here", published_at=now - timedelta(days=1)),
        enriched_mention("d", "refund from last month", published_at=now - timedelta(days=20)),
    )
    path = rules_file(tmp_path)
    found = run(home, "test", str(path), "--rule", "Refund complaints", "--since", "7d")
    assert found.exit_code == 0, found.output
    assert "2 stored mentions of the last 7d match rule 'Refund complaints'" in found.stdout
    assert "I want a refund now" in found.stdout
    assert "last month" not in found.stdout
    assert "pick one rule" in run(home, "test", str(path)).stderr

    assert run(home, "add", str(path)).exit_code == 0
    saved = run(home, "test", "Refund complaints", "--since", "30d", "--limit", "1")
    assert "3 stored mentions of the last 30d" in saved.stdout
    assert "(the newest 1 below)" in saved.stdout

    text = run(home, "test", "Refund complaints", "--text", "Where is my REFUND?")
    assert text.exit_code == 0, text.output
    assert "the text matches rule 'Refund complaints'" in text.stdout
    assert "tagged as: lang en" in text.stdout
    miss = run(home, "test", "Refund complaints", "--text", "lovely day")
    assert "the text does not match" in miss.stdout
    assert run(home, "test", "Refund complaints", "--since", "yesterday").exit_code == 2
    assert run(home, "test", "No such rule").exit_code == 2
    typo = run(home, "test", str(tmp_path / "rulez.yaml"))
    assert (typo.exit_code, typo.stderr.startswith("error: no rule file")) == (2, True)


def test_backtest_since_fires_a_threshold_rule_when_its_window_fills(home: Path, tmp_path: Path) -> None:
    base = (datetime.now(UTC) - timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    at = [base + timedelta(minutes=m) for m in (0, 4, 12, 13)]  # docs/alerts.md's threshold example
    store_mentions(
        home,
        *(enriched_mention(f"r{i}", "refund please", published_at=t) for i, t in enumerate(at)),
        enriched_mention("x", "nice weather", published_at=base + timedelta(minutes=5)),
        enriched_mention("old", "refund", published_at=base - timedelta(days=40)),
    )
    path = rules_file(tmp_path)
    result = run(home, "backtest", str(path), "--rule", "Refund burst", "--since", "30d")
    assert result.exit_code == 0, result.output
    *decisions, summary = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(d["kind"], d["decided_at"], d["window_start"], d["count"]) for d in decisions] == [
        ("alert", iso(at[3]), iso(at[1]), 3.0)
    ]
    assert summary["summary"] | {"since": None, "until": None} == {
        "rule": "Refund burst",
        "since": None,
        "until": None,
        "mentions": 4,
        "alerts": 1,
        "recoveries": 0,
        "digests": 0,
        "late": 0,
    }
    every = run(home, "backtest", str(path), "--rule", "Refund complaints", "--since", "30d")
    assert json.loads(every.stdout.splitlines()[-1])["summary"]["alerts"] == 4  # each match, no cooldown
    assert run(home, "backtest", str(path), "--rule", "Refund burst").exit_code == 2
    counts = tmp_path / "c.csv"
    counts.write_text("2025-01-01T00:00:00Z,1\n")
    both = run(home, "backtest", str(path), "--since", "30d", "--counts", str(counts))
    assert both.exit_code == 2
    assert "exactly one of --counts" in both.stderr


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


# --- channels -----------------------------------------------------------------------------------
def test_test_channel_reaches_a_real_webhook_and_reports_a_refusal(home: Path) -> None:
    with WebhookReceiver() as good, WebhookReceiver() as refusing:
        bad_config = {**refusing.channel_config(), "name": "broken", "secret": "not-the-receivers-secret"}
        write_channels(home, {**good.channel_config(), "name": "oncall"}, bad_config)
        sent = run(home, "test-channel", "oncall")
        assert sent.exit_code == 0, sent.output
        assert sent.stdout == "oncall: sent (status 200)\n"
        [received] = good.received
        assert received.verified
        assert received.json()["title"] == "Test message from Earful to oncall"

        failed = run(home, "test-channel", "broken")
        assert failed.exit_code == 1
        assert failed.stderr.startswith("broken: failed (status 401)")
        assert [r.verified for r in refusing.received] == [False]

        good.script(Reply(503, "down", {"Retry-After": "7"}))
        retry = run(home, "test-channel", "oncall")
        assert retry.exit_code == 1
        assert retry.stderr.startswith("oncall: retry (status 503), retry after 7s")

        listed = run(home, "channels")
        assert listed.exit_code == 0
        for text in ("oncall", "broken", "webhook", "**********"):
            assert text in listed.stdout
        for result in (sent, failed, retry, listed):
            for secret in (*good.secrets(), *refusing.secrets(), "not-the-receivers-secret"):
                assert secret not in result.output
    unknown = run(home, "test-channel", "pager")
    assert unknown.exit_code == 2
    assert "error: no channel 'pager'" in unknown.stderr
    assert "channels: oncall, broken" in unknown.stderr


def test_no_channels_file_means_no_channels(home: Path) -> None:
    result = run(home, "channels")
    assert result.exit_code == 0
    assert "No channels: define them in" in result.stdout


# --- Elasticsearch -----------------------------------------------------------------------------
@pytest.mark.integration
def test_add_list_ack_and_backtest_on_elasticsearch(
    es_url: str, es_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EARFUL_STORE__BACKEND", "elasticsearch")
    monkeypatch.setenv("EARFUL_ELASTICSEARCH__HOSTS", json.dumps([es_url]))
    monkeypatch.setenv("EARFUL_ELASTICSEARCH__INDEX_PREFIX", es_prefix)
    home = tmp_path / "home"
    path = rules_file(tmp_path)
    added = run(home, "add", str(path))
    assert added.exit_code == 0, added.output
    assert "Refund burst" in run(home, "rules").stdout

    settings = Settings(home=home)
    assert settings.store.backend == "elasticsearch"
    with build_alert_stores(settings, workspace=DEFAULT_WORKSPACE) as es_stores:
        sam, kim = make_alert("m1", key="author=sam"), make_alert("m2", key="author=kim")
        for alert in (sam, kim):
            es_stores.alerts.add(alert)
        assert run(home, "ack", sam.id[:8], "--by", "ana").exit_code == 0
        assert run(home, "snooze", kim.id[:8], "--for", "1h").exit_code == 0
        stored = es_stores.alerts.get(sam.id)
        assert stored is not None
        assert stored.status is AlertStatus.acknowledged
        assert es_stores.alerts.is_muted(make_rule().id, "author=kim", datetime.now(UTC))
    listed = json.loads(run(home, "list", "--json").stdout)
    assert {a["key"]: a["status"] for a in listed} == {"author=sam": "acknowledged", "author=kim": "snoozed"}

    base = (datetime.now(UTC) - timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    at = [base + timedelta(minutes=m) for m in (0, 4, 12, 13)]
    store_mentions(
        home, *(enriched_mention(f"r{i}", "refund please", published_at=t) for i, t in enumerate(at))
    )
    result = run(home, "backtest", str(path), "--rule", "Refund burst", "--since", "7d")
    assert result.exit_code == 0, result.output
    *decisions, summary = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["decided_at"] for d in decisions] == [iso(at[3])]
    assert summary["summary"]["mentions"] == 4

"""`earful alerts`: rules (add, list, remove, switch on and off, validate, try, backtest), the inbox
(list, show, ack, snooze, resolve) and the channels (list, test). Each command parses, calls the
library (`alerts.manage`, `alerts.trial`, `alerts.backtest`, `alerts.channels.catalog`) and renders;
nothing heavy is imported at module level. Errors of the error tree print as ``error: ...`` lines and
exit with status 2 for bad input, 1 for other failures (`alerts.cli.common.reported`)."""

from __future__ import annotations

import typer

from alerts.cli import channels, inbox, rules, trial
from alerts.cli.common import reported
from alerts.cli.trial import decision_json

alerts_app = typer.Typer(
    name="alerts",
    help="Alerting: rules, the alert inbox, channels; try and backtest a rule before saving it.",
    no_args_is_help=True,
)

for _name, _command in (
    ("add", rules.add_cmd),
    ("rules", rules.rules_cmd),
    ("remove", rules.remove_cmd),
    ("enable", rules.enable_cmd),
    ("disable", rules.disable_cmd),
    ("validate", trial.validate_cmd),
    ("test", trial.try_cmd),
    ("backtest", trial.backtest_cmd),
    ("list", inbox.list_cmd),
    ("show", inbox.show_cmd),
    ("ack", inbox.ack_cmd),
    ("snooze", inbox.snooze_cmd),
    ("resolve", inbox.resolve_cmd),
    ("channels", channels.channels_cmd),
    ("test-channel", channels.probe_channel_cmd),
):
    alerts_app.command(_name)(reported(_command))

__all__ = ["alerts_app", "decision_json"]

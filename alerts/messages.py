"""From an inbox :class:`~alerts.inbox.Alert` to the platform-neutral :class:`AlertMessage` every channel
renders: a title that says what fired for which key, the severity, a one-line summary (the decision's
reason), the highlighted snippet, the explanation as titled sections of fields, and its links.

The message is rendered once, when the alert is raised, and kept on the outbox record: a retry sends
exactly what the first attempt sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import unquote

from alerts.channels.base import AlertMessage, MessageField, MessageSection
from alerts.inbox import Alert, CustomerSummary, Explanation, Ranked

# Numbers of the explanation, in the order and with the labels the "Why" section shows them.
_NUMBERS = (
    ("current", "Current"),
    ("count", "Mentions"),
    ("baseline_mean", "Baseline mean"),
    ("baseline_stdev", "Baseline deviation"),
    ("baseline_size", "Baseline windows"),
    ("k", "k"),
    ("bound", "Bound"),
    ("direction", "Direction"),
    ("window_start", "Window start"),
    ("window_end", "Window end"),
    ("suppressed", "Held back by the cooldown"),
)
_TOPS = (
    ("top_terms", "Top terms"),
    ("top_authors", "Top authors"),
    ("top_sites", "Top sites"),
    ("top_aspects", "Top aspects"),
)
_DECISION_TITLE = {"recovery": "Recovered", "digest": "Digest"}


def display_key(key: str, customer: CustomerSummary | None = None) -> str:
    """A group_by key as people read it: ``author=小明, site=example.com`` (keys are stored URL-quoted);
    ``customer=<id>`` reads as the customer's name when the alert's customer is that one."""
    parts = [unquote(part) for part in key.split("&")]
    if customer is not None and customer.name:
        parts = [f"customer={customer.name}" if p == f"customer={customer.customer_id}" else p for p in parts]
    return ", ".join(parts)


def _number(value: float | int | str) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _ranked(items: Sequence[Ranked]) -> str:
    return ", ".join(f"{item.key} ({item.count})" for item in items)


def _why(alert: Alert, explanation: Explanation) -> MessageSection:
    fields = [MessageField(label="Rule", value=alert.rule_name)]
    if explanation.query:
        fields.append(MessageField(label="Query", value=explanation.query))
    if alert.key:
        fields.append(MessageField(label="Key", value=display_key(alert.key, explanation.customer)))
    numbers = explanation.numbers
    fields += [
        MessageField(label=label, value=_number(numbers[name])) for name, label in _NUMBERS if name in numbers
    ]
    return MessageSection(title="Why", fields=tuple(fields))


def _customer(explanation: Explanation) -> MessageSection | None:
    customer = explanation.customer
    if customer is None:
        return None
    fields = [MessageField(label="Customer", value=customer.name or customer.customer_id)]
    if customer.tier:
        fields.append(MessageField(label="Tier", value=customer.tier))
    fields.append(MessageField(label="Open complaints", value=str(customer.open_complaints)))
    if customer.last_mentions:
        fields.append(MessageField(label="Last mentions", value=", ".join(customer.last_mentions)))
    return MessageSection(title="Customer", fields=tuple(fields))


def message_for(alert: Alert, *, workspace: str) -> AlertMessage:
    """The message of `alert` for `workspace`'s channels (the alert id is the delivery's idempotency key)."""
    explanation = alert.explanation
    prefix = _DECISION_TITLE.get(alert.decision)
    title = f"{prefix}: {alert.rule_name}" if prefix else alert.rule_name
    if alert.key:
        title += f" ({display_key(alert.key, explanation.customer)})"
    tops = tuple(
        MessageField(label=label, value=_ranked(getattr(explanation, name)))
        for name, label in _TOPS
        if getattr(explanation, name)
    )
    sections = [_why(alert, explanation)]
    if tops:
        sections.append(MessageSection(title="In the window", fields=tops))
    customer = _customer(explanation)
    if customer is not None:
        sections.append(customer)
    sections += explanation.sections
    reason = explanation.numbers.get("reason")
    return AlertMessage(
        alert_id=alert.id,
        workspace=workspace,
        rule=alert.rule_name,
        title=title[:300],
        severity=alert.severity,
        summary=str(reason) if reason is not None else "",
        snippet=explanation.snippet,
        sections=tuple(sections),
        links=explanation.links,
        created_at=alert.fired_at,
    )


__all__ = ["display_key", "message_for"]

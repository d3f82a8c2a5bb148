"""Slack incoming webhook, as Block Kit: a header, the summary and snippet, the explanation as fields,
the links, and a context line; ``text`` is the fallback that notifications and old clients show.

Slack answers a successful post with the plain text ``ok``; errors come as 4xx with a short code
(``invalid_payload``, ``no_service``, ``channel_not_found``...), throttling as 429 with
``Retry-After``. Limits respected here (Block Kit reference): header text 150 characters, section
text 3000, ten fields per section of 2000 each, 50 blocks.
"""

from __future__ import annotations

from typing import Any

from alerts.channels.base import AlertMessage
from alerts.channels.config import SlackChannelConfig
from alerts.channels.http import ChannelRequest, HttpChannel, PlatformReply, json_body
from alerts.channels.render import footer, headline, render_snippet

_EMOJI = {"info": ":information_source:", "warning": ":warning:", "critical": ":rotating_light:"}
MAX_BLOCKS = 50


def mrkdwn_escape(text: str) -> str:
    """Slack's required escapes; with them a user's ``<!channel>`` or ``<url|label>`` stays text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack_payload(message: AlertMessage) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _cut(headline(message), 150), "emoji": True},
        }
    ]
    lead = [f"{_EMOJI[message.severity.value]} {mrkdwn_escape(message.summary)}".strip()]
    if message.snippet:
        lead.append("> " + render_snippet(message.snippet, mrkdwn_escape, lambda t: f"*{t}*"))
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut("\n".join(lead), 3000)}})
    for section in message.sections:
        if section.title:
            text = f"*{mrkdwn_escape(section.title)}*"
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, 3000)}})
        for start in range(0, len(section.fields), 10):
            fields = [
                {
                    "type": "mrkdwn",
                    "text": _cut(f"*{mrkdwn_escape(f.label)}*\n{mrkdwn_escape(f.value)}", 2000),
                }
                for f in section.fields[start : start + 10]
            ]
            blocks.append({"type": "section", "fields": fields})
    if message.links:
        links = " · ".join(f"<{link.url}|{mrkdwn_escape(link.label)}>" for link in message.links)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut(links, 3000)}})
    context = {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn_escape(footer(message))}]}
    blocks = [*blocks[: MAX_BLOCKS - 1], context]
    fallback = headline(message) + (f": {message.summary}" if message.summary else "")
    return {"text": mrkdwn_escape(_cut(fallback, 3000)), "blocks": blocks}


class SlackChannel(HttpChannel):
    kind = "slack"
    config_model = SlackChannelConfig
    platform = PlatformReply(name="Slack", ok_text="ok")

    def build_request(self, message: AlertMessage) -> ChannelRequest:
        return ChannelRequest(url=self.url, body=json_body(slack_payload(message)))

"""WeCom group robot (企业微信群机器人), markdown message.

The robot's URL carries its key (``/cgi-bin/webhook/send?key=...``): there is no signature. Replies
are ``{"errcode": 0, "errmsg": "ok"}`` with HTTP 200 even for errors. WeCom documents a limit of 20
messages a minute per robot and a markdown ``content`` of at most 4096 bytes (UTF-8): longer content
is cut here, at a character boundary, with a marker. Codes treated as "try later", from WeCom's global
error codes: ``45009`` (API call frequency over the limit, confirmed in developers' reports; 60 s
suggested, the limit's window), ``45033`` (too many concurrent calls) and ``-1`` (system busy), the
last two from the global table as we know it, not re-checked here. Others (``93000`` invalid webhook URL,
``40008`` invalid message type, ``40058`` invalid parameter...) are refusals.
"""

from __future__ import annotations

from alerts.channels.base import AlertMessage, Severity
from alerts.channels.config import WeComChannelConfig
from alerts.channels.http import ChannelRequest, HttpChannel, PlatformReply, json_body
from alerts.channels.render import footer, headline, md_blocks, md_escape, truncate_utf8

MAX_CONTENT_BYTES = 4096
# WeCom markdown colours text with <font color="info|comment|warning">: green, grey, orange-red.
_COLOUR = {Severity.info: "info", Severity.warning: "comment", Severity.critical: "warning"}


def wecom_markdown(message: AlertMessage) -> str:
    title = f'<font color="{_COLOUR[message.severity]}">**{md_escape(headline(message))}**</font>'
    footnote = f'<font color="comment">{md_escape(footer(message))}</font>'
    return truncate_utf8("\n\n".join([title, *md_blocks(message), footnote]), MAX_CONTENT_BYTES)


class WeComChannel(HttpChannel):
    kind = "wecom"
    config_model = WeComChannelConfig
    platform = PlatformReply(
        name="WeCom",
        code_keys=("errcode",),
        rate_limited=frozenset({45009}),
        busy=frozenset({45033, -1}),
        rate_limit_wait=60.0,
    )

    def build_request(self, message: AlertMessage) -> ChannelRequest:
        payload = {"msgtype": "markdown", "markdown": {"content": wecom_markdown(message)}}
        return ChannelRequest(url=self.url, body=json_body(payload))

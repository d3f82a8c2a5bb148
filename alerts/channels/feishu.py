"""Feishu / Lark custom bot (飞书自定义机器人), as an interactive card, signed when signing is on.

Signature, as Feishu's custom-bot guide documents it: ``timestamp`` in seconds; the string to sign
``f"{timestamp}\\n{secret}"`` is the HMAC-SHA256 *key* and the message is empty; the digest is Base64
encoded. ``timestamp`` (a string) and ``sign`` go in the JSON body. Feishu refuses a timestamp more
than an hour off (``19021``). Note the difference with DingTalk, where the secret is the key.

Replies are ``{"code": 0, "msg": "success", ...}`` (older deployments also send ``StatusCode``). Codes
treated as "try later": ``9499`` "too many request" (seen in users' logs with HTTP 400; the documented
bot limit is 100 a minute and 5 a second), and ``11232``, a frequency-limit code of Feishu's messaging
API that we could not confirm for custom bots in the documentation we searched: reading a refusal as
"later" costs the outbox a few bounded retries, reading throttling as a refusal would lose the alert.
Every other code (``19001`` bad hook token, ``19021`` signature, ``19022`` IP not allowed, ``19024``
keyword missing...) is a refusal. A card is at most 30 KB: the Markdown body is cut to fit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

from alerts.channels.base import AlertMessage, Severity
from alerts.channels.config import FeishuChannelConfig
from alerts.channels.http import ChannelRequest, HttpChannel, PlatformReply, json_body
from alerts.channels.render import footer, headline, md_blocks, truncate_utf8

MAX_MARKDOWN_BYTES = 20000  # the card limit is 30 KB for the whole request
_TEMPLATE = {Severity.info: "blue", Severity.warning: "orange", Severity.critical: "red"}


def feishu_sign(secret: str, timestamp: int) -> str:
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


def feishu_card(message: AlertMessage) -> dict[str, Any]:
    # lark_md has no block quotes: the snippet is a paragraph of its own, its marks in bold.
    body = truncate_utf8("\n\n".join(md_blocks(message, quote_snippet=False)), MAX_MARKDOWN_BYTES)
    elements: list[dict[str, Any]] = []
    if body:
        elements.append({"tag": "div", "text": {"tag": "lark_md", "content": body}})
    elements.append({"tag": "note", "elements": [{"tag": "plain_text", "content": footer(message)}]})
    return {
        "config": {"wide_screen_mode": True},
        "header": {
            "title": {"tag": "plain_text", "content": headline(message)},
            "template": _TEMPLATE[message.severity],
        },
        "elements": elements,
    }


class FeishuChannel(HttpChannel):
    kind = "feishu"
    config_model = FeishuChannelConfig
    platform = PlatformReply(
        name="Feishu",
        code_keys=("code", "StatusCode"),
        message_keys=("msg", "StatusMessage"),
        rate_limited=frozenset({9499, 11232}),
    )

    def build_request(self, message: AlertMessage) -> ChannelRequest:
        payload: dict[str, Any] = {"msg_type": "interactive", "card": feishu_card(message)}
        if self.signing_secret is not None:
            timestamp = int(time.time())
            payload = {
                "timestamp": str(timestamp),
                "sign": feishu_sign(self.signing_secret, timestamp),
                **payload,
            }
        return ChannelRequest(url=self.url, body=json_body(payload))

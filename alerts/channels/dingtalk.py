"""DingTalk custom robot (钉钉自定义机器人), markdown message, signed when the robot uses 加签.

Signature, as DingTalk's "custom robot access" guide documents it (and its Java/Python samples do):
``timestamp`` is the current time in milliseconds; the string to sign is ``f"{timestamp}\\n{secret}"``;
HMAC-SHA256 keyed with the secret, Base64, then URL-encoded (UTF-8); both go in the query string as
``&timestamp=...&sign=...``. DingTalk refuses a timestamp more than an hour off.

Replies are ``{"errcode": 0, "errmsg": "ok"}``, with HTTP 200 even for errors. Codes treated as
"try later": ``130101`` "send too fast, exceed 20 times per minute" (the documented limit is 20
messages a minute per robot, so 60 s is suggested), ``90030`` "webhook over limit" (a quota that
resets; known from users' reports rather than the error-code page), ``-1`` "system busy".
Everything else (``300001`` bad token, ``310000`` sign/keyword/IP check failed, ``460101``
message too long...) is a refusal. Messages over 20000 bytes are refused (``460101``): the text is
cut to fit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import quote_plus

from alerts.channels.base import AlertMessage
from alerts.channels.config import DingTalkChannelConfig
from alerts.channels.http import ChannelRequest, HttpChannel, PlatformReply, json_body
from alerts.channels.render import headline, render_markdown, truncate_utf8

MAX_TEXT_BYTES = 18000  # under the 20000-byte message limit, leaving room for the JSON around it


def hmac_sha256_base64(key: str, message: str) -> str:
    return base64.b64encode(
        hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).digest()
    ).decode("ascii")


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """The ``sign`` query value, already URL-encoded as DingTalk's guide says to append it."""
    return quote_plus(hmac_sha256_base64(secret, f"{timestamp_ms}\n{secret}"))


def signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"


class DingTalkChannel(HttpChannel):
    kind = "dingtalk"
    config_model = DingTalkChannelConfig
    platform = PlatformReply(
        name="DingTalk",
        code_keys=("errcode",),
        rate_limited=frozenset({130101, 90030}),
        busy=frozenset({-1}),
        rate_limit_wait=60.0,
    )

    def build_request(self, message: AlertMessage) -> ChannelRequest:
        text = truncate_utf8(render_markdown(message), MAX_TEXT_BYTES)
        # The title is what the conversation list and notifications show.
        payload = {"msgtype": "markdown", "markdown": {"title": headline(message)[:64], "text": text}}
        url = self.url
        if self.signing_secret is not None:
            url = signed_url(url, self.signing_secret, int(time.time() * 1000))
        return ChannelRequest(url=url, body=json_body(payload))

"""The one classification of HTTP answers shared by the five HTTP channels, and secret scrubbing."""

from __future__ import annotations

import json

import httpx
import pytest

from alerts.channels.base import Delivery, Outcome, scrub, secret_fragments
from alerts.channels.dingtalk import DingTalkChannel
from alerts.channels.feishu import FeishuChannel
from alerts.channels.http import HttpChannel, PlatformReply, classify_response
from alerts.channels.slack import SlackChannel
from alerts.channels.wecom import WeComChannel

NOW = 1_700_000_000.0


def _classify(
    status: int,
    body: object = b"",
    headers: dict[str, str] | None = None,
    platform: PlatformReply | None = None,
) -> Delivery:
    text = body if isinstance(body, (bytes, str)) else json.dumps(body)
    data = text if isinstance(text, bytes) else text.encode()
    return classify_response(status, httpx.Headers(headers or {}), data, platform, now=NOW)


@pytest.mark.parametrize(
    ("status", "headers", "outcome", "wait"),
    [
        (200, {}, Outcome.sent, None),
        (204, {}, Outcome.sent, None),
        (429, {"Retry-After": "7"}, Outcome.retry, 7.0),
        (429, {}, Outcome.retry, None),
        (503, {"Retry-After": "Tue, 14 Nov 2023 22:13:40 GMT"}, Outcome.retry, 20.0),
        (503, {"Retry-After": "soon"}, Outcome.retry, None),  # unreadable: the outbox's own backoff
        (500, {}, Outcome.retry, None),
        (502, {}, Outcome.retry, None),
        (408, {}, Outcome.retry, None),
        (400, {}, Outcome.failed, None),
        (401, {}, Outcome.failed, None),
        (403, {}, Outcome.failed, None),
        (404, {}, Outcome.failed, None),
        (410, {}, Outcome.failed, None),
        (301, {"Location": "https://elsewhere"}, Outcome.failed, None),
    ],
)
def test_http_statuses(status: int, headers: dict[str, str], outcome: Outcome, wait: float | None) -> None:
    delivery = _classify(status, b"body words", headers)
    assert delivery.outcome is outcome
    assert delivery.status == status
    assert delivery.retry_after == wait
    assert bool(delivery.reason) is (outcome is not Outcome.sent)


def test_reason_keeps_the_refusal_words_and_stays_short() -> None:
    delivery = _classify(400, "invalid_payload " + "x" * 1000)
    assert delivery.reason.startswith("HTTP 400 Bad Request: invalid_payload")
    assert len(delivery.reason) < 400


@pytest.mark.parametrize(
    ("channel", "status", "body", "outcome", "wait"),
    [
        (DingTalkChannel, 200, {"errcode": 0, "errmsg": "ok"}, Outcome.sent, None),
        (DingTalkChannel, 200, {"errcode": 130101, "errmsg": "send too fast"}, Outcome.retry, 60.0),
        (DingTalkChannel, 200, {"errcode": 90030, "errmsg": "webhook over limit"}, Outcome.retry, 60.0),
        (DingTalkChannel, 200, {"errcode": -1, "errmsg": "system busy"}, Outcome.retry, None),
        (DingTalkChannel, 200, {"errcode": 310000, "errmsg": "sign not match"}, Outcome.failed, None),
        (DingTalkChannel, 200, {"errcode": 300001, "errmsg": "token is not exist"}, Outcome.failed, None),
        (WeComChannel, 200, {"errcode": 0, "errmsg": "ok"}, Outcome.sent, None),
        (WeComChannel, 200, {"errcode": 45009, "errmsg": "api freq out of limit"}, Outcome.retry, 60.0),
        (WeComChannel, 200, {"errcode": 93000, "errmsg": "invalid webhook url"}, Outcome.failed, None),
        (FeishuChannel, 200, {"code": 0, "msg": "success", "data": {}}, Outcome.sent, None),
        (FeishuChannel, 200, {"StatusCode": 0, "StatusMessage": "success"}, Outcome.sent, None),
        (FeishuChannel, 400, {"code": 9499, "msg": "too many request"}, Outcome.retry, None),
        (FeishuChannel, 200, {"code": 11232, "msg": "frequency limited"}, Outcome.retry, None),
        (FeishuChannel, 200, {"code": 19021, "msg": "sign match fail"}, Outcome.failed, None),
        (FeishuChannel, 400, {"code": 19001, "msg": "param invalid"}, Outcome.failed, None),
        (FeishuChannel, 200, "<html>a proxy page</html>", Outcome.sent, None),  # no code: the status rules
        (SlackChannel, 200, "ok", Outcome.sent, None),
        (SlackChannel, 200, "invalid_token", Outcome.failed, None),
        (SlackChannel, 404, "no_service", Outcome.failed, None),
        (SlackChannel, 429, "rate_limited", Outcome.retry, None),
    ],
)
def test_platform_answers(
    channel: type[HttpChannel], status: int, body: object, outcome: Outcome, wait: float | None
) -> None:
    delivery = _classify(status, body, platform=channel.platform)
    assert delivery.outcome is outcome, delivery
    assert delivery.retry_after == wait
    if outcome is not Outcome.sent:
        assert delivery.reason


def test_platform_reason_names_the_platform_and_code() -> None:
    delivery = _classify(
        200, {"errcode": 310000, "errmsg": "sign not match"}, platform=DingTalkChannel.platform
    )
    assert delivery.reason == "DingTalk error 310000: sign not match"


def test_a_429_wins_over_a_success_code_in_its_body() -> None:
    delivery = _classify(429, {"code": 0}, {"Retry-After": "3"}, platform=FeishuChannel.platform)
    assert delivery.outcome is Outcome.retry
    assert delivery.retry_after == 3.0


def test_secret_fragments_and_scrub() -> None:
    url = "https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef0123456789abcdef"
    pieces = secret_fragments(url)
    assert "0123456789abcdef0123456789abcdef" in pieces
    assert "robot" not in pieces
    assert "send" not in pieces
    token = "0123456789abcdef0123456789abcdef"
    text = f"no hook at /robot/send?access_token={token}, token {token}"
    scrubbed = scrub(text, [url, *pieces])
    assert "0123456789abcdef" not in scrubbed
    assert scrubbed.startswith("no hook at ***")
    slack = secret_fragments("https://hooks.slack.com/services/T0001/B0002/abcdefghijklmnopqrstuvwx")
    assert "abcdefghijklmnopqrstuvwx" in slack
    assert "services" not in slack

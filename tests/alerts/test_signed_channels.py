"""Signatures: Earful's webhook (HMAC over timestamp.body, replay window), DingTalk's and Feishu's as
their guides document them, each checked against a worked example and a real local receiver."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
from pathlib import Path

import pytest

from alerts.channels import AlertMessage, Outcome, build_channel
from alerts.channels.config import DingTalkChannelConfig, FeishuChannelConfig, WebhookChannelConfig
from alerts.channels.dingtalk import MAX_TEXT_BYTES, dingtalk_sign, hmac_sha256_base64, signed_url
from alerts.channels.feishu import feishu_sign
from alerts.channels.webhook import verify_webhook_signature, webhook_signature
from alerts.testing import (
    DingTalkReceiver,
    FeishuReceiver,
    WebhookReceiver,
    channel_settings,
    make_alert_message,
)

# --- Earful's webhook ------------------------------------------------------------------------------

SECRET = "whsec-0123456789abcdef"


def test_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    body = b'{"title":"x"}'
    expected = hmac.new(SECRET.encode(), b'1700000000.{"title":"x"}', hashlib.sha256).hexdigest()
    assert webhook_signature(SECRET, 1700000000, body) == f"sha256={expected}"


def test_verify_accepts_a_fresh_signature_and_rejects_tampering_and_replays() -> None:
    body = b'{"alert_id":"a1"}'
    now = 1_700_000_000
    good = webhook_signature(SECRET, now, body)
    assert verify_webhook_signature(SECRET, body, str(now), good, now=now + 299)
    assert verify_webhook_signature(SECRET.encode(), body, str(now), good, now=now - 299)  # clocks differ
    assert not verify_webhook_signature(SECRET, body + b" ", str(now), good, now=now)  # body changed
    assert not verify_webhook_signature("another-secret-000000", body, str(now), good, now=now)
    assert not verify_webhook_signature(SECRET, body, str(now + 1), good, now=now)  # timestamp changed
    assert not verify_webhook_signature(SECRET, body, str(now), good, now=now + 301)  # a replay, too late
    assert not verify_webhook_signature(SECRET, body, str(now), good, now=now - 301)  # from the future
    assert not verify_webhook_signature(SECRET, body, None, good, now=now)
    assert not verify_webhook_signature(SECRET, body, "-5", good, now=now)
    assert not verify_webhook_signature(SECRET, body, str(now), None, now=now)
    assert not verify_webhook_signature(SECRET, body, str(now), good.upper(), now=now)


def test_webhook_delivery_is_verified_and_deduplicable(tmp_path: Path) -> None:
    message = make_alert_message()
    with WebhookReceiver(secret=SECRET) as receiver:
        config = WebhookChannelConfig(name="hook", url=receiver.url, secret=SECRET)
        with build_channel(config, channel_settings(tmp_path)) as channel:  # type: ignore[attr-defined]
            assert channel.send(message).ok
            assert channel.send(message).ok  # a retry by the outbox: same delivery id
        first, second = receiver.accepted
        for request in (first, second):
            assert verify_webhook_signature(
                SECRET,
                request.body,
                request.header("X-Earful-Timestamp"),
                request.header("X-Earful-Signature"),
            )
            assert request.header("X-Earful-Delivery") == message.alert_id
            assert request.header("Content-Type") == "application/json; charset=utf-8"
        assert AlertMessage.model_validate_json(first.body) == message  # the body is the message


def test_webhook_with_the_wrong_secret_is_failed_not_retried(tmp_path: Path) -> None:
    with WebhookReceiver(secret=SECRET) as receiver:
        config = WebhookChannelConfig(name="hook", url=receiver.url, secret="not-the-receivers-secret")
        delivery = build_channel(config, channel_settings(tmp_path)).send(make_alert_message())
    assert delivery.outcome is Outcome.failed
    assert delivery.status == 401
    assert "bad signature" in delivery.reason


# --- DingTalk --------------------------------------------------------------------------------------


def test_dingtalk_documented_hmac_base64_urlencode_example() -> None:
    """DingTalk's signature FAQ gives one worked example with its output (appSecret "testappSecret",
    timestamp 1546084445901): HmacSHA256 keyed with the secret, Base64, then urlEncode. The robot's
    signature is that same chain over f"{timestamp}\\n{secret}"."""
    sign = urllib.parse.quote_plus(hmac_sha256_base64("testappSecret", "1546084445901"))
    assert sign == "HCbG3xNE3vzhO%2Bu7qCUL1jS5hsu2n5r2cFhnTrtyDAE%3D"


def test_dingtalk_robot_sign_follows_the_guides_python_sample() -> None:
    """The custom-robot guide's Python sample, step by step, for a fixed timestamp and its secret."""
    timestamp, secret = "1577262236757", "this is secret"
    string_to_sign = f"{timestamp}\n{secret}"
    hmac_code = hmac.new(
        secret.encode("utf-8"), string_to_sign.encode("utf-8"), digestmod=hashlib.sha256
    ).digest()
    documented = urllib.parse.quote_plus(base64.b64encode(hmac_code))
    assert dingtalk_sign(secret, int(timestamp)) == documented
    assert "%2B" in documented or "%2F" in documented or "%3D" in documented  # the encoding matters


def test_dingtalk_signed_url_appends_timestamp_and_sign() -> None:
    url = signed_url("https://oapi.dingtalk.com/robot/send?access_token=abc", "SECx", 1577262236757)
    assert url.startswith(
        "https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1577262236757&sign="
    )
    assert url.endswith(dingtalk_sign("SECx", 1577262236757))
    assert signed_url("http://h/robot/send", "s", 1).startswith("http://h/robot/send?timestamp=1&sign=")


def test_dingtalk_receiver_accepts_the_signed_request(tmp_path: Path) -> None:
    with DingTalkReceiver(secret="SEC-robot-secret") as receiver:
        config = DingTalkChannelConfig(name="d", webhook_url=receiver.url, secret="SEC-robot-secret")
        before = time.time() * 1000
        assert build_channel(config, channel_settings(tmp_path)).send(make_alert_message()).ok
        (request,) = receiver.accepted
    assert before - 1000 <= int(request.query["timestamp"]) <= time.time() * 1000  # milliseconds
    payload = request.json()
    assert payload["msgtype"] == "markdown"
    assert payload["markdown"]["title"] == "[CRITICAL] Complaint from a gold customer"


@pytest.mark.parametrize("secret", ["SEC-wrong", None])
def test_dingtalk_wrong_or_missing_secret_is_failed(tmp_path: Path, secret: str | None) -> None:
    with DingTalkReceiver(secret="SEC-robot-secret") as receiver:
        config = DingTalkChannelConfig(name="d", webhook_url=receiver.url, secret=secret)
        delivery = build_channel(config, channel_settings(tmp_path)).send(make_alert_message())
    assert delivery.outcome is Outcome.failed
    assert delivery.reason == "DingTalk error 310000: sign not match"


def test_dingtalk_unsigned_robot(tmp_path: Path) -> None:
    with DingTalkReceiver(secret=None) as receiver:
        config = DingTalkChannelConfig(name="d", webhook_url=receiver.url)
        assert build_channel(config, channel_settings(tmp_path)).send(make_alert_message()).ok
        assert "sign" not in receiver.accepted[0].query


def test_dingtalk_long_message_is_cut_under_its_limit(tmp_path: Path) -> None:
    long = make_alert_message(summary="投诉 " * 8000)  # about 56 KB of UTF-8
    with DingTalkReceiver() as receiver:
        config = DingTalkChannelConfig(name="d", webhook_url=receiver.url, secret=receiver.secret)
        assert build_channel(config, channel_settings(tmp_path)).send(long).ok
        text = receiver.accepted[0].json()["markdown"]["text"]
    assert len(text.encode()) <= MAX_TEXT_BYTES
    assert text.endswith("…")


# --- Feishu ----------------------------------------------------------------------------------------


def test_feishu_documented_example() -> None:
    """Feishu's guide: key = f"{timestamp}\\n{secret}", empty message, Base64; its example timestamp
    1599360473 with secret "demo" gives this value (also asserted by independent public clients)."""
    assert feishu_sign("demo", 1599360473) == "l1N0gAcBjdwBvGm1xMjOF0XSyaLRpR7tuO5dHfhAYc8="
    # The secret is not the key, unlike DingTalk: a common mistake gives another value.
    wrong = base64.b64encode(hmac.new(b"demo", b"1599360473\ndemo", hashlib.sha256).digest()).decode()
    assert feishu_sign("demo", 1599360473) != wrong


def test_feishu_receiver_accepts_the_signed_card(tmp_path: Path) -> None:
    with FeishuReceiver(secret="lark-secret") as receiver:
        config = FeishuChannelConfig(name="f", webhook_url=receiver.url, secret="lark-secret")
        assert build_channel(config, channel_settings(tmp_path)).send(make_alert_message()).ok
        payload = receiver.accepted[0].json()
    assert isinstance(payload["timestamp"], str)
    assert abs(int(payload["timestamp"]) - time.time()) < 5  # seconds
    assert payload["msg_type"] == "interactive"
    card = payload["card"]
    assert card["header"]["template"] == "red"
    assert card["header"]["title"]["content"] == "[CRITICAL] Complaint from a gold customer"
    assert card["elements"][-1]["tag"] == "note"
    assert "**refund**" in json.dumps(card, ensure_ascii=False)


def test_feishu_wrong_secret_is_failed(tmp_path: Path) -> None:
    with FeishuReceiver(secret="lark-secret") as receiver:
        config = FeishuChannelConfig(name="f", webhook_url=receiver.url, secret="not-it")
        delivery = build_channel(config, channel_settings(tmp_path)).send(make_alert_message())
    assert delivery.outcome is Outcome.failed
    assert delivery.reason.startswith("Feishu error 19021")


def test_feishu_unsigned_bot(tmp_path: Path) -> None:
    with FeishuReceiver(secret=None) as receiver:
        config = FeishuChannelConfig(name="f", webhook_url=receiver.url)
        assert build_channel(config, channel_settings(tmp_path)).send(make_alert_message()).ok
        assert "sign" not in receiver.accepted[0].json()

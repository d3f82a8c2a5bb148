"""How each platform receives the message: Slack's blocks, WeCom's truncation, Markdown escaping."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

from alerts.channels import MessageField, MessageSection, build_channel
from alerts.channels.config import WeComChannelConfig
from alerts.channels.render import md_escape, render_markdown, snippet_parts, truncate_utf8
from alerts.channels.slack import slack_payload
from alerts.channels.wecom import MAX_CONTENT_BYTES, wecom_markdown
from alerts.testing import WeComReceiver, channel_settings, make_alert_message


def test_snippet_marks_are_parsed_and_unescaped() -> None:
    assert snippet_parts("a &amp; <em>b&lt;c</em> d <i>e</i>") == [
        ("a & ", False),
        ("b<c", True),
        (" d <i>e</i>", False),  # only <em> is markup; the rest stays text (and is escaped later)
    ]
    assert snippet_parts("<em>x</em>") == [("x", True)]


def test_slack_block_kit_shape() -> None:
    payload = slack_payload(make_alert_message())
    blocks = payload["blocks"]
    assert (
        payload["text"]
        == "[CRITICAL] Complaint from a gold customer: Jane Doe (gold) complained about a refund on twitter."
    )
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "[CRITICAL] Complaint from a gold customer", "emoji": True},
    }
    assert blocks[1]["type"] == "section"
    assert blocks[1]["text"]["type"] == "mrkdwn"
    assert "> I am still waiting for my *refund* &amp; nobody answers" in blocks[1]["text"]["text"]
    fields = [b for b in blocks if "fields" in b]
    assert fields[0]["fields"][1] == {"type": "mrkdwn", "text": "*Matches in window*\n12 (baseline 3.1, k=3)"}
    assert "<https://earful.example/m/123|Mention>" in blocks[-2]["text"]["text"]
    assert blocks[-1]["type"] == "context"
    assert "alert-7f3a9c" in blocks[-1]["elements"][0]["text"]


def test_slack_limits_and_escaping() -> None:
    many = MessageSection(
        title="Top terms", fields=tuple(MessageField(label=f"t{i}", value="v" * 3000) for i in range(25))
    )
    payload = slack_payload(make_alert_message(title="<!channel> " + "x" * 200, sections=(many,)))
    blocks = payload["blocks"]
    header = blocks[0]["text"]["text"]
    assert len(header) <= 150
    assert [len(b["fields"]) for b in blocks if "fields" in b] == [10, 10, 5]
    assert all(len(f["text"]) <= 2000 for b in blocks if "fields" in b for f in b["fields"])
    assert "<!channel>" not in payload["text"]  # no mass mention from user text
    assert "&lt;!channel&gt;" in payload["text"]
    huge = make_alert_message(sections=tuple(many for _ in range(15)))
    assert len(slack_payload(huge)["blocks"]) == 50
    assert slack_payload(huge)["blocks"][-1]["type"] == "context"


def test_markdown_escapes_user_text_but_renders_marks() -> None:
    message = make_alert_message(
        summary="**urgent** [click](https://evil.example) <font color=red>x</font> _y_",
        snippet="price <em>*50%*</em> off",
    )
    text = render_markdown(message)
    assert (
        r"\*\*urgent\*\* \[click\](https://evil.example) &lt;font color=red&gt;x&lt;/font&gt; \_y\_" in text
    )
    assert r"> price **\*50%\***" in text
    assert "[Mention](https://earful.example/m/123)" in text
    assert md_escape("# heading\n  # too") == "\\# heading\n  \\# too"


def test_truncate_utf8_never_splits_a_character() -> None:
    text = "投诉" * 100  # 3 bytes each
    cut = truncate_utf8(text, 100)
    assert len(cut.encode()) <= 100
    assert cut.endswith("\n…")
    cut.encode("utf-8")  # valid
    assert truncate_utf8("short", 100) == "short"


def test_wecom_content_is_cut_to_4096_bytes_and_accepted(tmp_path: Path) -> None:
    long = make_alert_message(summary="客户投诉退款问题 " * 1000)
    content = wecom_markdown(long)
    assert len(content.encode()) <= MAX_CONTENT_BYTES
    assert content.startswith(
        '<font color="warning">**\\[CRITICAL\\] Complaint from a gold customer**</font>'
    )
    with WeComReceiver() as receiver:  # the receiver refuses content over 4096 bytes (errcode 40058)
        with closing(
            build_channel(WeComChannelConfig(name="w", webhook_url=receiver.url), channel_settings(tmp_path))
        ) as channel:
            assert channel.send(long).ok
        assert receiver.accepted[0].json()["markdown"]["content"] == content


def test_wecom_receiver_refuses_an_oversized_message(tmp_path: Path) -> None:
    """The receiver enforces the documented limit, so the test above means something."""
    with WeComReceiver() as receiver:
        problem = receiver.check(
            "/cgi-bin/webhook/send",
            {"key": receiver.token},
            {},
            ('{"msgtype":"markdown","markdown":{"content":"' + "x" * 5000 + '"}}').encode(),
        )
    assert problem == "content exceed max length"

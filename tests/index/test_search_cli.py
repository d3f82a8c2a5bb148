"""`earful search`: the query language over a real SQLite store, highlights, facets and located errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from core.errors import InvalidInput
from core.models import DEFAULT_WORKSPACE, Sentiment, SentimentLabel
from core.settings import get_settings
from index.backends.sqlite import SQLiteMentionStore
from index.cli.search import markup_fragment, parse_since, search_cmd
from index.testing.corpus import enriched_mention

NOW = datetime.now(UTC)

app = typer.Typer()
app.command()(search_cmd)
runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("EARFUL_HOME", str(tmp_path))
    monkeypatch.setenv("EARFUL_STORE__BACKEND", "sqlite")
    get_settings.cache_clear()
    negative = Sentiment(label=SentimentLabel.negative, score=-0.8, confidence=0.9)
    with SQLiteMentionStore(workspace=DEFAULT_WORKSPACE, path=tmp_path / "earful.db") as store:
        store.ensure_ready()
        store.upsert(
            [
                enriched_mention(
                    "late",
                    "I want a refund, the delivery was so late [bold]",
                    sentiment=negative,
                    published_at=NOW - timedelta(hours=1),
                ),
                enriched_mention(
                    "slow",
                    "Money back please: shipping was slower than ever",
                    published_at=NOW - timedelta(days=2),
                ),
                enriched_mention(
                    "zh", "这个手机的电池很差，充电太慢", lang="zh", published_at=NOW - timedelta(days=20)
                ),
                enriched_mention("other", "lovely weather today", published_at=NOW - timedelta(hours=3)),
            ]
        )
    yield tmp_path
    get_settings.cache_clear()


def test_query_language_hits_highlights_and_facets(home: Path) -> None:
    result = runner.invoke(
        app, ['(refund OR "money back") NEAR/5 (late OR slow*)', "--json", "--facets", "lang,sentiment"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["total"] == 2
    texts = [hit["mention"]["text"] for hit in payload["hits"]]
    assert texts[0].startswith("I want a refund")  # newest first by default
    first = payload["hits"][0]["highlights"]["text"]
    assert any("<em>refund</em>" in fragment for fragment in first)
    assert {b["key"]: b["count"] for b in payload["facets"]["sentiment"]} == {"negative": 1, "neutral": 1}


def test_chinese_proximity_and_since(home: Path) -> None:
    result = runner.invoke(app, ["手机 NEAR/1 电池", "--json"])
    assert result.exit_code == 0, result.output
    assert [h["mention"]["lang"] for h in json.loads(result.output)["hits"]] == ["zh"]
    result = runner.invoke(app, ["手机 NEAR/1 电池", "--json", "--since", "7d"])
    assert json.loads(result.output)["total"] == 0


def test_table_output_marks_matches_and_escapes_markup(home: Path) -> None:
    result = runner.invoke(app, ["refund", "--sort", "oldest"])
    assert result.exit_code == 0, result.output
    assert "1 mentions match 'refund'" in result.output
    assert "[bold]" in result.output  # the mention's own text, escaped, not eaten as markup


def test_invalid_query_exits_2_with_caret(home: Path) -> None:
    result = runner.invoke(app, ["(refund OR late"])
    assert result.exit_code == 2
    assert "(refund OR late\n               ^\ncolumn 16: expected ')'" in result.output


def test_plain_text_option_still_works(home: Path) -> None:
    result = runner.invoke(app, ["--text", "shipping slower", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["total"] == 1


def test_search_reads_one_workspace_default_unless_told(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with SQLiteMentionStore(workspace="acme", path=home / "earful.db") as store:
        store.upsert([enriched_mention("acme-1", "acme wants a refund too", published_at=NOW)])

    def ids(*args: str) -> list[str]:
        result = runner.invoke(app, ["refund", "--json", *args])
        assert result.exit_code == 0, result.output
        return sorted(hit["mention"]["native_id"] for hit in json.loads(result.output)["hits"])

    assert ids() == ids("--workspace", "default") == ["late"]  # the default workspace's only
    assert ids("--workspace", "acme") == ids("-w", "acme") == ["acme-1"]
    assert ids("--workspace", "beta") == []  # a workspace without data is empty, not an error
    monkeypatch.setenv("EARFUL_WORKSPACE", "acme")
    assert ids() == ["acme-1"]
    assert ids("--workspace", "default") == ["late"]  # the option wins over the environment


@pytest.mark.parametrize("name", ["Acme", "a b", "-acme", "x" * 64, "../etc"])
def test_a_bad_workspace_fails_before_the_store_is_opened(home: Path, name: str) -> None:
    (home / "earful.db").unlink()
    result = runner.invoke(app, ["refund", "--workspace", name])
    assert isinstance(result.exception, InvalidInput)  # the root prints it as one JSON line, exit 2
    assert str(result.exception).startswith("--workspace (EARFUL_WORKSPACE): invalid workspace id")
    assert not (home / "earful.db").exists()


def test_markup_fragment_escapes_everything_but_the_marks() -> None:
    assert markup_fragment("a [b] <em>refund</em> c") == "a \\[b] [bold yellow]refund[/] c"
    assert markup_fragment("<em>手机</em>的<em>电池</em>") == "[bold yellow]手机[/]的[bold yellow]电池[/]"
    assert markup_fragment("x < y") == "x < y"


def test_parse_since() -> None:
    assert parse_since("2d", NOW) == NOW - timedelta(days=2)

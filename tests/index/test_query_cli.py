"""`earful query check`: the tree, the warnings, the compiled Elasticsearch query, and located errors."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from core.errors import InvalidInput
from index.backends.elasticsearch import compile_query
from index.cli.query import query_app, tree_lines
from index.query import parse
from index.query.ast import to_dict
from index.query.to_es import compile_es

runner = CliRunner()


def test_valid_query_prints_tree_warnings_and_es_query() -> None:
    query = '(refund OR "money back") NEAR/5 (late OR slow*) and #fail'
    result = runner.invoke(query_app, ["check", query])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Canonical: " in out
    assert "  Near distance=5 ordered=false" in out
    assert '      Phrase tokens=["money", "back"]' in out
    assert '        Wildcard pattern="slow*"' in out
    # the lowercase 'and' is a word (and warned about, with its column)
    assert f"column {query.index(' and ') + 2}:" in out
    assert "[lowercase_operator]" in out
    es_json = out.split("Elasticsearch query (workspace default):\n", 1)[1]
    compiled = json.loads(es_json)
    # what the backend sends: the workspace's filter scopes every search
    assert compiled == {
        "bool": {"filter": [{"term": {"workspace": "default"}}], "must": [compile_es(parse(query))]}
    }
    assert '"rewrite": "top_terms_1024"' in es_json


def test_json_output_is_the_ast_dict_and_compiled_query() -> None:
    query = "手机 NEAR/3 (电池 OR 充电) -author:bot"
    result = runner.invoke(query_app, ["check", "--json", query])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    ast = parse(query)
    assert payload["ok"] is True
    assert payload["ast"] == to_dict(ast)
    assert payload["warnings"] == []
    assert payload["workspace"] == "default"
    assert payload["elasticsearch"] == {
        "bool": {"filter": [{"term": {"workspace": "default"}}], "must": [compile_es(ast)]}
    }
    assert payload["canonical"] == "手机 NEAR/3 (电池 OR 充电) AND NOT author:bot"


def test_the_compiled_query_is_the_workspaces() -> None:
    ast = parse("refund NEAR/3 late")
    for args in (["-w", "acme"], ["--workspace", "acme"]):
        result = runner.invoke(query_app, ["check", "--json", *args, "refund NEAR/3 late"])
        assert result.exit_code == 0, result.output
        payload = json.loads(result.output)
        assert payload["workspace"] == "acme"
        assert payload["elasticsearch"] == compile_query("acme", node=ast)
        assert payload["elasticsearch"]["bool"]["filter"] == [{"term": {"workspace": "acme"}}]
    result = runner.invoke(query_app, ["check", "-w", "acme", "refund"])
    assert "Elasticsearch query (workspace acme):" in result.output
    result = runner.invoke(query_app, ["check", "-w", "ACME", "refund"])
    assert isinstance(result.exception, InvalidInput)


def test_warnings_have_positions_in_json() -> None:
    result = runner.invoke(query_app, ["check", "--json", "refund NEAR/80 late or slow"])
    assert result.exit_code == 0, result.output
    codes = {(w["code"], w["column"]) for w in json.loads(result.output)["warnings"]}
    assert ("large_distance", 8) in codes
    assert ("lowercase_operator", 21) in codes


def test_invalid_query_exits_2_with_caret() -> None:
    result = runner.invoke(query_app, ["check", "(a OR b"])
    assert result.exit_code == 2
    assert result.output == (
        "(a OR b\n       ^\ncolumn 8: expected ')' to close the '(' at column 1, found the end of the query\n"
    )


def test_invalid_query_json_exits_2() -> None:
    result = runner.invoke(query_app, ["check", "--json", "a NEAR/3 NOT b"])
    assert result.exit_code == 2
    payload = json.loads(result.output)
    assert payload["ok"] is False
    assert payload["error"]["position"] == 9
    assert payload["error"]["rendered"].startswith("a NEAR/3 NOT b\n         ^\ncolumn 10: NOT cannot")


def test_tree_lines_nests_children() -> None:
    assert tree_lines(to_dict(parse("apple -pie"))) == [
        "And",
        '  Term text="apple"',
        "  Not",
        '    Term text="pie"',
    ]

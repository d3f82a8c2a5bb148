"""`earful crm import` of orders and interactions (kind guessed or given), `crm interaction add`,
`crm timeline` and the new sections of `crm show`, on SQLite."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.settings import get_settings
from crm.cli import crm_app

CUSTOMERS = (
    "客户编码,客户名称,客户等级,地址,邮编,联系人,开户银行,银行账号,合同编号,信用,画像同意\n"
    "C001,Ana Lima,gold,1 Rua Augusta,1100-048,Rui|+351 912 345 678||buyer,BPI,PT50 0010 0000 1234 5678 9,"
    "HT-1;HT-2,good,yes\n"
    "C002,Bo Chen,,,,,,,,,\n"
)
ORDERS = (
    "customer_code,order_id,ordered_at,amount,currency,products,channel\n"
    "C001,A1,2026-02-01 10:00,100.50,CNY,tea,tmall\n"
    "C001,A2,2026-02-03 10:00,20,CNY,cups,jd\n"
    "C009,A3,2026-02-03,20,CNY,,\n"
)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("EARFUL_HOME", str(tmp_path))
    monkeypatch.setenv("EARFUL_STORE__BACKEND", "sqlite")
    get_settings.cache_clear()
    (tmp_path / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
    (tmp_path / "orders.csv").write_text(ORDERS, encoding="utf-8")
    yield tmp_path
    get_settings.cache_clear()


def test_import_add_show_and_timeline(home: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(crm_app, ["import", str(home / "customers.csv")])
    assert result.exit_code == 0, result.output
    assert "imported 2 customers: 2 new, 0 updated, 0 unchanged; 0 rows rejected" in result.output

    result = runner.invoke(crm_app, ["import", str(home / "orders.csv"), "--timezone", "Asia/Shanghai"])
    assert result.exit_code == 1, result.output  # a rejected row: reported, and the exit code says so
    assert "imported 2 orders: 2 new, 0 updated, 0 unchanged; 1 rows rejected" in result.output
    assert "  orders.csv:4: unknown customer code 'C009'" in result.output
    # scores follow every order import, the open cases counted from the case store
    assert re.search(r"^scores recomputed in \d+\.\d\ds: 1 customers scored, 1 skipped$", result.output, re.M)
    again = runner.invoke(
        crm_app, ["import", str(home / "orders.csv"), "--kind", "orders", "--timezone", "Asia/Shanghai"]
    )
    assert "imported 2 orders: 0 new, 0 updated, 2 unchanged" in again.output
    assert (
        runner.invoke(crm_app, ["import", str(home / "orders.csv"), "--timezone", "Mars/Base"]).exit_code == 2
    )
    wrong = runner.invoke(crm_app, ["import", str(home / "orders.csv"), "--kind", "interactions"])
    assert wrong.exit_code == 2
    assert "bad header" in wrong.output

    add = ["interaction", "add", "c001", "--channel", "微信", "--at", "2026-02-02 09:30", "--staff", "li.wei"]
    result = runner.invoke(crm_app, [*add, "--notes", "sent the invoice", "--cost", "3"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("recorded for C001: 2026-02-02T09:30  wechat")
    assert runner.invoke(crm_app, [*add, "--notes", "sent the invoice", "--cost", "3"]).output.startswith(
        "unchanged"
    )
    assert runner.invoke(crm_app, [*add, "--channel", "pigeon"]).exit_code == 2
    assert runner.invoke(crm_app, ["interaction", "add", "NOPE", "--channel", "phone"]).exit_code == 2

    result = runner.invoke(crm_app, ["show", "C001"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "address   1 Rua Augusta 1100-048" in out
    assert "contacts  Rui (buyer) +351 912 345 678" in out
    assert "bank      BPI ****6789" in out
    assert "0010" not in out
    assert "contracts HT-1, HT-2" in out
    assert "credit    good" in out
    assert "interactions: 1" in out
    assert "sent the invoice" in out
    assert "orders: 2  total 120.50 CNY  first 2026-02-01  last 2026-02-03" in out
    assert re.search(r"^score \(\d{4}-\d\d-\d\d\): RFM \d{3} [a-z' ]+, value tier key, CLV ", out, re.M), out
    assert re.search(r"^churn risk: \d\.\d\d$", out, re.M), out
    view = json.loads(runner.invoke(crm_app, ["show", "C001", "--json"]).output)
    assert view["customer"]["bank_account"] == "****6789"
    assert view["orders"]["count"] == 2
    assert view["orders"]["totals"] == {"CNY": "120.50"}
    assert view["interactions"]["latest"][0]["channel"] == "wechat"
    assert view["score"]["value"]["tier"] == "key"

    result = runner.invoke(crm_app, ["timeline", "C001", "--limit", "2"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Ana Lima (C001): timeline, newest first"
    assert "order       order A2: 20 CNY via jd  [A2]" in lines[1]
    assert lines[1].lstrip().startswith("2026-02-03 10:00")  # in the zone it was given in
    assert "interaction wechat by li.wei" in lines[3]
    assert lines[-1] == "more: --offset 2"
    page = json.loads(runner.invoke(crm_app, ["timeline", "C001", "--offset", "2", "--json"]).output)
    assert [e["ref"] for e in page["entries"]] == ["A1"]
    assert page["next_offset"] is None
    assert "(nothing yet)" in runner.invoke(crm_app, ["timeline", "C002"]).output


def test_the_timeline_tells_the_cases_story_for_whoever_takes_over(home: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(crm_app, ["import", str(home / "customers.csv")]).exit_code == 0
    opened = runner.invoke(crm_app, ["case", "open", "C002", "--title", "parcel lost", "--by", "li"])
    assert opened.exit_code == 0, opened.output
    case_id = re.search(r"opened case (\S+) for C002", opened.output).group(1)  # type: ignore[union-attr]
    note = runner.invoke(crm_app, ["case", "note", case_id, "已联系快递公司，明天回复", "--by", "li"])
    assert note.exit_code == 0, note.output
    moved = runner.invoke(crm_app, ["case", "status", case_id, "pending", "--by", "li"])
    assert moved.exit_code == 0, moved.output

    page = json.loads(runner.invoke(crm_app, ["timeline", "C002", "--json"]).output)
    kinds = [(e["kind"], e["title"]) for e in page["entries"]]
    assert ("case note", "li") in kinds
    assert any(k == "case" and t.startswith("case opened: parcel lost") for k, t in kinds)
    assert any(k == "case" and "status: new -> pending" in t for k, t in kinds)
    assert any(e["detail"] == "已联系快递公司，明天回复" for e in page["entries"])
    text = runner.invoke(crm_app, ["timeline", "C002"]).output
    assert "case opened: parcel lost (by li)" in text

"""The duplicate matcher (crm/identity/matcher.py): its string similarity against published values, its
fields and blocks, and the FEBRL 4 check (bench/febrl.py) at the shipped threshold."""

from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path

import pytest

from core.models import Contact, Customer, Handle
from crm.identity.matcher import (
    DEFAULT_MIN_SCORE,
    IdentityRecord,
    find_duplicates,
    score_of,
    weight_for,
)
from crm.identity.similarity import jaro, jaro_winkler, token_similarity, tokens


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [  # Winkler (1990) and the usual textbook pairs
        ("martha", "marhta", 0.961),
        ("dwayne", "duane", 0.840),
        ("dixon", "dicksonx", 0.813),
        ("", "", 0.0),
        ("abc", "", 0.0),
        ("same", "same", 1.0),
    ],
)
def test_jaro_winkler_published_values(a: str, b: str, expected: float) -> None:
    assert jaro_winkler(a, b) == pytest.approx(expected, abs=0.001)


def test_jaro_and_tokens() -> None:
    assert jaro("martha", "marhta") == pytest.approx(0.944, abs=0.001)
    assert tokens("  Ána  LIMA ") == ("ana", "lima")
    assert tokens("王小明") == ("王", "小", "明")
    assert token_similarity(("lima", "ana"), ("ana", "lima")) == (1.0, 0)
    sim, unpaired = token_similarity(("ana",), ("ana", "maria", "lima"))
    assert (sim, unpaired) == (1.0, 2)
    assert token_similarity((), ("ana",)) == (0.0, 0)


def test_score_and_weight_are_inverse() -> None:
    for score in (0.1, 0.5, DEFAULT_MIN_SCORE, 0.999):
        assert score_of(weight_for(score)) == pytest.approx(score)


def record(code: str, **fields: object) -> IdentityRecord:
    return IdentityRecord(id=code.lower(), code=code, **fields)  # type: ignore[arg-type]


def test_fuzzy_fields_find_a_typo_ridden_copy_and_say_why() -> None:
    first = record(
        "A",
        name="Michaela Neumann",
        address="8 stanley street miami",
        city="Winston Hills",
        postcode="4223",
        birthday="19151111",
    )
    copy = record(
        "B",
        name="Neumann Micheala",
        address="8 stanley st miami",
        city="Winston Hils",
        postcode="4223",
        birthday="19151111",
    )
    stranger = record("C", name="Michaela Brown", postcode="4223", birthday="19800101", city="Dapto")
    found = find_duplicates([stranger, copy, first])
    assert [(c.first_code, c.second_code) for c in found] == [("A", "B")]
    reasons = found[0].reasons
    assert "same birthday" in reasons
    assert "same postal code" in reasons
    assert "same name" in reasons  # word order ignored, one transposition: 0.99
    assert any(r.startswith(("same address", "addresses alike")) for r in reasons)
    assert found[0].score >= DEFAULT_MIN_SCORE
    everything = find_duplicates([stranger, copy, first], min_score=0.0)
    low = [c for c in everything if "c" in (c.first, c.second)]
    assert low
    assert all(c.score < 0.01 and "birthdays differ" in c.reasons for c in low)


def test_a_shared_key_alone_is_a_candidate_but_a_different_name_holds_it_back() -> None:
    ana = Customer(code="C1", name="Ana Lima", contacts=(Contact(kind="phone", value="+86 138 0013 8000"),))
    twin = Customer(code="C2", name="Ana Lima", contacts=(Contact(kind="phone", value="8613800138000"),))
    husband = Customer(code="C3", name="João Lima", contacts=(Contact(kind="phone", value="+8613800138000"),))
    found = find_duplicates([IdentityRecord.from_customer(c) for c in (ana, twin, husband)], min_score=0.0)
    scores = {(c.first_code, c.second_code): c for c in found}
    assert scores[("C1", "C2")].score >= DEFAULT_MIN_SCORE
    assert scores[("C1", "C2")].reasons[0] == "same phone ***8000"
    assert scores[("C1", "C3")].score < DEFAULT_MIN_SCORE  # a family's landline


def test_from_customer_maps_keys_and_birthday() -> None:
    customer = Customer(
        code="C1",
        name="Ana",
        birthday=date(1990, 4, 1),
        city="Lisbon",
        contacts=(Contact(kind="email", value=" Ana@Example.com "),),
        handles=(Handle(platform=" Demo ", handle="ana", user_id="u1"), Handle(platform="x", handle="ana")),
    )
    mapped = IdentityRecord.from_customer(customer)
    assert mapped.keys == ("email:ana@example.com", "user_id:demo:u1")
    assert (mapped.birthday, mapped.city, mapped.id) == ("19900401", "Lisbon", customer.id)


def _bench_febrl() -> object:
    path = Path(__file__).resolve().parents[2] / "bench" / "febrl.py"
    spec = importlib.util.spec_from_file_location("bench_febrl", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_febrl4_precision_and_recall_at_the_shipped_threshold(capsys: pytest.CaptureFixture[str]) -> None:
    """The shipped configuration: no soc_sec_id, `DEFAULT_MIN_SCORE` (the figures: bench/febrl.py)."""
    precision, recall = _bench_febrl().report_febrl()  # type: ignore[attr-defined]
    assert precision >= 0.99
    assert recall >= 0.90
    out = capsys.readouterr().out.splitlines()
    assert out[-2:] == [f"febrl_precision={precision:.4f}", f"febrl_recall={recall:.4f}"]

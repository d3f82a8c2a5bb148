"""reports.labels: every report word in English and Chinese, and no key used that the table lacks."""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import get_args

import pytest

import reports.render
from alerts.channels.base import Severity
from alerts.inbox import AlertStatus
from alerts.rules import KINDS
from core.models import AspectLabel, IntentLabel, SentimentLabel, Tier
from crm.scores.pareto import ValueTier
from index.base import Interval
from reports.brands import BrandRole
from reports.labels import REPORT_LABELS, report_label, report_labels
from reports.period import PERIOD_NAMES
from reports.render.html import GLOSSARY

RENDER = Path(reports.render.__file__).parent
CJK = re.compile(r"[\u4e00-\u9fff]")


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_label_has_both_languages() -> None:
    bad = {
        key: texts
        for key, texts in REPORT_LABELS.items()
        if not (texts[0].strip() and texts[1].strip())
        or fields(texts[0]) != fields(texts[1])  # both take the same {fields}
        or not CJK.search(texts[1])  # the Chinese text is Chinese
        or CJK.search(texts[0])
    }
    assert bad == {}


def test_labels_by_language() -> None:
    assert report_label("section.summary", "zh") == "概览"
    assert report_label("period.last-N-days", "en", days=14) == "Last 14 days"
    assert report_labels("zh")["col.brand"] == "品牌"
    with pytest.raises(KeyError):
        report_label("section.nope", "en")
    with pytest.raises(TypeError):
        report_labels("en")["col.brand"] = "x"  # type: ignore[index]


def test_every_category_value_has_a_label() -> None:
    """Values a report shows by name: every enum member (and every alert kind, severity, status)."""
    values = {
        "sentiment": [label.value for label in SentimentLabel],
        "intent": [label.value for label in IntentLabel],
        "aspect": [label.value for label in AspectLabel],
        "tier": [tier.value for tier in Tier],
        "value_tier": [tier.value for tier in ValueTier],
        "role": [role.value for role in BrandRole],
        "interval": list(get_args(Interval)),
        "period": list(PERIOD_NAMES),
        "alert_status": [status.value for status in AlertStatus],
        "alert_kind": list(KINDS),
        "severity": [severity.value for severity in Severity],
        "glossary": list(GLOSSARY),
    }
    missing = [
        f"{kind}.{value}"
        for kind, names in values.items()
        for value in names
        if f"{kind}.{value}" not in REPORT_LABELS
    ]
    assert not missing
    assert all(f"glossary.{key}.term" in REPORT_LABELS for key in GLOSSARY)


def _used_keys() -> tuple[set[str], set[str]]:
    """The label keys the template and the renderers name: exact keys, and prefixes of keys built at
    render time (``t("sentiment." ~ value)``, ``words[f"chart.{section}.title"]``)."""
    exact: set[str] = set()
    prefixes: set[str] = set()
    template = (RENDER / "templates" / "report.html").read_text()
    for key, concatenated in re.findall(r'\bt\("([^"]+)"(\s*~)?', template):
        (prefixes if concatenated else exact).add(key)
    for path in RENDER.glob("*.py"):
        source = path.read_text()
        for key in re.findall(r'\b(?:words|labels)\["([^"{]+)"\]', source):
            exact.add(key)
        for key in re.findall(r'\b(?:words|labels)\[f"([^"{]*)\{', source):
            prefixes.add(key)
        exact.update(f"col.{key}" for key in re.findall(r'\bcol\("([^"]+)"', source))
        exact.update(f"table.{key}" for key in re.findall(r'\btable\(\s*"([^"]+)"', source))
    return exact, prefixes


def test_rendering_uses_no_label_missing_from_the_table() -> None:
    exact, prefixes = _used_keys()
    assert len(exact) > 60
    assert "section.summary" in exact
    assert "col.brand" in exact
    assert sorted(exact - set(REPORT_LABELS)) == []
    for prefix in prefixes:
        assert any(key.startswith(prefix) for key in REPORT_LABELS), prefix

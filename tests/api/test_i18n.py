"""Labels and language: every label in both languages, every key the UI uses defined once, and the
language a request gets (cookie, then the user's, then Accept-Language, then English)."""

from __future__ import annotations

import importlib
import pkgutil
import re
import string
from pathlib import Path

import pytest

import api.web.labels
from api.web.i18n import from_accept_language, labels, negotiate, supported, translate
from api.web.render import NAV
from core.models import AspectLabel, IntentLabel, SentimentLabel

API = Path(__file__).resolve().parents[2] / "api"
TEMPLATES = API / "web" / "templates"
# t("key") / t('key') with a literal key (a key built with ~ or + is checked through its vocabulary below).
TEMPLATE_KEY = re.compile(r"""\bt\(\s*(["'])([^"']+)\1\s*[,)]""")
PYTHON_KEY = re.compile(r"""\btranslate\(\s*(["'])([^"']+)\1\s*[,)]""")


def label_modules() -> dict[str, dict[str, tuple[str, str]]]:
    return {
        info.name: importlib.import_module(f"api.web.labels.{info.name}").LABELS
        for info in pkgutil.iter_modules(api.web.labels.__path__)
    }


def test_every_label_has_english_and_chinese_text() -> None:
    assert len(labels()) > 50
    for key, texts in labels().items():
        assert isinstance(texts, tuple), key
        assert len(texts) == 2, key
        english, chinese = texts
        assert english.strip(), key
        assert chinese.strip(), key


def test_both_texts_of_a_label_take_the_same_parameters() -> None:
    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    for key, (english, chinese) in labels().items():
        assert fields(english) == fields(chinese), key


def test_keys_are_unique_across_modules_and_named_after_their_module() -> None:
    seen: dict[str, str] = {}
    for module, module_labels in label_modules().items():
        for key in module_labels:
            assert key not in seen, f"{key} in both {seen.get(key)} and {module}"
            assert key.startswith(f"{module}."), f"{key} belongs in labels/{key.split('.')[0]}.py"
            seen[key] = module
    assert set(seen) == set(labels())


def test_every_key_used_in_templates_and_code_exists() -> None:
    used: dict[str, str] = {}
    for path in TEMPLATES.rglob("*.html"):
        used |= {m.group(2): str(path) for m in TEMPLATE_KEY.finditer(path.read_text())}
    for path in API.rglob("*.py"):
        used |= {m.group(2): str(path) for m in PYTHON_KEY.finditer(path.read_text())}
    used |= {key: "api/web/render.py NAV" for _, key in NAV}
    assert "common.login.heading" in used  # the scan finds keys at all
    missing = {key: where for key, where in used.items() if key not in labels()}
    assert missing == {}


def test_keys_built_from_a_vocabulary_exist_for_each_of_its_values() -> None:
    # _macros.html builds chip labels from values; base.html the role and language names.
    vocabularies = {
        "common.sentiment": [*SentimentLabel, "mixed"],
        "common.intent": list(IntentLabel),
        "common.aspect": list(AspectLabel),
        "common.role": ["admin", "analyst", "agent", "viewer"],
        "common.language": ["en", "zh"],
    }
    for prefix, values in vocabularies.items():
        for value in values:
            assert f"{prefix}.{value}" in labels()


def test_translate_picks_the_language_and_fills_parameters() -> None:
    assert translate("common.nav.explore", "en") == "Explore"
    assert translate("common.nav.explore", "zh") == "探索"
    assert translate("common.pagination.page_of", "zh", page=2, pages=5) == "第 2 页，共 5 页"
    assert translate("common.nav.alerts", "fr") == "Alerts"  # unsupported: English
    with pytest.raises(KeyError):
        translate("common.no_such_label", "en")


@pytest.mark.parametrize(
    ("code", "expected"),
    [("zh", "zh"), ("zh-CN", "zh"), ("zh_TW", "zh"), ("ZH", "zh"), ("en-GB", "en"), ("fr", None), ("", None)],
)
def test_supported_reduces_a_tag_to_a_supported_language(code: str, expected: str | None) -> None:
    assert supported(code) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("en-US,en;q=0.9,zh;q=0.8", "en"),
        ("fr-FR,fr;q=0.9,zh;q=0.5,en;q=0.4", "zh"),
        ("en;q=0.3, zh;q=0.7", "zh"),
        ("de, fr", None),
        ("zh;q=0, en;q=0.1", "en"),
        ("zh;q=oops", None),
        (None, None),
    ],
)
def test_accept_language_gives_the_most_preferred_supported_language(
    header: str | None, expected: str | None
) -> None:
    assert from_accept_language(header) == expected


def test_negotiation_order_is_cookie_then_user_then_browser_then_english() -> None:
    assert negotiate("zh", "en", "en") == "zh"
    assert negotiate("xx", "zh", "en") == "zh"  # a bad cookie is ignored
    assert negotiate(None, "en", "zh-CN") == "en"
    assert negotiate(None, None, "zh-CN,zh;q=0.9") == "zh"
    assert negotiate(None, None, "fr") == "en"
    assert negotiate(None, None, None) == "en"

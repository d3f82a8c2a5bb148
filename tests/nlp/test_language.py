"""Language detection: scripts first, CLD2 with a stopword check for Latin text, 'und' when unsure."""

from __future__ import annotations

import pytest

from nlp.language import LanguageDetector, detect_language, normalize_lang

CASES = [
    ("This is not good at all, the battery died after a week", "en"),
    ("Love it", "en"),
    ("这个耳机音质很好，但是电池不行", "zh"),
    ("這個耳機音質很好", "zh"),  # Traditional is 'zh' too
    ("好", "zh"),  # one Han character is enough
    ("@KestrelleSupport 隼星 K7 Pro相机切换到录像就闪退。 #隼星", "zh"),  # handles and tags ignored
    ("Aria 耳机音质很好 really", "zh"),
    ("Le service était horrible", "fr"),  # CLD2 says English here; the stopwords overrule it
    ("Der Akku ist nicht gut", "de"),
    ("このヘッドホンは最高です", "ja"),  # kana among Han
    ("배터리가 좋아요", "ko"),
    ("Это ужасно", "ru"),
    ("ok", "und"),
    ("#Munchbird https://example.com", "und"),
    ("", "und"),
    ("12345 !!!", "und"),
]


@pytest.mark.parametrize(("text", "lang"), CASES)
def test_detect(text: str, lang: str) -> None:
    assert detect_language(text) == lang


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("This is not good at all, the battery died after a week", "en"),
        ("这个耳机音质很好", "zh"),
        ("Le service était horrible et la nourriture froide", "fr"),
        ("このヘッドホンは最高です", "ja"),
        ("ok", "und"),
    ],
)
def test_detect_without_cld2(text: str, lang: str) -> None:
    detector = LanguageDetector(use_cld2=False)
    assert detector.detect(text) == lang
    assert detector.model.version.endswith("+scripts")


def test_model_names_cld2_when_it_is_used() -> None:
    assert LanguageDetector().model.name == "earful-langid"
    assert LanguageDetector().model.version.startswith("1.0.0+cld2-0.")  # pycld2 is a dependency


def test_hint_settles_only_undetermined_text() -> None:
    detector = LanguageDetector()
    assert detector.detect("ok", hint="zh-TW") == "zh"
    assert detector.detect("This is really not good at all", hint="fr") == "en"


@pytest.mark.parametrize(
    ("tag", "lang"),
    [("zh-TW", "zh"), ("zh_Hans", "zh"), ("EN-us", "en"), ("en", "en"), ("x", "und"), ("", "und")],
)
def test_normalize_lang(tag: str, lang: str) -> None:
    assert normalize_lang(tag) == lang

"""index.analysis: the one tokenisation every engine shares (Elasticsearch, SQLite, the matcher)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.analysis import (
    Analysis,
    analyze,
    bigrams,
    is_cjk,
    normalize,
    normalize_with_offsets,
    query_words,
    stem,
    tokenize,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello WORLD", "hello world"),
        ("ＡＢＣ１２３", "abc123"),  # full width to half width
        ("Ｈｅｌｌｏ，世界！", "hello,世界!"),  # full-width punctuation too
        ("Café Über naïve", "cafe uber naive"),  # accents stripped
        ("Straße STRASSE", "strasse strasse"),  # case folded, not just lowered
        ("ﬁne", "fine"),  # compatibility ligature
        ("這個耳機的電池", "这个耳机的电池"),  # Traditional to Simplified
        ("", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_offsets_map_every_normalised_character_to_its_source() -> None:
    normalized, offsets = normalize_with_offsets("aßＢ這")
    assert normalized == "assb这"
    assert offsets == [0, 1, 1, 2, 3]  # ß became two characters, both from index 1


def test_tokens_words_and_cjk_characters() -> None:
    text = "Ｈｅｌｌｏ, 這個耳機! don't it’s café foo_bar iPhone15"
    tokens = tokenize(text)
    assert [t.text for t in tokens] == [
        "hello",
        "这",
        "个",
        "耳",
        "机",
        "dont",
        "its",
        "cafe",
        "foo",
        "bar",
        "iphone15",
    ]
    assert [t.position for t in tokens] == list(range(len(tokens)))
    assert [t.cjk for t in tokens] == [
        False,
        True,
        True,
        True,
        True,
        False,
        False,
        False,
        False,
        False,
        False,
    ]
    # offsets point into the original text, for highlighting
    assert [text[t.start : t.end] for t in tokens] == [
        "Ｈｅｌｌｏ",
        "這",
        "個",
        "耳",
        "機",
        "don't",
        "it’s",
        "café",
        "foo",
        "bar",
        "iPhone15",
    ]


def test_kana_is_one_token_per_character() -> None:
    assert [t.text for t in tokenize("カタカナのテスト")] == ["カ", "タ", "カ", "ナ", "の", "テ", "ス", "ト"]
    assert [is_cjk(c) for c in "カ耳a，"] == [True, True, False, False]


def test_voiced_kana_keep_their_mark() -> None:
    assert [t.text for t in tokenize("です")] == ["で", "す"]
    assert [t.text for t in tokenize("バス")] == ["バ", "ス"]
    assert [t.text for t in tokenize("Crème")] == ["creme"]


def test_no_tokens_in_punctuation_or_space() -> None:
    assert tokenize(" !!! ，。… ") == []
    assert tokenize("") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("耳机和电池", "耳机 机和 和电 电池"),
        ("你好，世界", "你好 世界"),  # punctuation breaks a run
        ("耳机 电池", "耳机 电池"),  # so does a space
        ("耳机abc电池", "耳机 电池"),  # and a word
        ("我 love 你", "我 你"),  # a lone character stays a unigram
        ("這個耳機", "这个 个耳 耳机"),  # after normalisation
        ("only english words", ""),
    ],
)
def test_bigrams_stay_inside_runs(text: str, expected: str) -> None:
    assert analyze(text).bigrams == expected
    assert " ".join(bigrams(tokenize(text))) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("flights", "flight"),
        ("flight", "flight"),
        ("running", "run"),
        ("batteries", "batteri"),
        ("battery", "batteri"),
        ("delayed", "delay"),
        ("is", "is"),  # shorter than three letters: unchanged
        ("iphone15", "iphone15"),  # not purely alphabetic
        ("2026", "2026"),
        ("耳", "耳"),
        ("привет", "привет"),  # not English
    ],
)
def test_stem(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_analyze_streams_are_aligned() -> None:
    analysis = analyze("Flights DELAYED 耳機 Café")
    assert analysis == Analysis(
        terms="flights delayed 耳 机 cafe", stems="flight delay 耳 机 cafe", bigrams="耳机"
    )
    assert len(analysis.terms.split()) == len(analysis.stems.split())


@pytest.mark.parametrize("text", [None, "", "   ", "!!!"])
def test_analyze_empty(text: str | None) -> None:
    assert analyze(text) == Analysis("", "", "")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Flights", [["flight"]]),
        ("ＦＬＩＧＨＴＳ delayed", [["flight"], ["delay"]]),
        ("耳機質量", [["耳", "机", "质", "量"]]),  # one run, Traditional folded
        ("耳机，质量", [["耳", "机"], ["质", "量"]]),  # punctuation splits runs
        ("耳机 质量", [["耳", "机"], ["质", "量"]]),
        ("Acme耳机battery", [["acm"], ["耳", "机"], ["batteri"]]),  # words are stemmed
        ("", []),
        (" !!! ", []),
    ],
)
def test_query_words(query: str, expected: list[list[str]]) -> None:
    assert query_words(query) == expected


# Characters whose OpenCC conversion does not depend on context, so a token can be compared with
# its source character converted alone.
_ALPHABET = st.sampled_from(list("abcXYZéÉüß019 ,.!'’_-ＡＢ１，。這個耳機電池质量カナ\n\t"))


@settings(max_examples=300, deadline=None)
@given(st.text(_ALPHABET, max_size=40))
def test_tokens_point_into_the_original(text: str) -> None:
    tokens = tokenize(text)
    analysis = analyze(text)
    assert analysis.terms == " ".join(t.text for t in tokens)
    assert len(analysis.stems.split()) == len(tokens)
    previous_end = 0
    for position, token in enumerate(tokens):
        assert token.position == position
        assert 0 <= token.start < token.end <= len(text)
        assert token.start >= previous_end  # tokens never overlap
        previous_end = token.end
        source = normalize(text[token.start : token.end]).replace("'", "").replace("’", "")
        assert source == token.text
        assert token.text
        assert " " not in token.text
    for gram in analysis.bigrams.split():
        assert 1 <= len(gram) <= 2
        assert all(is_cjk(c) for c in gram)

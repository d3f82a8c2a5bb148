"""LexiconTagger on real sentences in English and Chinese (its contract: tests/contracts/test_tagger.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from core.models import IntentLabel, SentimentLabel
from core.registry import TAGGERS
from nlp.lexicon import ChineseSentiment, LexiconTagger
from nlp.testing import raw_mention

P, N, U, Z = SentimentLabel.positive, SentimentLabel.negative, SentimentLabel.neutral, SentimentLabel.unscored


@pytest.fixture(scope="module")
def warm() -> LexiconTagger:
    tagger = LexiconTagger()
    tagger.warm_up()
    return tagger


def test_model_ref_names_the_lexicon_and_vader() -> None:
    model = LexiconTagger().model
    assert model.name == "earful-lexicon"
    assert model.version == "1.0.0+vader3.3.2"


def test_nothing_heavy_is_loaded_at_import() -> None:
    code = (
        "import sys, nlp.lexicon, nlp.enricher; "
        "t = nlp.lexicon.LexiconTagger(); "
        "print(any(m.startswith(('vaderSentiment', 'opencc', 'pycld2')) for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("I love these headphones, the sound is amazing!", P),
        ("Smooth flight, friendly crew and we landed early. Great experience.", P),
        ("not good", N),
        ("The battery is not good at all.", N),
        ("Waited 90 minutes and the food arrived cold. This is unacceptable.", N),
        ("The app crashes every time I open the settings.", N),  # domain word added to VADER
        (
            "The battery drains overnight doing nothing. Awful.",
            N,
        ),  # per sentence: 'nothing' does not negate 'Awful'
        ("The new model ships in March.", U),
        ("Is the charger included in the box", U),
    ],
)
def test_english_sentiment(warm: LexiconTagger, text: str, label: SentimentLabel) -> None:
    tags = warm.tag_text(text)
    assert tags.lang == "en"
    assert tags.sentiment is not None
    assert tags.sentiment.label is label, tags.sentiment


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("耳机音质很好，非常满意。", P),
        ("不好", N),  # negation flips the next sentiment word
        ("这个耳机不好用", N),
        ("服务不太好", N),  # negator before a degree adverb: mildly negative
        ("不是不好", P),  # double negation
        ("戴了一整天也不累", P),  # negated negative word
        ("没问题，很流畅", P),
        ("等了一个小时，送到的饭全凉了，太差了。", N),
        ("再也不买了", N),
        ("不推荐", N),
        ("虽然价格有点贵，但是音质真的很棒", P),  # what follows the contrast outweighs
        ("音质很棒，但是续航太差了", N),
        ("這家外送很快，服務很好，推薦！", P),  # Traditional, converted before matching
        ("航班延誤了五個小時，很失望。", N),
        ("钴翼航空宣布明年三月开通直飞大阪航线。", U),
        ("值不值得买？", U),  # shielded phrase, not 'not worth it'
    ],
)
def test_chinese_sentiment(warm: LexiconTagger, text: str, label: SentimentLabel) -> None:
    tags = warm.tag_text(text)
    assert tags.lang == "zh"
    assert tags.sentiment is not None
    assert tags.sentiment.label is label, tags.sentiment


def test_negation_window_is_two_characters() -> None:
    zh = ChineseSentiment()
    assert zh.score("不好") < 0
    assert zh.score("不太好") < 0
    assert zh.score("不知道为什么很好") > 0  # 不 is too far from 好 to negate it
    assert zh.score("不，好") > 0  # punctuation ends the negation
    assert zh.score("太好了") > zh.score("好") > zh.score("有点好") > 0


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Le service était vraiment horrible, je ne recommande pas.", "fr"),
        ("El servicio fue horrible y la comida llegó fría.", "es"),
        ("このヘッドホンは最高です", "ja"),
        ("배터리가 정말 좋아요", "ko"),
    ],
)
def test_other_languages_are_unscored(warm: LexiconTagger, text: str, lang: str) -> None:
    tags = warm.tag_text(text)
    assert tags.lang == lang
    assert tags.sentiment is not None
    assert tags.sentiment.label is Z
    assert tags.sentiment.score == 0
    assert tags.intents == ()


def test_scores_and_confidences_are_bounded(warm: LexiconTagger) -> None:
    tags = warm.tag_text("Amazing amazing amazing, best ever, love love love!!!")
    assert tags.sentiment is not None
    assert 0.9 < tags.sentiment.score <= 1
    assert tags.sentiment.confidence <= 0.9
    neutral = warm.tag_text("The store opens at nine.").sentiment
    assert neutral is not None
    assert neutral.confidence == 0.5


IL = IntentLabel


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Waited 70 minutes and the food arrived cold. Unacceptable.", {IL.complaint}),
        ("Does anyone know if the Aria Buds support multipoint pairing?", {IL.question}),
        ("The Halo 700 sound amazing, really impressed.", {IL.praise}),
        ("Not impressed at all, the fit is terrible.", {IL.complaint}),
        ("Thinking of buying the K7 Pro, any regrets?", {IL.purchase_intent, IL.question}),
        ("Just cancelled my Munchbird Plus subscription. Switching to Fennix Eats.", {IL.churn_risk}),
        ("Never flying with them again.", {IL.churn_risk}),
        ("After the latest update the app keeps crashing at checkout.", {IL.bug_report}),
        ("Please add a custom EQ to the app.", {IL.feature_request}),
        ("I wish the phone had an always-on display.", {IL.feature_request}),
        ("The company will open a repair centre next month.", set()),
        ("请问这款耳机支持同时连接两台设备吗？", {IL.question}),
        ("骑手态度恶劣，还把外卖放错了楼，我要投诉。", {IL.complaint}),
        ("降噪太棒了，强烈推荐，好评！", {IL.praise}),
        ("不推荐，很不满意", {IL.complaint}),  # and no praise from the negated praise words
        ("打算双十一入手这款耳机", {IL.purchase_intent}),
        ("第二副又坏了，再也不买了，换成静浪。", {IL.churn_risk}),
        ("更新固件后一直断连，App一打开就闪退。", {IL.bug_report}),
        ("希望能增加自定义均衡器。", {IL.feature_request}),
        ("這個App一直閃退，希望盡快修正。", {IL.bug_report}),
    ],
)
def test_intents(warm: LexiconTagger, text: str, expected: set[IntentLabel]) -> None:
    intents = warm.tag_text(text).intents
    assert {i.label for i in intents} == expected
    assert all(0.45 <= i.confidence <= 0.9 for i in intents)


def test_sentiment_nudges_intent_confidence(warm: LexiconTagger) -> None:
    [agree] = warm.tag_text("Terrible service, I want a refund.").intents
    assert agree.label is IL.complaint
    assert agree.confidence == pytest.approx(0.75)  # 0.6 best rule + 0.05 second rule + 0.1 negative


def test_title_is_tagged_with_the_text_and_hint_settles_short_texts(warm: LexiconTagger) -> None:
    [tags] = warm.tag([raw_mention("Battery died after a week.", title="Disappointed")])
    assert tags.sentiment is not None
    assert tags.sentiment.label is N
    [short] = warm.tag([raw_mention("ok", lang_hint="en-GB")])
    assert short.lang == "en"
    [unknown] = warm.tag([raw_mention("ok")])
    assert unknown.lang == "und"


def test_demo_data_is_tagged_sensibly(warm: LexiconTagger) -> None:
    """The baseline on the demo corpus: generous bounds, it catches regressions, not an accuracy claim."""
    from demo.site import load_items

    items = [item for item in load_items() if item["label"] not in ("malformed", "reply", "news")]
    hits = 0
    praise_positive = complaint_negative = praise_total = complaint_total = 0
    for item in items:
        tags = warm.tag_text(f"{item['title'] or ''}\n{item['text']}")
        assert tags.sentiment is not None
        hits += item["label"] in {i.label.value for i in tags.intents}
        if item["label"] == "praise":
            praise_total += 1
            praise_positive += tags.sentiment.label is P
        if item["label"] == "complaint":
            complaint_total += 1
            complaint_negative += tags.sentiment.label is N
    assert hits / len(items) > 0.9
    assert praise_positive / praise_total > 0.9
    assert complaint_negative / complaint_total > 0.8


def test_registered_as_entry_point() -> None:
    assert TAGGERS.load("lexicon") is LexiconTagger

"""Enrichment throughput: Earful's transformer tagger against a transformers pipeline, same model.

    .venv/bin/python bench/enrich_throughput.py [-n 5000] [--pipeline-n 500] [--batch 64] [--seed 7]
        [--device cpu|cuda|auto] [--precision fp32|bf16] [--data-dir ../shared/datasets]

The mentions are real posts and reviews, drawn with ``--seed`` from the corpora in ../shared/datasets
(read, never copied into the repository), no text twice: half English tweets (airline, TweetEval,
CrowdFlower, complaints), half Chinese reviews (hotels, food delivery, e-commerce: short and long), one
Chinese review in four converted to Traditional with OpenCC as posted in Hong Kong or Taiwan. Each keeps
its own length; both sides truncate at the encoder's 128 tokens alike.

In one run, on those mentions, built before any clock starts:

(a) Earful: `TransformerTagger.tag` in batches of 500 (as the listen flow calls it): language
    detection, OpenCC, length-sorted dynamic-padded encoder batches of ``--batch``, all three heads and
    the clause vectors for aspect polarity;
(b) baseline: `transformers.pipeline("text-classification", batch_size=1)` over a PreTrainedModel that
    wraps the same encoder and the same sentiment head (texts pre-converted to Simplified and
    prefixed outside the clock, so the baseline does less work than (a)). A batch_size=1 pipeline is
    slow, so by default it runs on a fixed random subset (``--pipeline-n``) and that is printed.

Both run after a warm-up, with the same torch threads and device, interleaved: each tagger batch is
followed by an equal share of the pipeline's texts, so both meet the same background load. Prints
mentions/s for each (and the ratio's spread over the slices), the sentiment label agreement on the
texts both scored, the encoder's work per mention (GFLOP on the unpadded tokens, from the model's
shape) and the rate at which each side did it, this device's fp32 matrix-product rate measured in the
same run, and the highest ratio an fp32 implementation doing that work could reach against this
baseline here (``fp32_ceiling``). The last line is ``ratio_vs_pipeline=<a/b>``.
"""

from __future__ import annotations

import argparse
import copy
import os
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from core.models import RawMention  # noqa: E402

# (file, text column) per language: tweets in English, reviews in Chinese
CORPORA: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (
        ("airline_tweets.csv", "text"),
        ("tweeteval_sentiment_val.csv", "text"),
        ("crowdflower_tweets.csv", "text"),
        ("complaints_tweets.csv", "text"),
    ),
    "zh": (
        ("chnsenticorp_htl.csv", "review"),
        ("waimai_10k.csv", "review"),
        ("online_shopping_10_cats.csv", "review"),
    ),
}


def build_mentions(n: int, seed: int, data_dir: Path) -> list[RawMention]:
    """`n` distinct real mentions, half English tweets and half Chinese reviews (see the module doc)."""
    import opencc

    from nlp.training.data import dataset_rows

    rng = random.Random(seed)
    pools: dict[str, list[tuple[str, int, str]]] = {}
    for files in CORPORA.values():
        for name, column in files:
            rows = dataset_rows(data_dir, name, (column,))
            pools[name] = [(name, number, row[column].strip()) for number, row in rows]
            rng.shuffle(pools[name])
    s2t = opencc.OpenCC("s2t")
    seen: set[str] = set()
    out: list[RawMention] = []
    while len(out) < n:
        lang = "en" if len(out) % 2 == 0 else "zh"
        name, _column = rng.choice(CORPORA[lang])
        if not pools[name]:
            raise SystemExit(f"{name} has too few distinct rows for -n {n}")
        _name, number, text = pools[name].pop()
        hint = lang
        if lang == "zh":
            hint = "zh-Hans"
            if rng.random() < 0.25:
                text, hint = str(s2t.convert(text)), "zh-Hant"
        if not text or text in seen:
            continue
        seen.add(text)
        out.append(
            RawMention(
                platform="bench",
                native_id=f"{name}:{number}",
                source="bench",
                text=text,
                lang_hint=hint,
                published_at=datetime(2026, 11, 1, tzinfo=UTC),
            )
        )
    return out


def make_pipeline(tagger: Any) -> Any:
    """A text-classification pipeline over encoder + sentiment head as one PreTrainedModel."""
    import torch
    from transformers import BertConfig, PreTrainedModel, PreTrainedTokenizerFast, pipeline
    from transformers.modeling_outputs import SequenceClassifierOutput

    from nlp.catalog import E5_SMALL
    from nlp.e5_loader import build_e5

    heads = copy.deepcopy(tagger._heads)  # the pipeline moves its model to the device; the tagger's stay
    labels = heads.sentiment_labels

    class E5SentimentModel(PreTrainedModel):  # type: ignore[no-untyped-call]
        config_class = BertConfig
        base_model_prefix = "bert"

        def __init__(self, config: BertConfig) -> None:
            super().__init__(config)
            self.bert = tagger.encoder.model
            self.head = heads

        def forward(
            self, input_ids: Any = None, attention_mask: Any = None, **_: Any
        ) -> SequenceClassifierOutput:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)
            logits, _intents, _aspects = self.head(pooled)
            return SequenceClassifierOutput(logits=logits)

    config = BertConfig.from_pretrained(str(build_e5()))
    config.id2label = dict(enumerate(labels))
    config.label2id = {label: i for i, label in enumerate(labels)}
    model: Any = E5SentimentModel(config)
    model.eval()
    tokenizer: Any = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_file=str(build_e5() / "tokenizer.json"),
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        model_max_length=E5_SMALL.max_tokens,
    )
    return pipeline(
        "text-classification", model=model, tokenizer=tokenizer, batch_size=1, device=tagger.encoder.device
    )


def encoder_gflop(tokens: int, config: Any) -> float:
    """Multiply-adds x 2 of one text's encoder pass over `tokens` unpadded tokens: the dense layers
    (attention projections and feed-forward) and the attention products (scores and mixing)."""
    d, ff, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    dense = 2 * tokens * (4 * d * d + 2 * d * ff)
    attention = 2 * 2 * tokens * tokens * d
    return layers * (dense + attention) / 1e9


def matmul_gflops(device: str) -> float:
    """This device's fp32 matrix-product rate (GFLOP/s, the best of 10 timings) at the encoder's thread
    count, on well-shaped operands: about what the encoder's dense layers could reach, never more."""
    import torch

    a = torch.randn(4096, 1024, device=device)
    b = torch.randn(1024, 1024, device=device)
    best = float("inf")
    for _ in range(11):  # the first is a warm-up
        started = time.perf_counter()
        for _ in range(4):
            a @ b
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        best = min(best, (time.perf_counter() - started) / 4)
    return 2 * 4096 * 1024 * 1024 / best / 1e9


def _agreement(ours: list[Any], reference: list[Any]) -> str:
    def share(key: Any) -> float:
        return sum(key(a) == key(b) for a, b in zip(ours, reference, strict=True)) / len(ours)

    sentiment = share(lambda t: t.sentiment.label)
    intents = share(lambda t: {i.label for i in t.intents})
    aspects = share(lambda t: [(a.label, a.polarity) for a in t.aspects])
    return f"sentiment {sentiment:.4f}, intent sets {intents:.4f}, aspect sets with polarity {aspects:.4f}"


def main() -> None:
    from nlp.catalog import datasets_dir

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=5000, help="mentions through the tagger")
    parser.add_argument(
        "--pipeline-n", type=int, default=500, help="fixed random subset for the pipeline (0 = all)"
    )
    parser.add_argument("--batch", type=int, default=64, help="encoder batch size of the tagger")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--precision",
        choices=("fp32", "bf16"),
        default="fp32",
        help="the tagger's encoder arithmetic (nlp.precision); with bf16, every label is also compared "
        "with an fp32 run of the same tagger (untimed)",
    )
    parser.add_argument(
        "--device", default="cpu", help="where both sides run: cpu, cuda[:N] or auto (nlp.device)"
    )
    parser.add_argument("--data-dir", type=Path, default=datasets_dir(), help="the labelled corpora")
    args = parser.parse_args()

    import opencc
    import torch

    from nlp.catalog import E5_SMALL
    from nlp.encoder import Encoder
    from nlp.transformer_tagger import TransformerTagger, _text_of

    mentions = build_mentions(args.n, args.seed, args.data_dir)
    tagger = TransformerTagger(
        encoder=Encoder(E5_SMALL, batch_size=args.batch, precision=args.precision, device=args.device)
    )
    tagger.warm_up()
    tagger.tag(mentions[:64])  # warm-up: first-call allocations
    pipe = make_pipeline(tagger)
    t2s = opencc.OpenCC("t2s")
    subset = list(range(len(mentions)))
    if args.pipeline_n and args.pipeline_n < len(mentions):
        subset = sorted(random.Random(args.seed + 1).sample(subset, args.pipeline_n))
    texts = [_text_of(mentions[i]) for i in subset]
    inputs = [
        E5_SMALL.prefix + (t2s.convert(t) if mentions[i].lang_hint.startswith("zh") else t)  # type: ignore[union-attr]
        for i, t in zip(subset, texts, strict=True)
    ]
    pipe(inputs[:8], truncation=True)  # warm-up
    device = tagger.encoder.device
    print(
        f"mentions: {len(mentions)} (tagger), {len(inputs)} (pipeline"
        f"{', fixed random subset' if len(inputs) < len(mentions) else ''}); "
        f"device: {device}; torch threads: {torch.get_num_threads()}"
    )
    all_texts = [_text_of(m) for m in mentions]
    lengths = [len(ids) for ids in tagger.encoder.tokenize(all_texts)]  # per mention, in order
    ranked = sorted(lengths)
    print(
        f"tokens per mention: mean {sum(lengths) / len(lengths):.1f}, median {ranked[len(ranked) // 2]}, "
        f"p90 {ranked[int(len(ranked) * 0.9)]}, truncated at {E5_SMALL.max_tokens}: "
        f"{sum(n >= E5_SMALL.max_tokens for n in lengths) / len(lengths):.1%}; "
        f"distinct texts: {len(set(all_texts))}"
    )

    # Interleaved: a tagger batch, then an equal share of the pipeline's texts, and so on, so that both
    # sides meet the same background load on a shared machine; each side's time is summed.
    slices = max(1, -(-len(mentions) // 500))
    tags: list[Any] = []
    predictions: list[Any] = []
    tagger_s = pipe_s = 0.0
    slice_ratios = []
    for k in range(slices):
        started = time.perf_counter()
        batch = mentions[k * 500 : (k + 1) * 500]
        tags += tagger.tag(batch)
        tagged_s = time.perf_counter() - started
        share = inputs[k * len(inputs) // slices : (k + 1) * len(inputs) // slices]
        started = time.perf_counter()
        predictions += pipe(share, truncation=True) if share else []
        piped_s = time.perf_counter() - started
        tagger_s, pipe_s = tagger_s + tagged_s, pipe_s + piped_s
        if share:
            slice_ratios.append((len(batch) / tagged_s) / (len(share) / piped_s))
    tagger_rate = len(mentions) / tagger_s
    pipe_rate = len(inputs) / pipe_s

    # the tagger says "unscored" for a language it does not score (a French tweet); the pipeline cannot
    pairs = [
        (str(getattr(tags[i].sentiment, "label", "unscored")), p["label"])
        for i, p in zip(subset, predictions, strict=True)
    ]
    scored = [(a, b) for a, b in pairs if a != "unscored"]
    agree = sum(a == b for a, b in scored) / len(scored)
    langs: dict[str, int] = {}
    for t in tags:
        langs[t.lang or "?"] = langs.get(t.lang or "?", 0) + 1
    print(f"languages detected by the tagger: {langs}")
    print(f"earful tagger (batched, all heads): {tagger_rate:.1f} mentions/s ({tagger_s:.1f}s)")
    print(f"transformers pipeline (batch_size=1, sentiment only): {pipe_rate:.1f} mentions/s ({pipe_s:.1f}s)")
    slice_ratios.sort()
    print(
        f"ratio in each of the {len(slice_ratios)} interleaved slices: min {slice_ratios[0]:.2f}, "
        f"median {slice_ratios[len(slice_ratios) // 2]:.2f}, max {slice_ratios[-1]:.2f}"
    )
    print(
        f"sentiment label agreement on the {len(scored)} shared mentions the tagger scored: {agree:.4f} "
        f"({len(pairs) - len(scored)} in other languages, unscored by the tagger)"
    )

    config = tagger.encoder.model.config
    pipe_lengths = [lengths[i] for i in subset]  # the pipeline's texts are these mentions' own
    work = sum(encoder_gflop(n, config) for n in lengths) / len(lengths)
    pipe_work = sum(encoder_gflop(n, config) for n in pipe_lengths) / len(pipe_lengths)
    peak = matmul_gflops(device)
    print(
        f"encoder work: {work:.2f} GFLOP per mention (pipeline subset {pipe_work:.2f}), done at "
        f"{work * tagger_rate:.0f} GFLOP/s by the tagger and {pipe_work * pipe_rate:.0f} GFLOP/s by the "
        f"pipeline; fp32 matrix products on this device: {peak:.0f} GFLOP/s"
    )
    print(
        f"fp32_ceiling={peak / work / pipe_rate:.2f} (the ratio an fp32 tagger doing this work at the "
        "matrix-product rate, with nothing else costing time, would reach)"
    )
    if args.precision != "fp32":
        tagger.encoder.precision = "fp32"  # the same weights, full precision: what the labels would be
        reference = [
            t for start in range(0, len(mentions), 500) for t in tagger.tag(mentions[start : start + 500])
        ]
        print(f"{args.precision} against fp32, all {len(mentions)} mentions: " + _agreement(tags, reference))
    print(f"ratio_vs_pipeline={tagger_rate / pipe_rate:.2f}")


if __name__ == "__main__":
    main()

"""Enrichment throughput: Earful's transformer tagger against a transformers pipeline, same model.

    .venv/bin/python bench/enrich_throughput.py [-n 5000] [--pipeline-n 500] [--batch 64] [--seed 7]

In one run, on the same mentions (built before any timing from the demo site's corpus in
crawlers/demo_site/data/items.jsonl, English and Chinese (Simplified and Traditional), tweet length
(one post) and review length (a title and two to four posts of the same language run together)):

(a) Earful: `TransformerTagger.tag` in batches of 500 (as the listen flow calls it): language
    detection, OpenCC, length-sorted dynamic-padded encoder batches of ``--batch``, all three heads;
(b) baseline: `transformers.pipeline("text-classification", batch_size=1)` over a PreTrainedModel that
    wraps the same encoder and the same sentiment head (texts pre-converted to Simplified and
    prefixed outside the clock, so the baseline does less work than (a)). A batch_size=1 pipeline is
    slow, so by default it runs on a fixed random subset (``--pipeline-n``) and that is printed.

Both run after a warm-up, with the same torch thread count. Prints mentions/s for each, the sentiment
label agreement on the texts both scored, and as the last line ``ratio_vs_pipeline=<a/b>``.
"""

from __future__ import annotations

import argparse
import json
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


def build_mentions(n: int, seed: int) -> list[RawMention]:
    items = [
        json.loads(line) for line in (ROOT / "crawlers/demo_site/data/items.jsonl").open(encoding="utf-8")
    ]
    by_lang: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        by_lang.setdefault(item["lang"], []).append(item)
    rng = random.Random(seed)
    langs = sorted(by_lang)
    out = []
    for i in range(n):
        lang = rng.choice(langs)
        if rng.random() < 0.6:  # tweet length
            item = rng.choice(by_lang[lang])
            text, title = item["text"], None
        else:  # review length: a title and a few posts of the same language
            picked = rng.sample(by_lang[lang], rng.randint(2, 4))
            sep = "" if lang.startswith("zh") else " "
            text = sep.join(p["text"] for p in picked)
            title = picked[0].get("title") or None
        out.append(
            RawMention(
                platform="bench",
                native_id=str(i),
                source="bench",
                text=text,
                title=title,
                lang_hint=lang,
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

    heads = tagger._heads
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
    return pipeline("text-classification", model=model, tokenizer=tokenizer, batch_size=1, device="cpu")


def _agreement(ours: list[Any], reference: list[Any]) -> str:
    def share(key: Any) -> float:
        return sum(key(a) == key(b) for a, b in zip(ours, reference, strict=True)) / len(ours)

    sentiment = share(lambda t: t.sentiment.label)
    intents = share(lambda t: {i.label for i in t.intents})
    aspects = share(lambda t: [(a.label, a.polarity) for a in t.aspects])
    return f"sentiment {sentiment:.4f}, intent sets {intents:.4f}, aspect sets with polarity {aspects:.4f}"


def main() -> None:
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
    args = parser.parse_args()

    import opencc
    import torch

    from nlp.catalog import E5_SMALL
    from nlp.encoder import Encoder
    from nlp.transformer_tagger import TransformerTagger

    mentions = build_mentions(args.n, args.seed)
    tagger = TransformerTagger(encoder=Encoder(E5_SMALL, batch_size=args.batch, precision=args.precision))
    tagger.warm_up()
    tagger.tag(mentions[:64])  # warm-up: first-call allocations
    pipe = make_pipeline(tagger)
    t2s = opencc.OpenCC("t2s")
    subset = list(range(len(mentions)))
    if args.pipeline_n and args.pipeline_n < len(mentions):
        subset = sorted(random.Random(args.seed + 1).sample(subset, args.pipeline_n))
    texts = [
        f"{mentions[i].title}\n{mentions[i].text}" if mentions[i].title else mentions[i].text for i in subset
    ]
    inputs = [
        E5_SMALL.prefix + (t2s.convert(t) if mentions[i].lang_hint.startswith("zh") else t)  # type: ignore[union-attr]
        for i, t in zip(subset, texts, strict=True)
    ]
    pipe(inputs[:8], truncation=True)  # warm-up
    threads = torch.get_num_threads()
    print(
        f"mentions: {len(mentions)} (tagger), {len(inputs)} (pipeline"
        f"{', fixed random subset' if len(inputs) < len(mentions) else ''}); torch threads: {threads}"
    )

    started = time.perf_counter()
    tags = []
    for start in range(0, len(mentions), 500):
        tags += tagger.tag(mentions[start : start + 500])
    tagger_s = time.perf_counter() - started
    tagger_rate = len(mentions) / tagger_s

    started = time.perf_counter()
    predictions = pipe(inputs, truncation=True)
    pipe_s = time.perf_counter() - started
    pipe_rate = len(inputs) / pipe_s

    ours = [str(getattr(tags[i].sentiment, "label", "unscored")) for i in subset]
    theirs = [p["label"] for p in predictions]
    agree = sum(a == b for a, b in zip(ours, theirs, strict=True)) / len(subset)
    langs: dict[str, int] = {}
    for t in tags:
        langs[t.lang or "?"] = langs.get(t.lang or "?", 0) + 1
    print(f"languages detected by the tagger: {langs}")
    print(f"earful tagger (batched, all heads): {tagger_rate:.1f} mentions/s ({tagger_s:.1f}s)")
    print(f"transformers pipeline (batch_size=1, sentiment only): {pipe_rate:.1f} mentions/s ({pipe_s:.1f}s)")
    print(f"sentiment label agreement on the {len(subset)} shared mentions: {agree:.4f}")
    if args.precision != "fp32":
        tagger.encoder.precision = "fp32"  # the same weights, full precision: what the labels would be
        reference = [
            t for start in range(0, len(mentions), 500) for t in tagger.tag(mentions[start : start + 500])
        ]
        print(f"{args.precision} against fp32, all {len(mentions)} mentions: " + _agreement(tags, reference))
    print(f"ratio_vs_pipeline={tagger_rate / pipe_rate:.2f}")


if __name__ == "__main__":
    main()

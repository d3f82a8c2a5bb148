"""`earful nlp train`: embed a fixed-seed sample once with the frozen encoder, train the heads, report.

Reproducible: same data files + same seed -> same sample, same embeddings, same full-batch training
(CPU, deterministic algorithms) -> the same heads file (its sha256 is printed and in the model card) on
the same kind of CPU. Another processor family rounds the encoder's float arithmetic differently, so
there the heads differ in their last bits (on an AMD EPYC the shipped heads' dev metrics all came out
the same to four decimals).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nlp.catalog import ASPECT_LABELS, INTENT_LABELS, SENTIMENT_LABELS
from nlp.training.data import (
    AspectExample,
    Example,
    aspect_examples,
    dataset_examples,
    gold_intent_examples,
    is_dev,
    split_sample,
    written_examples,
)

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from nlp.heads import Heads

# Per file: (train rows, dev rows) sampled; small enough for a few minutes of encoding on 2 cores.
SAMPLE: dict[str, tuple[int, int]] = {
    "airline_tweets.csv": (700, 200),
    "tweeteval_sentiment_val.csv": (250, 150),
    "crowdflower_tweets.csv": (400, 150),
    "complaints_tweets.csv": (600, 200),
    "chnsenticorp_htl.csv": (300, 150),
    "waimai_10k.csv": (400, 150),
    "online_shopping_10_cats.csv": (500, 200),
}
SEED_WEIGHT = 3.0  # hand-written examples are few and clean: they count more

# Keyword-seeded weak aspect labels (English lower-cased substring / Chinese substring).
ASPECT_KEYWORDS: dict[str, tuple[str, ...]] = {
    "price": (
        "price",
        "expensive",
        "cheap",
        "cost",
        "refund",
        "charge",
        "fee",
        "money",
        "$",
        "价格",
        "价钱",
        "贵",
        "便宜",
        "性价比",
        "退款",
        "收费",
        "元",
    ),
    "delivery": (
        "deliver",
        "shipping",
        "shipped",
        "arrive",
        "courier",
        "package",
        "late flight",
        "delay",
        "快递",
        "物流",
        "送餐",
        "配送",
        "送货",
        "送到",
        "外卖",
        "延误",
        "发货",
    ),
    "quality": (
        "quality",
        "broken",
        "cheaply made",
        "defect",
        "works great",
        "sound",
        "battery",
        "taste",
        "质量",
        "做工",
        "味道",
        "好吃",
        "难吃",
        "音质",
        "电池",
        "破损",
        "坏了",
    ),
    "service": (
        "service",
        "staff",
        "support",
        "agent",
        "attendant",
        "rude",
        "helpful",
        "customer care",
        "服务",
        "客服",
        "态度",
        "前台",
        "服务员",
    ),
    "app_or_website": (
        "app",
        "website",
        "site",
        "login",
        "log in",
        "online",
        "crash",
        "update",
        "page",
        "网站",
        "应用",
        "软件",
        "闪退",
        "登录",
        "页面",
        "系统",
    ),
}


@dataclass(frozen=True, slots=True)
class TrainResult:
    heads: Heads
    train: list[Example]
    dev: list[Example]
    dev_embeddings: NDArray[np.float32]
    gold_dev: list[Example]  # hand-labelled intents, dev side: scored by the tagger after training
    aspect_dev: list[AspectExample]  # hand-labelled aspects with polarity, dev side
    seconds_embedding: float
    seconds_embedding_cold: float  # what encoding the whole sample costs without the cache
    seconds_training: float


def weak_aspects(text: str) -> list[int]:
    lowered = text.lower()
    hits = [
        int(any(_kw_hit(k, lowered) for k in ASPECT_KEYWORDS[label]))
        for label in ASPECT_LABELS
        if label != "other"
    ]
    return [*hits, int(not any(hits))]


def _kw_hit(keyword: str, text: str) -> bool:
    if keyword.isascii() and keyword.isalpha() and len(keyword) <= 4:
        return re.search(rf"\b{re.escape(keyword)}\b", text) is not None  # "app" not in "happy"
    return keyword in text


def embed_cached(
    texts: Sequence[str], embed: Callable[[Sequence[str]], NDArray[np.float32]], cache: Path | None
) -> tuple[NDArray[np.float32], float]:
    """Embeddings keyed by sha1(text) in an .npz cache (outside the repo): reruns re-encode nothing.
    Also returns the seconds spent encoding everything in the cache (cold-run cost, kept in the cache)."""
    keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
    known: dict[str, NDArray[np.float32]] = {}
    seconds = 0.0
    if cache is not None and cache.is_file():
        with np.load(cache) as data:
            known = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
            seconds = float(data["seconds"]) if "seconds" in data else 0.0
    missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in known}.items())
    if missing:
        started = time.perf_counter()
        vectors = embed([t for _k, t in missing])
        seconds += time.perf_counter() - started
        known.update({k: v for (k, _t), v in zip(missing, vectors, strict=True)})
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(".tmp.npz")
            np.savez(tmp, keys=np.array(list(known)), vectors=np.stack(list(known.values())), seconds=seconds)
            tmp.replace(cache)
    return np.stack([known[k] for k in keys]).astype(np.float32), seconds


def targets(examples: Sequence[Example]) -> dict[str, Any]:
    """Tensors of labels and masks (unknown labels are masked out of the loss)."""
    import torch

    sentiment = torch.tensor([e.sentiment if e.sentiment is not None else -100 for e in examples])
    intents = torch.tensor([[float(e.intents.get(label, 0)) for label in INTENT_LABELS] for e in examples])
    intent_mask = torch.tensor([[float(label in e.intents) for label in INTENT_LABELS] for e in examples])
    aspects = torch.tensor(
        [
            weak_aspects(e.text)
            if e.aspects is None
            else [float(label in e.aspects) for label in ASPECT_LABELS]
            for e in examples
        ],
        dtype=torch.float32,
    )
    # Keyword rules cannot say what "other" evaluates (their "other" is "no keyword"): only hand
    # labels train that output.
    other = ASPECT_LABELS.index("other")
    aspect_mask = torch.ones_like(aspects)
    aspect_mask[:, other] = torch.tensor([float(e.aspects is not None) for e in examples])
    weight = torch.tensor([SEED_WEIGHT if e.source.startswith("seed") else 1.0 for e in examples])
    return {
        "sentiment": sentiment,
        "intents": intents,
        "intent_mask": intent_mask,
        "aspects": aspects,
        "aspect_mask": aspect_mask,
        "weight": weight,
    }


def train_heads(
    x: NDArray[np.float32], examples: Sequence[Example], *, seed: int, epochs: int = 300, lr: float = 3e-3
) -> Heads:
    """Full-batch AdamW on CPU with deterministic algorithms: same inputs + seed -> same weights."""
    import torch

    from nlp.heads import Heads

    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    heads = Heads(x.shape[1])
    t = targets(examples)
    inputs = torch.from_numpy(np.ascontiguousarray(x))
    heads.set_standardisation(inputs)
    known = t["sentiment"] >= 0
    counts = torch.bincount(t["sentiment"][known], minlength=len(SENTIMENT_LABELS)).float().clamp(min=1)
    class_weight = counts.sum() / (len(SENTIMENT_LABELS) * counts)
    positives = (t["intents"] * t["intent_mask"]).sum(0)
    negatives = ((1 - t["intents"]) * t["intent_mask"]).sum(0)
    pos_weight = (negatives / positives.clamp(min=1)).clamp(1.0, 10.0)
    aspect_pos = (t["aspect_mask"].sum(0) / (t["aspects"] * t["aspect_mask"]).sum(0).clamp(min=1) - 1).clamp(
        1.0, 10.0
    )
    optimiser = torch.optim.AdamW(heads.parameters(), lr=lr, weight_decay=1e-2)
    ce = torch.nn.CrossEntropyLoss(weight=class_weight, ignore_index=-100, reduction="none")
    bce_i = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight, reduction="none")
    bce_a = torch.nn.BCEWithLogitsLoss(pos_weight=aspect_pos, reduction="none")
    w = t["weight"]
    heads.train()
    for _ in range(epochs):
        optimiser.zero_grad()
        s_logits, i_logits, a_logits = heads(inputs)
        loss_s = (ce(s_logits, t["sentiment"]) * w)[known].sum() / w[known].sum()
        loss_i = (bce_i(i_logits, t["intents"]) * t["intent_mask"] * w[:, None]).sum() / t[
            "intent_mask"
        ].sum()
        loss_a = (bce_a(a_logits, t["aspects"]) * t["aspect_mask"] * w[:, None]).sum() / t[
            "aspect_mask"
        ].sum()
        (loss_s + loss_i + 0.5 * loss_a).backward()
        optimiser.step()
    heads.eval()
    torch.use_deterministic_algorithms(False)
    return heads


def train(
    data_dir: Path,
    *,
    seed: int,
    embed: Callable[[Sequence[str]], NDArray[np.float32]],
    cache: Path | None,
    sample: dict[str, tuple[int, int]] | None = None,
    epochs: int = 300,
    log: Callable[[str], None] = print,
) -> TrainResult:
    sample = sample or SAMPLE
    by_file = dataset_examples(data_dir)
    gold = gold_intent_examples(data_dir)
    gold_ids = {e.id for e in gold}
    train_set: list[Example] = []
    dev_set: list[Example] = []
    for name, (n_train, n_dev) in sample.items():
        tr, dv = split_sample(by_file[name], train_n=n_train, dev_n=n_dev, seed=seed)
        tr = [e for e in tr if e.id not in gold_ids]  # the hand labels below replace the weak ones
        train_set += tr
        dev_set += dv
        log(f"{name}: {len(tr)} train, {len(dv)} dev")
    seeds = [*written_examples("seed_intents.jsonl"), *written_examples("seed_zh_neutral.jsonl")]
    train_set += seeds
    log(f"seed set: {len(seeds)} examples")
    gold_train = [replace(e, source="seed-gold") for e in gold if not is_dev(e.text)]
    gold_dev = [e for e in gold if is_dev(e.text)]
    train_set += gold_train
    log(f"hand-labelled intents: {len(gold_train)} train, {len(gold_dev)} dev")
    aspect_dev: list[AspectExample] = []
    aspect_train: list[Example] = []
    for a in aspect_examples(data_dir):  # dataset rows on the dev side are held out; our sentences train
        if ":" in a.id and is_dev(a.text):
            aspect_dev.append(a)
        else:
            aspect_train.append(Example(a.id, a.text, a.lang, "seed-aspects", aspects=frozenset(a.aspects)))
    train_set += aspect_train
    log(f"hand-labelled aspects: {len(aspect_train)} train, {len(aspect_dev)} dev")
    started = time.perf_counter()
    x_all, cold = embed_cached([e.text for e in train_set + dev_set], embed, cache)
    embedded = time.perf_counter() - started
    log(f"embedded {len(x_all)} texts in {embedded:.1f}s (cold, without the cache: {cold:.0f}s)")
    started = time.perf_counter()
    heads = train_heads(x_all[: len(train_set)], train_set, seed=seed, epochs=epochs)
    trained = time.perf_counter() - started
    log(f"trained heads in {trained:.1f}s")
    return TrainResult(
        heads, train_set, dev_set, x_all[len(train_set) :], gold_dev, aspect_dev, embedded, cold, trained
    )

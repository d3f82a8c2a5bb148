"""The frozen sentence encoder: texts -> mean-pooled, L2-normalised embeddings, on CPU or a GPU.

Speed comes from batching done right: texts are tokenised once, sorted by length and cut into
batches so each batch pads only to its own longest text (dynamic padding, little wasted compute on
pad tokens), run under `torch.inference_mode`, and put back in input order. Pooling (the sentence and
its clauses) happens on the device as matrix products, so only the pooled vectors travel back.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.errors import ModelUnavailable
from core.settings import DEVICE_PATTERN
from nlp.catalog import E5_SMALL, EncoderSpec

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from core.settings import Settings


def default_threads(settings: Settings | None = None) -> int:
    """Torch intra-op threads: `nlp.torch_threads`, else $EARFUL_NLP_THREADS, else the cores we may use
    (affinity), capped at 8."""
    if settings is not None and settings.nlp.torch_threads is not None:
        return settings.nlp.torch_threads
    override = os.environ.get("EARFUL_NLP_THREADS")
    if override:
        return max(1, int(override))
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


def resolve_device(requested: str) -> str:
    """The torch device for `requested`: 'auto' is the first CUDA GPU when torch sees one, else 'cpu';
    'cpu' and 'cuda[:N]' are taken as they are (`Encoder.load` checks that the GPU exists)."""
    if requested != "auto":
        return requested
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


# Padded tokens per forward pass, by device, when not given. On a CPU a smaller batch keeps the feed-forward
# activations (2048 tokens x 1536 x 4 bytes = 12 MB) close to the caches: on 2 cores, 79 mentions/s
# against 74 at 8192 (bench/enrich_throughput.py's corpus, 4 interleaved rounds). A GPU wants many.
CPU_TOKEN_BUDGET = 2048
GPU_TOKEN_BUDGET = 32768


_SHARED: dict[tuple[EncoderSpec, Path | None, int, int, str, str], Encoder] = {}
_SHARED_LOCK = threading.Lock()


def shared_encoder(
    spec: EncoderSpec = E5_SMALL,
    *,
    cache_dir: Path | None = None,
    batch_size: int = 64,
    threads: int | None = None,
    precision: str = "fp32",
    device: str = "auto",
) -> Encoder:
    """One Encoder per process and configuration: taggers built for the same settings (the demo's
    warm-up and the flow's enricher, several tests) load the 470 MB model once, not once each."""
    key = (spec, cache_dir, batch_size, threads or default_threads(), precision, device)
    with _SHARED_LOCK:
        encoder = _SHARED.get(key)
        if encoder is None:
            encoder = _SHARED[key] = Encoder(
                spec,
                cache_dir=cache_dir,
                batch_size=batch_size,
                threads=key[3],
                precision=precision,
                device=device,
            )
        return encoder


class Encoder:
    """Lazy: nothing heavy happens before `load()` (or the first `embed()`). Thread-safe loading."""

    def __init__(
        self,
        spec: EncoderSpec = E5_SMALL,
        *,
        model_dir: Path | None = None,
        cache_dir: Path | None = None,
        batch_size: int = 64,
        threads: int | None = None,
        token_budget: int | None = None,
        precision: str = "fp32",
        device: str = "auto",
    ) -> None:
        if precision not in ("fp32", "bf16"):
            raise ValueError(f"precision must be fp32 or bf16, not {precision!r}")
        if not re.fullmatch(DEVICE_PATTERN, device):
            raise ValueError(f"device must be auto, cpu or cuda[:N], not {device!r}")
        self.spec = spec
        self.precision = precision
        self.requested_device = device
        self.device = "cpu"  # resolved by load()
        self.batch_size = batch_size
        self.threads = threads or default_threads()
        self.token_budget = token_budget  # padded tokens per pass; None: the device's default
        self._model_dir = model_dir  # a built model directory; else built (once) under cache_dir
        self.cache_dir = cache_dir
        self._lock = threading.Lock()
        self._model: Any = None
        self._tokenizer: Any = None

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            import torch
            from tokenizers import Tokenizer
            from transformers import BertModel
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # its "Loading weights" bar garbles the CLI's own progress

            from nlp.e5_loader import build_e5

            device = resolve_device(self.requested_device)
            if device.startswith("cuda") and not _cuda_device_exists(device):
                raise ModelUnavailable(
                    f"nlp device {device!r} was asked for, but torch sees "
                    f"{torch.cuda.device_count()} CUDA GPU(s): use 'auto' or 'cpu'",
                    details={"device": device, "cuda_available": torch.cuda.is_available()},
                )
            model_dir = self._model_dir or build_e5(self.cache_dir)
            tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
            tokenizer.enable_truncation(self.spec.max_tokens)
            tokenizer.no_padding()
            torch.set_num_threads(self.threads)
            model: Any = BertModel.from_pretrained(str(model_dir), add_pooling_layer=False)
            model.eval()
            self._tokenizer = tokenizer
            self.device = device
            self._model = model.to(device)

    @property
    def model(self) -> Any:
        """The underlying transformers BertModel (loads it)."""
        self.load()
        return self._model

    def _encode(self, texts: Sequence[str]) -> list[Any]:
        """The tokenizer's encodings of the prefixed, truncated texts."""
        self.load()
        encodings: list[Any] = self._tokenizer.encode_batch([self.spec.prefix + t for t in texts])
        return encodings

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        return [encoding.ids for encoding in self._encode(texts)]

    def tokenize_with_offsets(self, texts: Sequence[str]) -> list[tuple[list[int], list[tuple[int, int]]]]:
        """Token ids and, per token, its ``(start, end)`` characters in the text (without the input
        prefix); special tokens and the prefix's own tokens get negative offsets."""
        shift = len(self.spec.prefix)
        out = []
        for encoding in self._encode(texts):
            offsets = [
                (start - shift, end - shift) if end > start else (-1, -1) for start, end in encoding.offsets
            ]
            out.append((list(encoding.ids), offsets))
        return out

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """[len(texts), dim] float32, rows in input order."""
        if not texts:
            return np.zeros((0, self.spec.dim), dtype=np.float32)
        ids = self.tokenize(texts)
        return self.embed_ids(ids)

    def embed_ids(self, ids: Sequence[Sequence[int]]) -> NDArray[np.float32]:
        return self.embed_ids_with_spans(ids, None)[0]

    def embed_ids_with_spans(
        self, ids: Sequence[Sequence[int]], spans: Sequence[Sequence[tuple[int, int]]] | None
    ) -> tuple[NDArray[np.float32], list[NDArray[np.float32]]]:
        """Sentence embeddings, and for each text the embeddings of its token ``spans`` (``[start, end)``
        token indices): the same mean pooling and normalisation over the span's tokens, read from the
        same forward pass (the tokens see the whole text), so clauses cost no extra encoding."""
        import torch

        self.load()
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        budget = self.token_budget or (CPU_TOKEN_BUDGET if self.device == "cpu" else GPU_TOKEN_BUDGET)
        out = np.zeros((len(ids), self.spec.dim), dtype=np.float32)
        span_out = [
            np.zeros((len(spans[i]) if spans else 0, self.spec.dim), np.float32) for i in range(len(ids))
        ]
        start = 0
        with torch.inference_mode():
            while start < len(order):
                # the batch grows while it stays under both the count and the padded-token budget
                end = start + 1
                while (
                    end < len(order)
                    and end - start < self.batch_size
                    and len(ids[order[end]]) * (end - start + 1) <= budget
                ):
                    end += 1
                chunk = order[start:end]
                sentences, clause_vectors = self._forward(
                    [ids[i] for i in chunk], [spans[i] for i in chunk] if spans else None
                )
                out[chunk] = sentences
                for row, index in enumerate(chunk):
                    span_out[index][:] = clause_vectors[row, : len(span_out[index])]
                start = end
        return out, span_out

    def _forward(
        self, batch: Sequence[Sequence[int]], spans: Sequence[Sequence[tuple[int, int]]] | None
    ) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """One padded forward pass: ``[batch, dim]`` sentence vectors and ``[batch, most spans, dim]``
        span vectors (zero rows past a text's own spans). Both poolings are matrix products over the
        token states, on the device: the mask (sentence) and per-span weights 1/len (clauses)."""
        import torch

        width = len(batch[-1])  # sorted by length: the last is the longest
        input_ids = torch.ones((len(batch), width), dtype=torch.long)  # 1 = <pad> in XLM-R
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        most = max((len(group) for group in spans), default=0) if spans else 0
        span_weights = torch.zeros((len(batch), most, width))
        for row, seq in enumerate(batch):
            input_ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
            mask[row, : len(seq)] = 1
            for k, (first, last) in enumerate(spans[row] if spans else ()):
                span_weights[row, k, first:last] = 1.0 / max(last - first, 1)
        input_ids, mask = input_ids.to(self.device), mask.to(self.device)
        with torch.autocast(
            self.device.split(":")[0], dtype=torch.bfloat16, enabled=self.precision == "bf16"
        ):
            hidden = self._model(input_ids=input_ids, attention_mask=mask).last_hidden_state
        hidden = hidden.float()  # pooling and the heads stay in fp32
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
        pooled = torch.nn.functional.normalize(pooled, dim=-1)
        clause_vectors = torch.nn.functional.normalize(
            torch.bmm(span_weights.to(self.device), hidden), dim=-1
        )
        return pooled.cpu().numpy(), clause_vectors.cpu().numpy()


def _cuda_device_exists(device: str) -> bool:
    import torch

    index = int(device.partition(":")[2] or 0)
    return torch.cuda.is_available() and index < torch.cuda.device_count()

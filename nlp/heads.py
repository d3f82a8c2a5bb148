"""Small classification heads over frozen sentence embeddings, saved as one safetensors file.

- sentiment: a one-hidden-layer MLP, softmax over negative/neutral/positive;
- intents: linear, one sigmoid per intent (multi-label);
- aspects: linear, one sigmoid per aspect (presence; polarity comes from the sentiment head).
"""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path
from typing import Any

import torch
from torch import nn

from nlp.catalog import ASPECT_LABELS, INTENT_LABELS, SENTIMENT_LABELS


class Heads(nn.Module):
    center: torch.Tensor
    scale: torch.Tensor

    def __init__(
        self,
        dim: int,
        hidden: int = 128,
        sentiment_labels: tuple[str, ...] = SENTIMENT_LABELS,
        intent_labels: tuple[str, ...] = INTENT_LABELS,
        aspect_labels: tuple[str, ...] = ASPECT_LABELS,
    ) -> None:
        super().__init__()
        self.dim, self.hidden = dim, hidden
        self.sentiment_labels, self.intent_labels, self.aspect_labels = (
            sentiment_labels,
            intent_labels,
            aspect_labels,
        )
        self.sentiment = nn.Sequential(
            nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, len(sentiment_labels))
        )
        self.intents = nn.Linear(dim, len(intent_labels))
        self.aspects = nn.Linear(dim, len(aspect_labels))
        # e5 embeddings are anisotropic (every pair has cosine ~0.8): standardising them with the training
        # set's statistics lets linear heads learn in a few hundred full-batch steps
        self.register_buffer("center", torch.zeros(dim))
        self.register_buffer("scale", torch.ones(dim))

    def set_standardisation(self, x: torch.Tensor) -> None:
        self.center.copy_(x.mean(0))
        self.scale.copy_(x.std(0).clamp(min=1e-6))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Logits: (sentiment [n,3], intents [n,7], aspects [n,6])."""
        x = (x - self.center) / self.scale
        return self.sentiment(x), self.intents(x), self.aspects(x)

    def metadata(self) -> dict[str, str]:
        return {
            "dim": str(self.dim),
            "hidden": str(self.hidden),
            "sentiment_labels": json.dumps(self.sentiment_labels),
            "intent_labels": json.dumps(self.intent_labels),
            "aspect_labels": json.dumps(self.aspect_labels),
        }


def save_heads(heads: Heads, path: Path, extra: dict[str, str] | None = None) -> str:
    """Write the heads as safetensors, byte-for-byte reproducible; returns the file's sha256 (hex).

    safetensors' own writer orders the metadata through a hash map (the bytes vary between runs), so we
    write the (simple, documented) format ourselves with sorted keys: equal weights give equal files.
    """
    tensors = {k: v.detach().contiguous().cpu().float() for k, v in heads.state_dict().items()}
    header: dict[str, Any] = {"__metadata__": dict(sorted({**heads.metadata(), **(extra or {})}.items()))}
    blobs: list[bytes] = []
    offset = 0
    for name in sorted(tensors):
        blob = tensors[name].numpy().astype("<f4").tobytes()
        header[name] = {
            "dtype": "F32",
            "shape": list(tensors[name].shape),
            "data_offsets": [offset, offset + len(blob)],
        }
        blobs.append(blob)
        offset += len(blob)
    encoded = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs))
    return file_sha256(path)


def load_heads(path: Path) -> tuple[Heads, dict[str, str]]:
    """The heads (eval mode) and the file's metadata."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    with safe_open(str(path), framework="pt") as handle:
        meta: dict[str, str] = dict(handle.metadata() or {})
    labels: dict[str, Any] = {
        k: tuple(json.loads(meta[k])) for k in ("sentiment_labels", "intent_labels", "aspect_labels")
    }
    heads = Heads(int(meta["dim"]), int(meta["hidden"]), **labels)
    heads.load_state_dict(load_file(str(path)))
    heads.eval()
    return heads, meta


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()

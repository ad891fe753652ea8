"""How much memory a model and its KV cache need, and the longest context that fits.

Plain arithmetic over ``config.json``; no mlx. The settings screen uses
``largest_context`` to offer only context lengths the machine can hold.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ii_desktop.core.settings import LONG_CONTEXT_MAX

GIB = 1024**3
KV_GROUP_SIZE = 64
# macOS lets the GPU wire about three quarters of unified memory; leave the rest
# to the system and other apps.
USABLE_FRACTION = 0.75
APP_OVERHEAD_BYTES = 1 * GIB
_DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2}


def machine_memory_bytes() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 16 * GIB


def _dtype_bytes(config: dict[str, Any]) -> int:
    dtype = config.get("torch_dtype") or config.get("dtype") or "bfloat16"
    return _DTYPE_BYTES.get(str(dtype), 2)


def kv_bytes_per_token(config: dict[str, Any], kv_bits: int | None) -> float:
    layers = int(config["num_hidden_layers"])
    heads = int(config["num_attention_heads"])
    kv_heads = int(config.get("num_key_value_heads") or heads)
    head_dim = int(config.get("head_dim") or int(config["hidden_size"]) // heads)
    elements = layers * kv_heads * head_dim * 2  # keys and values
    if kv_bits is None:
        return float(elements * _dtype_bytes(config))
    # packed values plus one scale and one bias (2 bytes each) per group
    return elements * (kv_bits / 8 + 4 / KV_GROUP_SIZE)


def parameter_count(config: dict[str, Any]) -> int:
    hidden = int(config["hidden_size"])
    layers = int(config["num_hidden_layers"])
    heads = int(config["num_attention_heads"])
    kv_heads = int(config.get("num_key_value_heads") or heads)
    head_dim = int(config.get("head_dim") or hidden // heads)
    inter = int(config["intermediate_size"])
    vocab = int(config["vocab_size"])
    attention = hidden * heads * head_dim * 2 + hidden * kv_heads * head_dim * 2
    mlp = 3 * hidden * inter
    per_layer = attention + mlp + 2 * hidden + 2 * head_dim
    embed = vocab * hidden * (1 if config.get("tie_word_embeddings", True) else 2)
    return layers * per_layer + embed + hidden


def weight_bytes(config: dict[str, Any], folder: str | Path | None = None) -> int:
    """Bytes of the weights: the safetensors files when present, else from the config."""
    if folder is not None:
        files = list(Path(folder).glob("*.safetensors"))
        if files:
            return sum(f.stat().st_size for f in files)
    params = parameter_count(config)
    quant = config.get("quantization") or config.get("quantization_config")
    if isinstance(quant, dict) and "bits" in quant:
        bits = int(quant["bits"])
        group = int(quant.get("group_size", 64))
        return int(params * (bits / 8 + 4 / group))
    return params * _dtype_bytes(config)


def max_context(config: dict[str, Any], long_context: bool) -> int:
    if long_context:
        return LONG_CONTEXT_MAX
    return min(int(config.get("max_position_embeddings") or 40960), LONG_CONTEXT_MAX)


@dataclass(frozen=True)
class MemoryEstimate:
    weights: int
    kv_cache: int
    overhead: int

    @property
    def total(self) -> int:
        return self.weights + self.kv_cache + self.overhead


def estimate(
    config: dict[str, Any],
    context_length: int,
    kv_bits: int | None,
    folder: str | Path | None = None,
) -> MemoryEstimate:
    """Bytes needed to run ``config`` with a full KV cache of ``context_length`` tokens."""
    return MemoryEstimate(
        weights=weight_bytes(config, folder),
        kv_cache=int(kv_bytes_per_token(config, kv_bits) * context_length),
        overhead=APP_OVERHEAD_BYTES,
    )


def usable_memory_bytes(memory_bytes: int | None = None) -> int:
    """The share of the machine's memory a model may use (``USABLE_FRACTION`` of it)."""
    memory = machine_memory_bytes() if memory_bytes is None else memory_bytes
    return int(memory * USABLE_FRACTION)


@dataclass(frozen=True)
class ContextFit:
    """The longest context that fits, and which of the two limits sets it.

    ``memory_tokens`` is what the machine's memory alone would hold (whole ``step``s,
    -1 when not even the weights and overhead fit); ``model_limit`` is the model's own
    limit in this mode; ``tokens`` is the smaller, in whole ``step``s (0 when none fit).
    """

    tokens: int
    memory_tokens: int
    model_limit: int

    @property
    def weights_fit(self) -> bool:
        return self.memory_tokens >= 0

    @property
    def bound_by_model(self) -> bool:
        """Whether the model's own limit, not the machine's memory, sets ``tokens``."""
        return self.memory_tokens >= self.model_limit


def context_fit(
    config: dict[str, Any],
    kv_bits: int | None,
    long_context: bool,
    memory_bytes: int | None = None,
    folder: str | Path | None = None,
    step: int = 1024,
) -> ContextFit:
    """The longest context whose ``estimate`` fits in usable memory, and what bounds it."""
    limit = max_context(config, long_context)
    free = usable_memory_bytes(memory_bytes) - estimate(config, 0, kv_bits, folder).total
    if free < 0:
        return ContextFit(0, -1, limit)
    by_memory = int(free // kv_bytes_per_token(config, kv_bits))
    return ContextFit(
        tokens=(min(by_memory, limit) // step) * step,
        memory_tokens=(by_memory // step) * step,
        model_limit=limit,
    )


def largest_context(
    config: dict[str, Any],
    kv_bits: int | None,
    long_context: bool,
    memory_bytes: int | None = None,
    folder: str | Path | None = None,
    step: int = 1024,
) -> int:
    """Longest context (a multiple of ``step``) whose weights + KV fit in usable memory.

    Returns 0 when not even the weights fit.
    """
    return context_fit(config, kv_bits, long_context, memory_bytes, folder, step).tokens

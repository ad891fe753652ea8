"""What a model folder is, read from its files without loading it.

``model_info`` validates a folder (config, weights, tokenizer, chat template) and reports
its architecture, parameter count (from the safetensors headers), quantization, size,
context length, what its chat template supports and the memory it needs at a few
context lengths. ``memory_check`` is the one memory estimate that ``model check`` and
``model info`` both print.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ii_desktop.core.errors import ModelFormatError, TemplateError
from ii_desktop.engine import memory
from ii_desktop.engine.memory import ContextFit, MemoryEstimate
from ii_desktop.engine.model_files import ModelFolder, inspect_model

# Context lengths ``model info`` prices, besides the model's own limit.
INFO_CONTEXTS = (8192, 32768)
_HEADER_LIMIT = 100 * 1024 * 1024


@dataclass(frozen=True)
class TemplateFeatures:
    """What a chat template can do: render tools, and reason in ``<think>`` blocks."""

    tool_calling: bool
    thinking: bool


def chat_template_text(folder: Path) -> str | None:
    """The chat template: ``chat_template.jinja``, else ``tokenizer_config.json``'s."""
    jinja = folder / "chat_template.jinja"
    if jinja.is_file():
        return jinja.read_text(encoding="utf-8", errors="replace")
    config = folder / "tokenizer_config.json"
    if not config.is_file():
        return None
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError, OSError):
        return None
    template = data.get("chat_template") if isinstance(data, dict) else None
    if isinstance(template, str):
        return template
    if isinstance(template, list):  # named templates: [{"name": ..., "template": ...}]
        parts = [t.get("template") for t in template if isinstance(t, dict)]
        return "\n".join(p for p in parts if isinstance(p, str)) or None
    return None


def template_features(folder: Path) -> TemplateFeatures | None:
    """What the folder's chat template supports, or None when it has none."""
    text = chat_template_text(folder)
    if text is None:
        return None
    return TemplateFeatures(
        tool_calling="tools" in text,
        thinking="<think>" in text or "enable_thinking" in text,
    )


def quantization_of(config: dict[str, Any]) -> dict[str, int] | None:
    """``{"bits", "group_size"}`` from config.json's ``quantization``, or None."""
    q = config.get("quantization") or config.get("quantization_config")
    if isinstance(q, dict) and isinstance(q.get("bits"), int):
        return {"bits": int(q["bits"]), "group_size": int(q.get("group_size") or 64)}
    return None


def _header(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        raw = fh.read(8)
        if len(raw) != 8:
            raise ModelFormatError(f"{path.name} is empty or truncated.")
        (length,) = struct.unpack("<Q", raw)
        if not 0 < length <= _HEADER_LIMIT:
            raise ModelFormatError(f"{path.name} is not a valid safetensors file.")
        try:
            header = json.loads(fh.read(length))
        except ValueError:
            raise ModelFormatError(f"{path.name} has a damaged header.") from None
    if not isinstance(header, dict):
        raise ModelFormatError(f"{path.name} has a damaged header.")
    return header


def parameter_count(folder: Path, quantization: dict[str, int] | None = None) -> int:
    """Parameters in the folder's safetensors files, from their headers alone.

    Quantized weights are packed into 32-bit words, so a packed tensor holds
    ``32 / bits`` parameters per element; its scales and biases are not parameters.
    """
    bits = quantization["bits"] if quantization else None
    total = 0
    for file in sorted(folder.glob("*.safetensors")):
        for name, entry in _header(file).items():
            if name == "__metadata__" or not isinstance(entry, dict):
                continue
            shape = entry.get("shape")
            if not isinstance(shape, list):
                continue
            if bits and name.endswith((".scales", ".biases")):
                continue
            count = math.prod(int(d) for d in shape)
            if bits and entry.get("dtype") == "U32":
                count = count * 32 // bits
            total += count
    return total


def format_size(n: float) -> str:
    """``1.00 GiB``, ``80.0 MiB``, ``2.9 MiB``: always two or three significant digits."""
    if n >= 1024**3:
        return f"{n / 1024**3:.2f} GiB"
    mib = n / 1024**2
    return f"{mib:.1f} MiB" if mib >= 0.1 else f"{n / 1024:.1f} KiB"


def folder_size(folder: Path) -> int:
    """Bytes of every file under ``folder`` (the Hugging Face cache's links count as
    the blobs they point to)."""
    total = 0
    for path in folder.rglob("*"):
        try:
            if path.is_file():
                total += path.stat().st_size
        except OSError:
            continue
    return total


@dataclass(frozen=True)
class MemoryCheck:
    """What ``model check`` reports: the estimate at one context length, and the longest
    context that fits this machine."""

    context_length: int
    kv_bits: int | None
    estimate: MemoryEstimate
    fit: ContextFit
    kv_bytes_per_token: float
    machine_memory_bytes: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "context_length": self.context_length,
            "kv_bits": self.kv_bits,
            "weights_bytes": self.estimate.weights,
            "kv_cache_bytes": self.estimate.kv_cache,
            "total_bytes": self.estimate.total,
            "kv_bytes_per_token": self.kv_bytes_per_token,
            "machine_memory_bytes": self.machine_memory_bytes,
            "largest_context_that_fits": self.fit.tokens,
        }


def memory_check(
    folder: ModelFolder, context_length: int | None, kv_bits: int | None, long_context: bool
) -> MemoryCheck:
    """The memory a model folder needs at ``context_length`` (default: its limit)."""
    limit = memory.max_context(folder.config, long_context)
    context = min(context_length or limit, limit)
    return MemoryCheck(
        context_length=context,
        kv_bits=kv_bits,
        estimate=memory.estimate(folder.config, context, kv_bits, folder.path),
        fit=memory.context_fit(folder.config, kv_bits, long_context, folder=folder.path),
        kv_bytes_per_token=memory.kv_bytes_per_token(folder.config, kv_bits),
        machine_memory_bytes=memory.machine_memory_bytes(),
    )


@dataclass(frozen=True)
class MemoryAt:
    """Memory needed at one context length and KV precision."""

    context_length: int
    kv_bits: int | None
    total_bytes: int
    fits: bool


@dataclass(frozen=True)
class ModelInfo:
    path: str
    name: str
    architecture: str
    parameters: int
    quantization: dict[str, int] | None
    size_bytes: int
    context_length: int
    long_context_length: int
    tool_calling: bool
    thinking: bool
    fingerprint: str
    largest_context_that_fits: int
    memory: list[MemoryAt] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def model_info(name: str) -> ModelInfo:
    """Validate a model folder (or a cached repo id) and describe it, without loading it."""
    folder = inspect_model(name)
    features = template_features(folder.path)
    if features is None:
        raise TemplateError(
            f"{folder.name} has no chat template (chat_template.jinja or one in "
            "tokenizer_config.json), so prompts cannot be built."
        )
    quant = quantization_of(folder.config)
    limit = memory.max_context(folder.config, False)
    long_limit = memory.max_context(folder.config, True)
    usable = memory.usable_memory_bytes()
    contexts = sorted({c for c in (*INFO_CONTEXTS, limit) if c <= limit} | {long_limit})
    rows = []
    for kv_bits in (None, 8):
        for context in contexts:
            total = memory.estimate(folder.config, context, kv_bits, folder.path).total
            rows.append(MemoryAt(context, kv_bits, total, total <= usable))
    fit = memory.context_fit(folder.config, None, False, folder=folder.path)
    return ModelInfo(
        path=str(folder.path),
        name=folder.name,
        architecture=str(folder.config.get("model_type")),
        parameters=parameter_count(folder.path, quant),
        quantization=quant,
        size_bytes=folder_size(folder.path),
        context_length=limit,
        long_context_length=long_limit,
        tool_calling=features.tool_calling,
        thinking=features.thinking,
        fingerprint=folder.fingerprint,
        largest_context_that_fits=fit.tokens,
        memory=rows,
    )

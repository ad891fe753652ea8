"""Find, check and load a model folder.

Every problem a user can cause (a wrong path, a folder of another architecture, a
truncated download) becomes a ``ModelError`` naming the problem before mlx sees it.
"""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ii_desktop.core.errors import ModelFormatError, ModelNotFound, TemplateError
from ii_desktop.core.settings import LONG_CONTEXT_MAX, YARN_ROPE_SCALING

SUPPORTED_MODEL_TYPES = ("qwen3",)
_MAX_HEADER = 100 * 1024 * 1024


def resolve_model_path(name: str) -> Path:
    """A local folder, or a Hugging Face repo id already in the local cache (never fetched)."""
    path = Path(name).expanduser()
    if path.is_dir():
        return path.resolve()
    if path.exists():
        raise ModelNotFound(f"{name} is a file; choose the model's folder.")
    looks_like_repo = name.count("/") == 1 and not name.startswith((".", "/", "~"))
    if looks_like_repo:
        try:
            from huggingface_hub import snapshot_download

            return Path(snapshot_download(name, local_files_only=True))
        except Exception:
            raise ModelNotFound(
                f"{name} is not a folder, and no copy of that Hugging Face model is in the "
                "local cache. Download or convert it first, then choose its folder."
            ) from None
    raise ModelNotFound(f"Model folder not found: {name}")


def read_config(folder: Path) -> dict[str, Any]:
    path = folder / "config.json"
    if not path.is_file():
        raise ModelFormatError(f"{folder} has no config.json, so it is not a model folder.")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelFormatError(f"{path} is not valid JSON ({exc}).") from None
    if not isinstance(config, dict):
        raise ModelFormatError(f"{path} does not hold a JSON object.")
    model_type = config.get("model_type")
    if model_type not in SUPPORTED_MODEL_TYPES:
        raise ModelFormatError(
            f"{folder.name} is a {model_type or 'unknown'!s} model; ii-desktop runs Qwen3 "
            "models such as II-Search-4B."
        )
    return config


def _check_safetensors(path: Path) -> bytes:
    """Validate a safetensors file's header against its size; return the header bytes."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        raw_len = fh.read(8)
        if len(raw_len) != 8:
            raise ModelFormatError(f"{path.name} is empty or truncated.")
        (header_len,) = struct.unpack("<Q", raw_len)
        if header_len <= 0 or header_len > min(_MAX_HEADER, size - 8):
            raise ModelFormatError(f"{path.name} is not a valid safetensors file.")
        header = fh.read(header_len)
    try:
        entries = json.loads(header)
    except ValueError:
        raise ModelFormatError(f"{path.name} has a damaged header.") from None
    if not isinstance(entries, dict):
        raise ModelFormatError(f"{path.name} has a damaged header.")
    end = 0
    for name, entry in entries.items():
        if name == "__metadata__":
            continue
        offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
        if not (isinstance(offsets, list) and len(offsets) == 2):
            raise ModelFormatError(f"{path.name} has a damaged header.")
        end = max(end, int(offsets[1]))
    if 8 + header_len + end > size:
        raise ModelFormatError(
            f"{path.name} is truncated ({size:,} bytes, needs {8 + header_len + end:,}); "
            "download or convert the model again."
        )
    return header


@dataclass(frozen=True)
class ModelFolder:
    path: Path
    config: dict[str, Any]
    fingerprint: str

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def quantization(self) -> str:
        q = self.config.get("quantization")
        if isinstance(q, dict) and "bits" in q:
            return f"{q['bits']}bit-g{q.get('group_size', 64)}"
        return str(self.config.get("torch_dtype") or "bf16")


def inspect_model(name: str) -> ModelFolder:
    """Check a model folder without loading it; return its config and identity."""
    folder = resolve_model_path(name)
    config = read_config(folder)
    weights = sorted(folder.glob("*.safetensors"))
    if not weights:
        raise ModelFormatError(f"{folder} has no .safetensors weights.")
    if not (folder / "tokenizer.json").is_file() and not (folder / "vocab.json").is_file():
        raise ModelFormatError(f"{folder} has no tokenizer (tokenizer.json).")
    digest = hashlib.sha256()
    digest.update((folder / "config.json").read_bytes())
    for file in weights:
        header = _check_safetensors(file)
        digest.update(f"{file.name}:{file.stat().st_size}:".encode())
        digest.update(header)
    for extra in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
        if (folder / extra).is_file():
            digest.update((folder / extra).read_bytes())
    return ModelFolder(folder, config, digest.hexdigest()[:32])


def load_overrides(long_context: bool) -> dict[str, Any] | None:
    """``model_config`` overrides for mlx-lm: YaRN rope scaling for long-context mode.

    ``original_max_position_embeddings`` is always given: without it mlx-lm falls back
    to 4096 and silently distorts positions.
    """
    if not long_context:
        return None
    return {"rope_scaling": dict(YARN_ROPE_SCALING), "max_position_embeddings": LONG_CONTEXT_MAX}


TOOL_PROBE = [
    {
        "type": "function",
        "function": {
            "name": "probe_tool_zz",
            "description": "probe",
            "parameters": {"type": "object", "properties": {}},
        },
    }
]


def template_supports_tools(tokenizer: Any) -> bool:
    try:
        text = tokenizer.apply_chat_template(
            [{"role": "user", "content": "hi"}],
            tools=TOOL_PROBE,
            add_generation_prompt=True,
            tokenize=False,
        )
    except Exception:
        return False
    return "probe_tool_zz" in text


def load_model(folder: ModelFolder, long_context: bool) -> tuple[Any, Any]:
    """Load weights and tokenizer through mlx-lm (call on the engine thread)."""
    from mlx_lm import load

    try:
        model, tokenizer = load(str(folder.path), model_config=load_overrides(long_context))[:2]
    except Exception as exc:
        raise ModelFormatError(
            f"Could not load {folder.name}: {str(exc).splitlines()[0] if str(exc) else exc!r}"
        ) from None
    if getattr(tokenizer, "chat_template", None) is None:
        raise TemplateError(f"{folder.name} has no chat template, so prompts cannot be built.")
    return model, tokenizer

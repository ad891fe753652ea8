"""Quantize a model folder to 4 or 8 bits on this machine, with mlx-lm's converter.

quantize_model(src, dest, bits=4, group_size=64, progress=callback, cancel=event)
callback(QuantizeProgress)  # one call per stage, from the calling thread
event.set()                 # honoured between stages (the conversion itself runs
                            # to its end); a stopped conversion leaves no folder
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ii_desktop.core.errors import ModelError, UsageError
from ii_desktop.engine.model_files import inspect_model
from ii_desktop.models.info import format_size, parameter_count, quantization_of

BITS_CHOICES = (4, 8)
GROUP_SIZES = (32, 64, 128)
_DISK_MARGIN = 1.1  # the estimate leaves out small tensors kept unquantized

Stage = Literal["checking", "converting", "verifying", "done"]


class QuantizeError(ModelError):
    pass


class QuantizeCancelled(ModelError):
    exit_code = 130


@dataclass(frozen=True)
class QuantizeProgress:
    stage: Stage
    message: str
    step: int  # 1-based: which of ``steps`` this is
    steps: int = 4


ProgressCallback = Callable[[QuantizeProgress], None]


def quantized_size(parameters: int, bits: int, group_size: int) -> int:
    """Bytes of ``parameters`` weights at ``bits`` with one 2-byte scale and bias per group."""
    return int(parameters * (bits / 8 + 4 / group_size))


def _free_bytes(folder: Path) -> int:
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return shutil.disk_usage(probe).free


def quantize_model(
    src: str,
    dest: str | Path,
    bits: int = 4,
    group_size: int = 64,
    *,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    verify_load: bool = True,
) -> Path:
    """Write a ``bits``-bit copy of the model ``src`` (a folder or cached repo id) into
    ``dest``, which must not exist yet; check the copy, and load it once when
    ``verify_load``. Returns ``dest``."""
    stop = cancel or threading.Event()

    def stage(name: Stage, message: str, step: int) -> None:
        if stop.is_set():
            raise QuantizeCancelled("Quantization stopped; nothing was kept.")
        if progress is not None:
            progress(QuantizeProgress(name, message, step))

    if bits not in BITS_CHOICES:
        raise UsageError("--bits must be 4 or 8.")
    if group_size not in GROUP_SIZES:
        raise UsageError("--group-size must be 32, 64 or 128.")
    out = Path(dest).expanduser()
    if out.exists():
        raise UsageError(f"{out} already exists; choose a new folder for the quantized model.")
    stage("checking", f"checking {src}", 1)
    folder = inspect_model(src)
    if quantization_of(folder.config) is not None:
        raise QuantizeError(
            f"{folder.name} is already quantized; quantize the original (bf16) weights instead."
        )
    params = parameter_count(folder.path)
    dims = [
        int(folder.config.get(k) or 0) for k in ("hidden_size", "intermediate_size", "head_dim")
    ]
    if any(d % group_size for d in dims if d):
        raise QuantizeError(
            f"{folder.name}'s layer sizes do not divide into groups of {group_size}; "
            "choose another --group-size."
        )
    needed = int(quantized_size(params, bits, group_size) * _DISK_MARGIN)
    free = _free_bytes(out.parent)
    if needed > free:
        raise QuantizeError(
            f"Not enough disk space: the {bits}-bit copy needs about {format_size(needed)} and "
            f"{format_size(free)} is free; free some space and try again."
        )
    stage("converting", f"quantizing {params:,} parameters to {bits} bits", 2)
    # written beside DEST and renamed once checked: a copy cut off midway (the app quit,
    # the power went) never stands in DEST looking finished
    work = out.with_name(f".{out.name}.partial")
    shutil.rmtree(work, ignore_errors=True)  # what an earlier cut-off try left
    try:
        _convert(folder.path, work, bits, group_size)
        stage("verifying", f"checking {out.name}", 3)
        result = inspect_model(str(work))
        if quantization_of(result.config) != {"bits": bits, "group_size": group_size}:
            raise QuantizeError(f"{out.name} was written without {bits}-bit weights.")
        if verify_load:
            _load_once(work, out.name)
        if stop.is_set():  # a last chance to stop
            raise QuantizeCancelled("Quantization stopped; nothing was kept.")
        os.replace(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    if progress is not None:  # the copy is whole now: no stopping it any more
        size = format_size(sum(f.stat().st_size for f in out.iterdir()))
        progress(QuantizeProgress("done", f"{out} ({size})", 4))
    return out


def _convert(src: Path, out: Path, bits: int, group_size: int) -> None:
    from ii_desktop.engine.convert import convert_quantized

    try:
        convert_quantized(src, out, bits, group_size)
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise QuantizeError(f"Could not quantize {src.name}: {first}") from None


def _load_once(out: Path, name: str) -> None:
    from ii_desktop.engine.convert import load_once

    try:
        load_once(out)
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise QuantizeError(f"The quantized copy {name} does not load: {first}") from None

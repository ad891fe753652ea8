"""Helpers shared by commands: engine options and settings."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from ii_desktop.core.errors import UsageError
from ii_desktop.core.settings import AppPaths, EngineSettings, app_paths, load_settings


def add_engine_options(parser: argparse.ArgumentParser, model_required: bool = False) -> None:
    group = parser.add_argument_group("model and engine")
    group.add_argument(
        "--model",
        metavar="DIR",
        required=model_required,
        help="model folder (or a Hugging Face repo id already in the local cache)",
    )
    group.add_argument(
        "--context-length",
        type=int,
        metavar="N",
        help="context length in tokens (default: the model's limit)",
    )
    group.add_argument(
        "--long-context",
        action="store_true",
        help="apply the model card's YaRN rope scaling (up to 131,072 tokens)",
    )
    group.add_argument(
        "--kv-bits", choices=["none", "8", "4"], help="quantize the KV cache to 8 or 4 bits"
    )
    group.add_argument("--prefill-chunk", type=int, metavar="N", help="prompt tokens per step")


def engine_settings(args: argparse.Namespace, paths: AppPaths) -> EngineSettings:
    base = load_settings(paths).engine
    changes: dict[str, Any] = {}
    if getattr(args, "model", None):
        changes["model_path"] = args.model
    if getattr(args, "context_length", None):
        changes["context_length"] = args.context_length
    if getattr(args, "long_context", False):
        changes["long_context"] = True
    if getattr(args, "kv_bits", None):
        changes["kv_bits"] = None if args.kv_bits == "none" else int(args.kv_bits)
    if getattr(args, "prefill_chunk", None):
        changes["prefill_chunk"] = args.prefill_chunk
    return dataclasses.replace(base, **changes)


def paths_from(args: argparse.Namespace) -> AppPaths:
    return app_paths(args.data_dir).ensure()


def require_model(settings: EngineSettings) -> str:
    if not settings.model_path:
        raise UsageError("No model chosen: pass --model DIR (or set one in the app's Settings).")
    return settings.model_path

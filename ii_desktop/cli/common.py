"""Helpers shared by commands: engine options and settings."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Iterable
from typing import Any

from ii_desktop.core.errors import UsageError
from ii_desktop.core.settings import (
    AppPaths,
    EngineSettings,
    Settings,
    ToolSettings,
    app_paths,
    load_settings_report,
)
from ii_desktop.core.urls import web_url_problem

_LOADED = "_ii_saved_settings"  # the settings a command read, kept on its parsed arguments


def web_url(value: str) -> str:
    """An argparse ``type`` for server addresses (``--searxng-url``, ``--base-url``): the
    address is checked as the option is read, with a suggestion for a missing scheme."""
    problem = web_url_problem(value)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return value.strip()


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


def saved_settings(args: argparse.Namespace, paths: AppPaths) -> Settings:
    """The settings file, read once per command: its problems are printed the first time."""
    loaded = getattr(args, _LOADED, None)
    if isinstance(loaded, Settings):
        return loaded
    settings, problems = load_settings_report(paths)
    for problem in problems:
        print(f"ii-desktop: warning: {problem}", file=sys.stderr)
    setattr(args, _LOADED, settings)
    return settings


def engine_settings(args: argparse.Namespace, paths: AppPaths) -> EngineSettings:
    base = saved_settings(args, paths).engine
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
        raise UsageError(
            "No model chosen: pass --model DIR, or choose a default with "
            "`ii-desktop model default DIR`."
        )
    return settings.model_path


def print_notes(notes: Iterable[str]) -> None:
    """What the engine wants the user to know about the settings it was given."""
    for note in notes:
        print(f"ii-desktop: note: {note}", file=sys.stderr)


def add_page_guard_options(parser: Any, research: bool = False) -> None:
    """``--allow-host`` and ``--allow-private-network`` (a parser or an argument group);
    for a research run (``research``) also ``--allow-unseen-urls``."""
    parser.add_argument(
        "--allow-host",
        metavar="HOST[:PORT]",
        action="append",
        default=[],
        help="let pages on this host (or host and port) through the local-network guard; "
        "repeatable",
    )
    parser.add_argument(
        "--allow-private-network",
        action="store_true",
        help="turn the local-network guard off: pages on local and private networks load",
    )
    if research:
        parser.add_argument(
            "--allow-unseen-urls",
            action="store_true",
            help="let the model open URLs it was not shown (not in the question, the search "
            "results or the pages read); by default they are refused, because a page can "
            "ask for such a visit to carry your notes away",
        )


def tool_settings(args: argparse.Namespace, paths: AppPaths) -> ToolSettings:
    """The saved tool settings with a command's flags on top: ``providers`` (the search
    chain), ``searxng_url`` (which also puts SearXNG first unless a chain was given),
    ``allow_host`` and ``allow_private_network``, where the command has them."""
    base = saved_settings(args, paths).tools
    changes: dict[str, Any] = {}
    providers = getattr(args, "providers", None)
    if providers:
        changes["search_providers"] = tuple(providers)
    if getattr(args, "searxng_url", None):
        changes["provider_urls"] = {**base.provider_urls, "searxng": args.searxng_url}
        if not providers and "searxng" not in base.search_providers:
            changes["search_providers"] = ("searxng", *base.search_providers)
    if getattr(args, "allow_host", None):
        changes["allow_hosts"] = (*base.allow_hosts, *args.allow_host)
    if getattr(args, "allow_private_network", False):
        changes["allow_private_network"] = True
    if getattr(args, "allow_unseen_urls", False):
        changes["allow_unseen_urls"] = True
    return dataclasses.replace(base, **changes)

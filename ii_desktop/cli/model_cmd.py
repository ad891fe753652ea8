"""``ii-desktop model ...`` (check, list, info, download, quantize, default, remove) and
``ii-desktop generate``: the engine and the model manager, headless."""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ii_desktop.cli.common import (
    add_engine_options,
    engine_settings,
    paths_from,
    print_notes,
    require_model,
)
from ii_desktop.core.errors import AppError, UsageError
from ii_desktop.core.events import (
    AnswerDelta,
    GenerationDone,
    GenerationStats,
    ReasoningDelta,
    ToolCallText,
)
from ii_desktop.models.info import format_size

if TYPE_CHECKING:
    from ii_desktop.engine.memory import ContextFit, MemoryEstimate
    from ii_desktop.engine.model_files import ModelFolder

DIM, RESET = "\033[2m", "\033[0m"


def register(commands: Any) -> None:
    model = commands.add_parser(
        "model",
        help="find, download, quantize and inspect models",
        description="The model manager: list the models on this machine, download one, "
        "quantize it to 4 or 8 bits, inspect it, choose the default, remove one.",
    )
    sub = model.add_subparsers(dest="model_command", metavar="ACTION", required=True)
    check = sub.add_parser(
        "check",
        help="check a model folder and estimate its memory needs",
        description="Check a model folder without loading it; print its identity, the memory "
        "needed at the chosen context length, and the longest context that fits this machine.",
    )
    check.add_argument("dir", help="model folder or cached Hugging Face repo id")
    check.add_argument("--context-length", type=int, metavar="N")
    check.add_argument("--long-context", action="store_true")
    check.add_argument("--kv-bits", choices=["none", "8", "4"], default="none")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.set_defaults(handler=_check)
    _register_manager(sub)

    gen = commands.add_parser(
        "generate",
        help="one model turn, streamed (no tools)",
        description="Run one assistant turn on the local model and stream reasoning and answer. "
        "With --conversation the KV cache is kept (and saved) under that id, so a later call "
        "continuing the same messages prefills only the new ones.",
    )
    gen.add_argument("prompt", help="the user message")
    add_engine_options(gen)
    gen.add_argument(
        "--messages",
        metavar="FILE",
        help="JSON list of earlier chat messages to put before the prompt",
    )
    gen.add_argument("--conversation", metavar="ID", help="conversation id for cache reuse")
    gen.add_argument("--max-tokens", type=int, default=2048)
    gen.add_argument("--temperature", type=float)
    gen.add_argument("--seed", type=int)
    gen.add_argument("--no-think", action="store_true", help="ask the model not to reason")
    gen.add_argument("--json", action="store_true", help="print events as JSON lines")
    gen.set_defaults(handler=_generate)


def _check(args: argparse.Namespace) -> int:
    from ii_desktop.engine.model_files import inspect_model
    from ii_desktop.models.info import memory_check

    folder = inspect_model(args.dir)
    kv_bits = None if args.kv_bits == "none" else int(args.kv_bits)
    check = memory_check(folder, args.context_length, kv_bits, args.long_context)
    report = {
        "path": str(folder.path),
        "model_type": folder.config.get("model_type"),
        "quantization": folder.quantization,
        "fingerprint": folder.fingerprint,
        **check.to_dict(),
    }
    if args.json:
        print(json.dumps(report))
        return 0
    print(
        check_table(
            folder,
            check.estimate,
            check.context_length,
            kv_bits,
            check.fit,
            check.machine_memory_bytes,
        )
    )
    return 0


def default_model(args: argparse.Namespace) -> str:
    """The saved default model, for commands whose model argument was left out."""
    paths = paths_from(args)
    return require_model(engine_settings(args, paths))


def describe_weights(folder: ModelFolder) -> str:
    """``4-bit (groups of 64)`` for quantized weights, else ``float32, not quantized``."""
    q = folder.config.get("quantization")
    if isinstance(q, dict) and "bits" in q:
        return f"{q['bits']}-bit (groups of {q.get('group_size', 64)})"
    return f"{folder.quantization}, not quantized"


def describe_kv(folder: ModelFolder, kv_bits: int | None) -> str:
    """How the KV cache is stored: quantized to ``kv_bits``, or at the weights' precision."""
    if kv_bits is None:
        dtype = folder.config.get("torch_dtype") or folder.config.get("dtype") or "bfloat16"
        return f"{dtype}, not quantized"
    return f"{kv_bits}-bit quantized"


def describe_fit(fit: ContextFit) -> tuple[str, str]:
    """The longest context that fits, and which of the two limits sets it."""
    if not fit.weights_fit:
        return "none", "this machine's memory cannot hold the weights"
    if fit.tokens == 0:
        return "under 1,024 tokens", "set by this machine's memory"
    if fit.bound_by_model:
        return (
            f"{fit.tokens:,} tokens",
            f"the model's own limit; this machine's memory would hold {fit.memory_tokens:,}",
        )
    return (
        f"{fit.tokens:,} tokens",
        f"set by this machine's memory; the model allows {fit.model_limit:,}",
    )


def check_table(
    folder: ModelFolder,
    est: MemoryEstimate,
    context: int,
    kv_bits: int | None,
    fit: ContextFit,
    machine: int,
) -> str:
    """What ``model check`` prints: the model, then one aligned row per part of its memory."""
    from ii_desktop.engine import memory

    usable = memory.usable_memory_bytes(machine)
    fits_now = "fits this machine" if est.total <= usable else "more than this machine can give"
    share = round(memory.USABLE_FRACTION * 100)
    rows = [
        ("weights", format_size(est.weights), describe_weights(folder)),
        (
            "KV cache",
            format_size(est.kv_cache),
            f"{context:,} tokens, {describe_kv(folder, kv_bits)}",
        ),
        ("app and runtime overhead", format_size(est.overhead), "a fixed allowance"),
        ("total", format_size(est.total), fits_now),
        ("usable on this machine", format_size(usable), f"{share}% of {format_size(machine)}"),
    ]
    label_w = max(len(r[0]) for r in rows)
    value_w = max(len(r[1]) for r in rows)
    lines = [f"{folder.name}: {folder.config.get('model_type')} model", ""]
    lines.append(f"  {'memory':{label_w}}  {'size':>{value_w}}  what it is")
    lines += [f"  {a:{label_w}}  {b:>{value_w}}  {c}" for a, b, c in rows]
    figure, reason = describe_fit(fit)
    lines += ["", f"  longest context that fits this machine: {figure}", f"  ({reason})"]
    return "\n".join(lines)


def _read_messages(path: str | None) -> list[dict[str, Any]]:
    if not path:
        return []
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"Cannot read messages from {path}: {exc}") from None
    if not isinstance(data, list) or not all(
        isinstance(m, dict) and isinstance(m.get("role"), str) for m in data
    ):
        raise UsageError(f"{path} must hold a JSON list of {{role, content}} messages.")
    return data


def _generate(args: argparse.Namespace) -> int:
    from ii_desktop.engine.request import GenerationRequest, Sampling
    from ii_desktop.engine.worker import MLXEngine

    paths = paths_from(args)
    settings = engine_settings(args, paths)
    model = require_model(settings)
    messages = [*_read_messages(args.messages), {"role": "user", "content": args.prompt}]
    sampling = Sampling(
        **({"temperature": args.temperature} if args.temperature is not None else {}),
        seed=args.seed,
    )
    conversation = args.conversation or f"cli-{uuid.uuid4().hex[:8]}"
    color = sys.stdout.isatty() and not args.json
    engine = MLXEngine(settings, cache_dir=paths.kv_cache_dir if args.conversation else None)
    try:
        print_notes(engine.load(model).result().notes)
        handle = engine.generate(
            GenerationRequest(
                conversation,
                messages,
                sampling=sampling,
                max_tokens=args.max_tokens,
                enable_thinking=not args.no_think,
            )
        )
        try:
            for event in handle.events():
                if args.json:
                    print(event.to_json(), flush=True)
                elif isinstance(event, ReasoningDelta):
                    print(f"{DIM}{event.text}{RESET}" if color else event.text, end="", flush=True)
                elif isinstance(event, AnswerDelta):
                    print(event.text, end="", flush=True)
                elif isinstance(event, ToolCallText):
                    print(f"\n[tool call] {event.text}", flush=True)
                elif isinstance(event, GenerationStats):
                    print(
                        f"\n\n[{event.prompt_tokens} prompt tokens, {event.reused_tokens} reused, "
                        f"{event.generated_tokens} generated at {event.decode_tps} tok/s]",
                        file=sys.stderr,
                    )
        except KeyboardInterrupt:
            handle.cancel()
            handle.wait()
        done = handle.final
        engine.wait_idle(60)
    finally:
        engine.close()
    if isinstance(done, GenerationDone) and done.finish_reason == "error":
        print(f"ii-desktop: {done.error}", file=sys.stderr)
        return 1
    return 0


# The model manager: list, info, download, quantize, default, remove.


def _register_manager(sub: Any) -> None:
    listing = sub.add_parser(
        "list",
        help="the models on this machine",
        description="List the models in the app's models folder, the Hugging Face cache and "
        "LM Studio's models folders, with size, quantization, architecture and what their "
        "chat templates support; the default is marked with *.",
    )
    listing.add_argument("--json", action="store_true", help="print one JSON list")
    listing.set_defaults(handler=_list)

    info = sub.add_parser(
        "info",
        help="validate a model folder and describe it",
        description="Check a model folder (config, weights, tokenizer, chat template) without "
        "loading it, and report its architecture, parameters, quantization, size, context "
        "length, tool calling, thinking and the memory it needs at a few context lengths.",
    )
    info.add_argument("dir", nargs="?", help="model folder or name (default: the default)")
    info.add_argument("--json", action="store_true", help="print one JSON object")
    info.set_defaults(handler=_info)

    from ii_desktop.models.download import DEFAULT_REPO

    download = sub.add_parser(
        "download",
        help="download a model from Hugging Face into the app's models folder",
        description="Download a model into the app's models folder, with progress on stderr. "
        "Ctrl-C stops it and keeps what was downloaded: the same command resumes. Every "
        "file is checked against the hub's hash. The hub address comes from HF_ENDPOINT "
        "when set.",
    )
    download.add_argument(
        "repo_id", nargs="?", default=DEFAULT_REPO, help=f"repo id (default: {DEFAULT_REPO})"
    )
    download.add_argument("--revision", metavar="R", help="branch, tag or commit (default: main)")
    download.set_defaults(handler=_download)

    quantize = sub.add_parser(
        "quantize",
        help="quantize a model to 4 or 8 bits on this machine",
        description="Write a 4- or 8-bit copy of a model with mlx-lm's converter, check it "
        "and load it once. DEST must not exist yet.",
    )
    quantize.add_argument("src", help="model folder, name or cached repo id")
    quantize.add_argument("--bits", type=int, choices=[4, 8], required=True)
    quantize.add_argument("--group-size", type=int, choices=[32, 64, 128], default=64)
    quantize.add_argument("-o", "--output", metavar="DEST", help="new folder for the copy")
    quantize.set_defaults(handler=_quantize)

    default = sub.add_parser(
        "default",
        help="choose the model used when --model is not given",
        description="Save a model folder (or a name from `model list`) as the default "
        "model; with no argument, print the default.",
    )
    default.add_argument("model", nargs="?", metavar="DIR|NAME")
    default.set_defaults(handler=_default)

    remove = sub.add_parser(
        "remove",
        help="delete a model from the app's models folder",
        description="Delete a model folder inside the app's models folder (never anything "
        "outside it) and say how much space that freed.",
    )
    remove.add_argument("name", metavar="NAME")
    remove.add_argument(
        "-y", "--yes", action="store_true", help="do not ask first (in a terminal it asks)"
    )
    remove.set_defaults(handler=_remove)


def _settings_default(args: argparse.Namespace) -> str | None:
    from ii_desktop.cli.common import saved_settings

    return saved_settings(args, paths_from(args)).engine.model_path


def _quant_words(quant: dict[str, int] | None) -> str:
    return f"{quant['bits']}-bit g{quant['group_size']}" if quant else "not quantized"


def _yes_no(value: bool | None) -> str:
    return "?" if value is None else ("yes" if value else "no")


def _list(args: argparse.Namespace) -> int:
    from ii_desktop.models.catalog import list_models

    paths = paths_from(args)
    entries = list_models(paths.models_dir, _settings_default(args))
    if args.json:
        print(json.dumps([e.to_dict() for e in entries]))
        return 0
    if not entries:
        print(
            f"No models found (looked in {paths.models_dir}, the Hugging Face cache and "
            "LM Studio's folders); `ii-desktop model download` fetches II-Search-4B."
        )
        return 0
    head = ("", "name", "from", "size", "quantization", "type", "tools", "thinking")
    rows = [
        (
            "*" if e.is_default else "",
            e.name + ("" if e.complete else " (unfinished download)"),
            e.source,
            format_size(e.size_bytes),
            _quant_words(e.quantization),
            e.architecture or "?",
            _yes_no(e.tool_calling),
            _yes_no(e.thinking),
        )
        for e in entries
    ]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for row in [head, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def _info(args: argparse.Namespace) -> int:
    from ii_desktop.models.info import model_info

    report = model_info(_model_name(args, args.dir))
    if args.json:
        print(json.dumps(report.to_dict()))
        return 0
    lines = [
        f"{report.name}: {report.architecture} model at {report.path}",
        f"  parameters      {report.parameters:,}",
        f"  quantization    {_quant_words(report.quantization)}",
        f"  size            {format_size(report.size_bytes)}",
        f"  context length  {report.context_length:,} tokens "
        f"({report.long_context_length:,} in long-context mode)",
        f"  tool calling    {_yes_no(report.tool_calling)}",
        f"  thinking        {_yes_no(report.thinking)}",
        "",
        "  memory needed (weights, KV cache and overhead):",
    ]
    for row in report.memory:
        kv = "full KV" if row.kv_bits is None else f"{row.kv_bits}-bit KV"
        fits = "fits" if row.fits else "too much for this machine"
        lines.append(
            f"    {row.context_length:>7,} tokens, {kv:<8} {format_size(row.total_bytes):>10}  "
            f"{fits}"
        )
    print("\n".join(lines))
    return 0


def _model_name(args: argparse.Namespace, given: str | None) -> str:
    """A folder, a cached repo id, or a name from ``model list``, as a path or repo id."""
    if not given:
        return default_model(args)
    from ii_desktop.models.catalog import find_model

    if Path(given).expanduser().is_dir():
        return given
    try:
        entry = find_model(paths_from(args).models_dir, given)
    except AppError:
        return given  # a cached repo id or a missing folder: inspect_model explains
    return entry.path


class _ProgressLine:
    """The download's progress on stderr: rewritten in place on a terminal, else a line
    every few seconds."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, p: Any) -> None:
        import time

        now = time.monotonic()
        if not self.tty and p.stage == "downloading" and now - self.last < 5:
            return
        self.last = now
        speed = f"{format_size(p.bytes_per_second)}/s" if p.bytes_per_second else "…"
        left = _duration(p.seconds_left) + " left" if p.seconds_left is not None else ""
        line = (
            f"{format_size(p.done_bytes)} of {format_size(p.total_bytes)} "
            f"({p.fraction:.0%})  {speed}  {left}  file {min(p.files_done + 1, p.file_count)} "
            f"of {p.file_count}"
        ).rstrip()
        if p.stage == "done":
            line = f"{format_size(p.total_bytes)} in {p.file_count} files, all checked"
        if self.tty:
            print(f"\r\033[K{line}", end="\n" if p.stage == "done" else "", file=sys.stderr)
        else:
            print(line, file=sys.stderr, flush=True)


def _duration(seconds: float) -> str:
    s = int(seconds)
    if s >= 3600:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 60}m {s % 60:02d}s" if s >= 60 else f"{s}s"


def _download(args: argparse.Namespace) -> int:
    from ii_desktop.models.download import DownloadCancelled, download_model, repo_folder_name
    from ii_desktop.models.info import folder_size

    paths = paths_from(args)
    dest = paths.models_dir / repo_folder_name(args.repo_id)
    print(f"Downloading {args.repo_id} into {dest}", file=sys.stderr)
    try:
        result = download_model(args.repo_id, dest, args.revision, progress=_ProgressLine())
    except (KeyboardInterrupt, DownloadCancelled):
        kept = folder_size(dest) if dest.exists() else 0
        print(
            f"\nii-desktop: download stopped; {format_size(kept)} kept in {dest}. Run the "
            "same command again to resume.",
            file=sys.stderr,
        )
        return 130
    print(f"Downloaded {args.repo_id} into {result.path}")
    return 0


def _quantize(args: argparse.Namespace) -> int:
    import contextlib

    from ii_desktop.models.quantize import quantize_model

    if not args.output:
        raise UsageError("Give the new folder with -o DEST.")
    src = _model_name(args, args.src)

    def say(p: Any) -> None:
        print(f"[{p.step}/{p.steps}] {p.message}", file=sys.stderr, flush=True)

    with contextlib.redirect_stdout(sys.stderr):  # the converter's own notes
        out = quantize_model(src, args.output, args.bits, args.group_size, progress=say)
    print(f"Wrote {out}; `ii-desktop model default {out}` makes it the default.")
    return 0


def _default(args: argparse.Namespace) -> int:
    import dataclasses

    from ii_desktop.cli.common import saved_settings
    from ii_desktop.core.settings import save_settings
    from ii_desktop.engine.model_files import inspect_model
    from ii_desktop.models.catalog import find_model

    paths = paths_from(args)
    settings = saved_settings(args, paths)
    if not args.model:
        print(settings.engine.model_path or "No default model; choose one with `model default`.")
        return 0
    entry = find_model(paths.models_dir, args.model)
    inspect_model(entry.path)  # a broken folder never becomes the default
    value = entry.name if entry.source == "huggingface" else str(Path(entry.path).resolve())
    engine = dataclasses.replace(settings.engine, model_path=value)
    save_settings(paths, dataclasses.replace(settings, engine=engine))
    print(f"Default model: {value}")
    return 0


def _remove(args: argparse.Namespace) -> int:
    import dataclasses
    import shutil

    from ii_desktop.cli.common import saved_settings
    from ii_desktop.core.settings import save_settings
    from ii_desktop.models.info import folder_size

    paths = paths_from(args)
    root = paths.models_dir.resolve()
    given = Path(args.name).expanduser()
    target = (given if given.is_absolute() or given.exists() else root / args.name).resolve()
    if target.parent != root:
        raise UsageError(
            f"Only models in the app's models folder ({root}) can be removed; "
            f"{args.name} is not one of them."
        )
    if not target.is_dir():
        raise UsageError(f"No model named {args.name} in {root}.")
    freed = folder_size(target)
    if sys.stdin.isatty() and not args.yes:
        print(f"Remove {target.name} ({format_size(freed)})? [y/N] ", end="", flush=True)
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            print(f"Kept {target.name}.")
            return 0
    shutil.rmtree(target)
    print(f"Removed {target.name} ({format_size(freed)} freed).")
    settings = saved_settings(args, paths)
    current = settings.engine.model_path
    if current and Path(current).expanduser().resolve() == target:
        engine = dataclasses.replace(settings.engine, model_path=None)
        save_settings(paths, dataclasses.replace(settings, engine=engine))
        print("It was the default model; choose another with `ii-desktop model default`.")
    return 0

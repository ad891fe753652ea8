"""``ii-desktop model check`` and ``ii-desktop generate``: the engine, headless."""

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
from ii_desktop.core.errors import UsageError
from ii_desktop.core.events import (
    AnswerDelta,
    GenerationDone,
    GenerationStats,
    ReasoningDelta,
    ToolCallText,
)

if TYPE_CHECKING:
    from ii_desktop.engine.memory import ContextFit, MemoryEstimate
    from ii_desktop.engine.model_files import ModelFolder

DIM, RESET = "\033[2m", "\033[0m"


def register(commands: Any) -> None:
    model = commands.add_parser("model", help="inspect a model folder")
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
    from ii_desktop.engine import memory
    from ii_desktop.engine.model_files import inspect_model

    folder = inspect_model(args.dir)
    kv_bits = None if args.kv_bits == "none" else int(args.kv_bits)
    limit = memory.max_context(folder.config, args.long_context)
    context = min(args.context_length or limit, limit)
    est = memory.estimate(folder.config, context, kv_bits, folder.path)
    fit = memory.context_fit(folder.config, kv_bits, args.long_context, folder=folder.path)
    machine = memory.machine_memory_bytes()
    report = {
        "path": str(folder.path),
        "model_type": folder.config.get("model_type"),
        "quantization": folder.quantization,
        "fingerprint": folder.fingerprint,
        "context_length": context,
        "kv_bits": kv_bits,
        "weights_bytes": est.weights,
        "kv_cache_bytes": est.kv_cache,
        "total_bytes": est.total,
        "kv_bytes_per_token": memory.kv_bytes_per_token(folder.config, kv_bits),
        "machine_memory_bytes": machine,
        "largest_context_that_fits": fit.tokens,
    }
    if args.json:
        print(json.dumps(report))
        return 0
    print(check_table(folder, est, context, kv_bits, fit, machine))
    return 0


def format_size(n: float) -> str:
    """``1.00 GiB``, ``80.0 MiB``, ``2.9 MiB``: always two or three significant digits."""
    if n >= 1024**3:
        return f"{n / 1024**3:.2f} GiB"
    mib = n / 1024**2
    return f"{mib:.1f} MiB" if mib >= 0.1 else f"{n / 1024:.1f} KiB"


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

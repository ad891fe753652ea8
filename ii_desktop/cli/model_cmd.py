"""``ii-desktop model check`` and ``ii-desktop generate``: the engine, headless."""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from pathlib import Path
from typing import Any

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
    fits = memory.largest_context(folder.config, kv_bits, args.long_context, folder=folder.path)
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
        "machine_memory_bytes": memory.machine_memory_bytes(),
        "largest_context_that_fits": fits,
    }
    if args.json:
        print(json.dumps(report))
        return 0
    gib = 1024**3
    print(f"{folder.name}: {report['model_type']}, {folder.quantization}")
    print(f"  weights        {est.weights / gib:8.2f} GiB")
    print(f"  KV at {context:,} tokens {est.kv_cache / gib:8.2f} GiB ({args.kv_bits} bits)")
    print(f"  total          {est.total / gib:8.2f} GiB")
    print(f"  longest context that fits this machine: {fits:,} tokens")
    return 0


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

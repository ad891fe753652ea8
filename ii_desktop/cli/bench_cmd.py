"""``ii-desktop bench engine``: figures for the engine, against plain mlx-lm."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ii_desktop.cli import bench_reader_cmd


def register(commands: Any) -> None:
    bench = commands.add_parser("bench", help="benchmarks that print figures")
    sub = bench.add_subparsers(dest="bench_command", metavar="NAME", required=True)
    engine = sub.add_parser(
        "engine",
        help="decode overhead and KV-cache reuse of the engine",
        description="Decode speed of plain mlx_lm.stream_generate against the app's pipeline, "
        "and tokens prefilled for a follow-up question, a tool round and a reopened "
        "conversation, all on one model in one process.",
    )
    engine.add_argument("--model", metavar="DIR", required=True)
    engine.add_argument("--rounds", type=int, default=7, help="alternations for the speed test")
    engine.add_argument("--tokens", type=int, default=200, help="tokens per speed run")
    engine.add_argument("--json", action="store_true", help="print one JSON object")
    engine.set_defaults(handler=_engine)
    bench_reader_cmd.register(sub)
    ui = sub.add_parser(
        "ui",
        help="stalls and render cost of the window while a long answer streams",
        description="Streams a scripted 20,000-token research run through the real window "
        "offscreen and reports GUI-thread stalls and render cost per 1,000 tokens beside a "
        "naive baseline, the time to the first painted window, and the time to open a "
        "notebook of 200 runs.",
    )
    ui.add_argument("--json", action="store_true", help="print one JSON object")
    ui.set_defaults(handler=_ui)
    notebooks = sub.add_parser(
        "notebooks",
        help="store size per run and command times as the notebooks grow",
        description="Builds stores of realistic runs (reasoning, a search, a 20 KB page, an "
        "answer) and times list, search, show, HTML export and a follow-up's prompt build, "
        "each in a fresh process (start-up included, and reported alone as the baseline).",
    )
    notebooks.add_argument(
        "--runs",
        type=int,
        action="append",
        metavar="N",
        help="a store size to measure (repeatable; default 1,000 and 10,000)",
    )
    notebooks.add_argument("--json", action="store_true", help="print one JSON object")
    notebooks.set_defaults(handler=_notebooks)


def _engine(args: argparse.Namespace) -> int:
    from ii_desktop.cli.common import paths_from
    from ii_desktop.engine.bench import run_engine_bench

    paths = paths_from(args)
    result = run_engine_bench(args.model, paths, rounds=args.rounds, tokens=args.tokens)
    return _report(result, args.json, width=28)


def _ui(args: argparse.Namespace) -> int:
    from ii_desktop.ui.bench import run_ui_bench

    return _report(run_ui_bench(), args.json, width=32)


def _notebooks(args: argparse.Namespace) -> int:
    from ii_desktop.core.errors import UsageError
    from ii_desktop.notebooks.bench import DEFAULT_SIZES, run_notebook_bench, table

    sizes = tuple(args.runs or DEFAULT_SIZES)
    if any(n < 1 for n in sizes):
        raise UsageError("--runs takes a number of runs of at least 1.")
    result = run_notebook_bench(sizes)
    print(json.dumps(result) if args.json else table(result))
    return 0


def _report(result: dict[str, Any], as_json: bool, width: int) -> int:
    """A benchmark's figures: one JSON object, or one aligned line per figure."""
    if as_json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:{width}} {value}")
    return 0

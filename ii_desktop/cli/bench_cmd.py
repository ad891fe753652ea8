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


def _engine(args: argparse.Namespace) -> int:
    from ii_desktop.cli.common import paths_from
    from ii_desktop.engine.bench import run_engine_bench

    paths = paths_from(args)
    result = run_engine_bench(args.model, paths, rounds=args.rounds, tokens=args.tokens)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:28} {value}")
    return 0

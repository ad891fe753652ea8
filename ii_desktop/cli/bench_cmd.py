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
    print(json.dumps(result) if args.json else engine_table(result))
    return 0


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


# what each of the engine bench's targets asks, in words
ENGINE_TARGETS = {
    "ratio>=0.90": "the app decodes at 90% or more of mlx-lm's speed",
    "followup<=question+8": "a follow-up prefills at most its question + 8 tokens",
    "tool_round<=tool+8": "a tool round prefills at most its response + 8 tokens",
    "reopen<=question+8": "a reopened conversation prefills at most its question + 8",
}


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def _tokens(n: int) -> str:
    return f"{n:,} tokens"


def _table(title: str, rows: list[tuple[str, str, str]]) -> list[str]:
    """A titled block: label, right-aligned figure with its unit, what it is compared with."""
    label_w = max(len(r[0]) for r in rows)
    value_w = max(len(r[1]) for r in rows)
    lines = [title]
    for label, value, note in rows:
        lines.append(f"  {label:{label_w}}  {value:>{value_w}}  {note}".rstrip())
    return [*lines, ""]


def engine_table(result: dict[str, Any]) -> str:
    """The engine bench's figures as readable tables, then each target as met or missed."""
    r = result
    rounds = r["speed_rounds"]
    lines = [
        f"Engine benchmark on {r['model']}: speed as the median of {rounds} "
        f"round{'s' if rounds != 1 else ''} of {r['speed_tokens']:,} tokens each",
        "",
    ]
    lines += _table(
        "Decode speed",
        [
            ("plain mlx-lm", f"{r['raw_tps']:,.1f} tokens/s", "the reference"),
            ("the app", f"{r['app_tps']:,.1f} tokens/s", "same prompt and length"),
            ("the app against mlx-lm", f"{r['ratio']:.3f}", "speed ratio (target: 0.90 or more)"),
            ("with repetition penalty", f"{r['penalty_tps']:,.1f} tokens/s", "through the app"),
            ("without it", f"{r['no_penalty_tps']:,.1f} tokens/s", "through the app"),
            ("penalty on against off", f"{r['penalty_ratio']:.3f}", "speed ratio"),
        ],
    )
    lines += [
        "  A speed ratio divides the first speed by the second for each pair of runs made back",
        "  to back and takes the median: 1.000 is the same speed, below 1 slower. Dividing the",
        f"  app's median by mlx-lm's instead gives {r['ratio_of_medians']:.3f}.",
        "",
    ]
    lines += _table(
        "Tokens prefilled (the fewer the faster the first token)",
        [
            (
                "follow-up question",
                _tokens(r["followup_prefill"]),
                f"the question is {_tokens(r['followup_question_tokens'])}",
            ),
            (
                "  without rewriting history",
                _tokens(r["followup_prefill_without_rewrite"]),
                "as other apps do",
            ),
            ("  with no cache", _tokens(r["followup_prefill_cold"]), "the whole conversation"),
            (
                "tool round",
                _tokens(r["tool_round_prefill"]),
                f"the tool's response is {_tokens(r['tool_response_tokens'])} "
                f"({r['tool_result_content_tokens']:,} of them its text)",
            ),
            (
                "reopened conversation",
                _tokens(r["reopen_prefill"]),
                f"the question is {_tokens(r['reopen_question_tokens'])}; "
                f"cache from {r['reopen_cache_source']}",
            ),
        ],
    )
    lines += _table(
        "Time to first token",
        [
            ("follow-up question", _ms(r["followup_ttft_s"]), ""),
            ("  with no cache", _ms(r["followup_ttft_cold_s"]), "the whole conversation"),
            ("tool round", _ms(r["tool_round_ttft_s"]), ""),
            ("reopened conversation", _ms(r["reopen_ttft_s"]), ""),
            ("idle engine", _ms(r["idle_ttft_s"]), "a new question"),
            (
                "engine busy",
                _ms(r["ttft_during_rewrite_s"]),
                "a new question while a long answer's cache is rewritten",
            ),
        ],
    )
    peak = r["peak_memory_bytes"] / 1024**2
    lines += [f"Peak memory: {peak:,.1f} MiB", "", "Targets"]
    figures = {
        "ratio>=0.90": f"{r['ratio']:.3f}",
        "followup<=question+8": (
            f"{r['followup_prefill']:,} prefilled, question {r['followup_question_tokens']:,}"
        ),
        "tool_round<=tool+8": (
            f"{r['tool_round_prefill']:,} prefilled, response {r['tool_response_tokens']:,}"
        ),
        "reopen<=question+8": (
            f"{r['reopen_prefill']:,} prefilled, question {r['reopen_question_tokens']:,}"
        ),
    }
    for key, met in r["targets_met"].items():
        figure = f" ({figures[key]})" if key in figures else ""
        lines.append(f"  {'met   ' if met else 'missed'}  {ENGINE_TARGETS.get(key, key)}{figure}")
    return "\n".join(lines)

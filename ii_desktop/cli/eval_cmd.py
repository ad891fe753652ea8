"""``ii-desktop eval factcheck FILE``: the verification step scored on labelled claims."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ii_desktop.cli.ask_cmd import (
    add_run_engine_options,
    add_tool_options,
    make_engine,
    resolve_engine,
)
from ii_desktop.cli.check_cmd import VERDICT_WORDS, _run_interruptibly
from ii_desktop.cli.common import paths_from, tool_settings
from ii_desktop.cli.visit_cmd import escape_controls
from ii_desktop.core.errors import UsageError
from ii_desktop.core.events import Event


def register(commands: Any) -> None:
    evaluate = commands.add_parser(
        "eval",
        help="score the agent on public benchmark files",
        description="Score the agent on public benchmark files, through the same run "
        "layer as ask and check.",
    )
    tasks = evaluate.add_subparsers(dest="task", metavar="TASK", required=True)
    factcheck = tasks.add_parser(
        "factcheck",
        help="verify labelled claims (AVeriTeC JSON, Factcheck-GPT JSONL)",
        description="Check each labelled claim with a research run and compare the verdict "
        "with the label: accuracy, macro-F1, the confusion matrix and tool calls per claim. "
        "Labels are mapped onto supported, refuted, mixed (AVeriTeC's conflicting evidence "
        "or cherry-picking) and not enough evidence.",
    )
    factcheck.add_argument("file", type=Path)
    factcheck.add_argument("--limit", type=int, metavar="N", help="the first N claims only")
    factcheck.add_argument("--offset", type=int, default=0, metavar="N", help="skip N claims")
    factcheck.add_argument(
        "--concurrency", type=int, default=1, metavar="N", help="claims at once (servers)"
    )
    factcheck.add_argument("--max-rounds", type=int, default=16, metavar="N", help="per claim")
    factcheck.add_argument("--json", action="store_true", help="a line per claim, then a summary")
    add_run_engine_options(factcheck)
    add_tool_options(factcheck)
    factcheck.set_defaults(handler=_factcheck)

    for task, what in (
        ("simpleqa", "SimpleQA CSV (metadata,problem,answer or metadata,question,true_answer)"),
        ("frames", "FRAMES CSV (Prompt,Answer or question,true_answer)"),
        ("seal0", "Seal-0 JSONL (question, answer)"),
    ):
        qa = tasks.add_parser(
            task,
            help=f"short-answer research runs on {what.split(' (')[0]}",
            description=f"Run each question of a {what} file as a short-answer research run "
            "and grade the boxed answer. Results land in the data folder's evals/ as they "
            "come (and each run in a notebook); --resume RUN_ID continues.",
        )
        qa.add_argument("file", type=Path, nargs="?", help="the benchmark file")
        qa.add_argument("--limit", type=int, metavar="N")
        qa.add_argument("--offset", type=int, default=0, metavar="N")
        qa.add_argument("--sample", type=int, metavar="N", help="N questions drawn at random")
        qa.add_argument("--seed", type=int, default=0, metavar="S", help="for --sample")
        qa.add_argument(
            "--judge",
            choices=["exact", "model"],
            help="grading (default: model when the engine can grade, else exact)",
        )
        qa.add_argument("--resume", metavar="RUN_ID", help="continue this evaluation")
        qa.add_argument("--concurrency", type=int, default=1, metavar="N")
        qa.add_argument("--max-rounds", type=int, default=50, metavar="N")
        qa.add_argument("--json", action="store_true", help="a line per question, then a summary")
        add_run_engine_options(qa)
        add_tool_options(qa)
        qa.set_defaults(handler=_qa, task=task)

    report = tasks.add_parser("report", help="compare evaluation runs side by side (Markdown)")
    report.add_argument("run_ids", nargs="+", metavar="RUN_ID")
    report.set_defaults(handler=_report)


def _qa(args: argparse.Namespace) -> int:
    from ii_desktop.evals.qa import Evaluation, choose, load_questions, load_run, new_run
    from ii_desktop.research import ResearchSession

    for name in ("limit", "sample"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            raise UsageError(f"--{name} must be at least 1.")
    if args.offset < 0:
        raise UsageError("--offset must be 0 or more.")
    paths = paths_from(args)
    if args.resume:
        run = load_run(paths, args.resume)
        if run.task != args.task:
            raise UsageError(f"Run {run.run_id} is a {run.task} evaluation, not {args.task}.")
        file = Path(args.file or run.file)
    elif args.file is None:
        raise UsageError(f"Give the {args.task} file, or --resume RUN_ID.")
    else:
        file = args.file
    questions = choose(
        load_questions(args.task, file), args.offset, args.limit, args.sample, args.seed
    )
    if not questions:
        raise UsageError(f"--offset {args.offset} is past the end of {file}.")
    settings = tool_settings(args, paths)
    judge = args.judge or ("exact" if resolve_engine(args, paths) == "replay" else "model")
    if not args.resume:
        run = new_run(paths, args.task, file, judge)

    def on_result(row: dict[str, Any]) -> None:
        if args.json:
            print(escape_controls(json.dumps(row, ensure_ascii=False)), flush=True)
        else:
            done = len(run.results)
            print(
                f"[{done}] {row['grade']:<13} {row['question'][:70]!s}",
                file=sys.stderr,
                flush=True,
            )

    engine = make_engine(args, paths)
    session = ResearchSession(paths, settings, engine)
    try:
        evaluation = Evaluation(
            session, run, questions, args.concurrency, args.max_rounds, on_result
        )
        summary = _run_interruptibly(evaluation)
    finally:
        session.close()
    if args.json:
        print(json.dumps(summary), flush=True)
    else:
        print(
            f"{summary['n']} questions: accuracy {summary['accuracy']:.1%}, not attempted "
            f"{summary['not_attempted']:.1%}; per question {summary['avg_search']:.1f} "
            f"searches, {summary['avg_visit']:.1f} visits, {summary['avg_seconds']:.1f} s, "
            f"{summary['avg_tokens']:.0f} tokens; {summary['errors']} errors."
        )
        print(
            f"Run {run.run_id}: `ii-desktop eval report {run.run_id}` compares it, "
            f"`--resume {run.run_id}` continues it.",
            file=sys.stderr,
        )
    return 130 if evaluation.cancelled else 0


def _report(args: argparse.Namespace) -> int:
    from ii_desktop.evals.qa import load_run, report

    paths = paths_from(args)
    print(report([load_run(paths, run_id) for run_id in args.run_ids]))
    return 0


def _factcheck(args: argparse.Namespace) -> int:
    from ii_desktop.factcheck.evaluate import (
        as_claims,
        confusion_table,
        evaluation_summary,
        load_claims,
    )
    from ii_desktop.factcheck.pipeline import ClaimChecked, FactCheck, PageInput, new_check
    from ii_desktop.research import ResearchSession

    if args.limit is not None and args.limit < 1:
        raise UsageError("--limit must be at least 1.")
    if args.offset < 0:
        raise UsageError("--offset must be 0 or more.")
    labelled = load_claims(args.file)[args.offset :]
    if args.limit is not None:
        labelled = labelled[: args.limit]
    if not labelled:
        raise UsageError(f"--offset {args.offset} is past the end of {args.file}.")
    paths = paths_from(args)
    settings = tool_settings(args, paths)
    state = new_check(paths, PageInput("", f"Evaluation of {args.file.name}", "", "text"))
    state.claims = as_claims(labelled)

    def on_event(event: Event) -> None:
        if not isinstance(event, ClaimChecked):
            return
        gold = labelled[event.index - 1].label
        verdict = event.result["verdict"]
        if args.json:
            line = {
                "type": "eval_claim",
                "n": event.index,
                "claim": event.result["claim"],
                "gold": gold,
                "verdict": verdict,
                "correct": verdict == gold,
                "searches": event.result.get("searches", 0),
                "visits": event.result.get("visits", 0),
            }
            print(escape_controls(json.dumps(line, ensure_ascii=False)), flush=True)
        else:
            mark = "ok " if verdict == gold else "   "
            print(
                f"{mark}[{event.index}/{event.total}] {VERDICT_WORDS[verdict]} "
                f"(label: {VERDICT_WORDS[gold]})",
                file=sys.stderr,
                flush=True,
            )

    engine = make_engine(args, paths)
    session = ResearchSession(paths, settings, engine)
    try:
        check = FactCheck(
            session,
            state,
            max_claims=len(labelled),
            concurrency=args.concurrency,
            on_event=on_event,
            max_rounds=args.max_rounds,
        )
        _run_interruptibly(check)
    finally:
        session.close()
    summary = evaluation_summary(labelled, check.state.results)
    if args.json:
        print(json.dumps(summary), flush=True)
    else:
        print(f"Claims checked: {summary['n']} of {len(labelled)}")
        print(f"Accuracy: {summary['accuracy']:.1%} ({summary['correct']} right)")
        print(f"Macro-F1: {summary['macro_f1']:.3f}")
        print(
            f"Per claim: {summary['avg_search']:.1f} searches, {summary['avg_visit']:.1f} "
            f"visits, {summary['avg_tools']:.1f} tool calls"
        )
        print()
        print(confusion_table(summary["confusion"], lambda v: VERDICT_WORDS[v]))
        if state.notebook_id:
            print(f"\nEach check is in notebook {state.notebook_id}.", file=sys.stderr)
    return 130 if check.cancelled else 0

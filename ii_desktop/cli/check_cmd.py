"""``ii-desktop check URL|FILE|-``: every claim on a page checked against other sources."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from ii_desktop.cli.ask_cmd import _Output, add_run_engine_options, add_tool_options, make_engine
from ii_desktop.cli.common import paths_from, tool_settings
from ii_desktop.cli.visit_cmd import escape_controls
from ii_desktop.core.errors import UsageError
from ii_desktop.core.events import Event
from ii_desktop.core.text import plural, printable

VERDICT_WORDS = {
    "supported": "Supported",
    "refuted": "Refuted",
    "mixed": "Mixed",
    "not_enough_evidence": "Not enough evidence",
}


def register(commands: Any) -> None:
    check = commands.add_parser(
        "check",
        help="check every factual claim on a page against other sources",
        description="Read a page (a web address, an HTML, PDF or text file, or - for text "
        "on stdin), find its factual claims and check each one with a research run that "
        "must find evidence elsewhere. Each verdict is saved as it lands; --resume ID "
        "continues a check that was stopped.",
    )
    check.add_argument("source", nargs="?", help="URL, FILE or - (stdin)")
    check.add_argument(
        "--max-claims", type=int, default=20, metavar="N", help="claims to check (default 20)"
    )
    check.add_argument(
        "--concurrency",
        type=int,
        default=1,
        metavar="N",
        help="claims checked at once (for a model server; default 1)",
    )
    check.add_argument("--max-rounds", type=int, default=16, metavar="N", help="per claim")
    check.add_argument("--resume", metavar="ID", help="continue the check with this id")
    check.add_argument("--json", action="store_true", help="progress events, then the report")
    add_run_engine_options(check)
    add_tool_options(check)
    check.set_defaults(handler=_check)


def _source(args: argparse.Namespace, settings: Any) -> Any:
    from ii_desktop.factcheck.source import read_file, read_text, read_web

    spec = args.source
    if spec == "-":
        return read_text(sys.stdin.read())
    if spec.lower().startswith(("http://", "https://")):
        return read_web(spec, settings)
    if "://" in spec:
        raise UsageError(f"{spec} is not a web address this can read (http:// or https://).")
    return read_file(Path(spec).expanduser())


def _check(args: argparse.Namespace) -> int:
    from ii_desktop.factcheck.pipeline import FactCheck, load_state, new_check
    from ii_desktop.research import ResearchSession

    if not args.source and not args.resume:
        raise UsageError("Give a URL, a file or - (stdin) to check, or --resume ID.")
    if args.source and args.resume:
        raise UsageError("Give either what to check or --resume ID, not both.")
    paths = paths_from(args)
    settings = tool_settings(args, paths)
    say = _Say(args.json)
    if args.resume:
        state = load_state(paths, args.resume)
    else:
        say.line(f"Reading {args.source if args.source != '-' else 'the text on stdin'} …")
        state = new_check(paths, _source(args, settings))
    engine = make_engine(args, paths)
    session = ResearchSession(paths, settings, engine)
    try:
        check = FactCheck(
            session,
            state,
            max_claims=args.max_claims,
            concurrency=args.concurrency,
            on_event=say,
            max_rounds=args.max_rounds,
        )
        report = _run_interruptibly(check)
    finally:
        session.close()
    say.report(report)
    return 130 if check.cancelled else 0


def _run_interruptibly(check: Any) -> dict[str, Any]:
    """Run the check on a thread so Ctrl-C cancels it (keeping what landed)."""
    result: dict[str, Any] = {}
    failure: list[BaseException] = []

    def work() -> None:
        try:
            result.update(check.run())
        except BaseException as exc:  # raised again below, on the main thread
            failure.append(exc)

    thread = threading.Thread(target=work, name="check", daemon=True)
    previous = signal.getsignal(signal.SIGINT)
    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        signal.signal(signal.SIGINT, lambda *_: check.cancel())
    try:
        thread.start()
        while thread.is_alive():
            thread.join(0.1)
    finally:
        if in_main:
            signal.signal(signal.SIGINT, previous)
    if failure:
        raise failure[0]
    return result


class _Say:
    """The check's progress and report, as JSON lines or readable text."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.output = _Output(True) if as_json else None

    def line(self, text: str) -> None:
        if not self.as_json:
            print(printable(text), file=sys.stderr, flush=True)

    def __call__(self, event: Event) -> None:
        from ii_desktop.factcheck.pipeline import CheckProgress, ClaimChecked

        if self.as_json:
            if isinstance(event, CheckProgress | ClaimChecked) and self.output is not None:
                self.output(event)
            return
        if isinstance(event, CheckProgress):
            if event.stage == "extracting":
                self.line(f"Finding claims: part {event.index} of {event.total} …")
            elif event.stage == "verifying":
                self.line(f"[{event.index}/{event.total}] {event.claim}")
        elif isinstance(event, ClaimChecked):
            verdict = VERDICT_WORDS.get(event.result.get("verdict", ""), "?")
            self.line(f"      → {verdict}")

    def report(self, report: dict[str, Any]) -> None:
        if self.as_json:
            print(escape_controls(_json(report)), flush=True)
            return
        out = sys.stdout
        summary = report["summary"]
        title = printable(report.get("title") or "")
        print(f"Fact check: {title}", file=out)
        if report.get("url"):
            print(printable(report["url"]), file=out)
        counts = ", ".join(
            f"{summary[key]} {word.lower()}"
            for key, word in VERDICT_WORDS.items()
            if summary.get(key)
        )
        if summary["claims"]:
            checked = plural(summary["checked"], "claim")
            found = f"{checked} checked of {summary['claims']} found"
            print(f"\n{found}" + (f": {counts}" if counts else ""), file=out)
        for i, claim in enumerate(report["claims"], 1):
            verdict = VERDICT_WORDS.get(claim["verdict"], claim["verdict"])
            print(f"\n{i}. {printable(claim['claim'])}", file=out)
            print(f"   {verdict}. {printable(claim.get('rationale') or '')}".rstrip(), file=out)
            for evidence in claim.get("evidence") or []:
                quote = printable(evidence["quote"])
                print(f"   “{quote}” — {printable(evidence['url'])}", file=out)
            if claim.get("note"):
                print(f"   ({printable(claim['note'])})", file=out)
        for note in report.get("notes") or []:
            print(f"\n{printable(note)}", file=out)
        if report.get("notebook_id"):
            print(
                f"\nSaved in notebook {report['notebook_id']}; check id {report['check_id']}.",
                file=sys.stderr,
            )


def _json(report: dict[str, Any]) -> str:
    import json

    return json.dumps(report, ensure_ascii=False)

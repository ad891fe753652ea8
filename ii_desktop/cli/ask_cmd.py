"""``ii-desktop ask QUESTION``: a research run from the command line."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any, TextIO

from ii_desktop.agent.events import (
    Answer,
    Notice,
    Reasoning,
    RunFinished,
    Source,
    ToolCall,
    ToolResult,
)
from ii_desktop.cli.common import (
    add_engine_options,
    add_page_guard_options,
    engine_settings,
    paths_from,
    print_notes,
    require_model,
    tool_settings,
)
from ii_desktop.cli.visit_cmd import escape_controls
from ii_desktop.core.errors import UsageError
from ii_desktop.core.events import Event
from ii_desktop.core.settings import AppPaths
from ii_desktop.core.text import printable
from ii_desktop.notebooks.privacy import scrub_text

if TYPE_CHECKING:  # the research stack loads when a question is asked, not for --help
    from ii_desktop.engine.base import Engine
    from ii_desktop.research.session import ActiveRun

DIM, BOLD, RESET = "\033[2m", "\033[1m", "\033[0m"


def add_tool_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("search and pages")
    group.add_argument(
        "--search",
        dest="providers",
        metavar="PROVIDER",
        action="append",
        help="search provider; repeat to give a fallback chain "
        "(ddgs, searxng, serper, tavily, brave, local)",
    )
    group.add_argument("--searxng-url", metavar="URL", help="your SearXNG instance")
    add_page_guard_options(group, research=True)


def register(commands: Any) -> None:
    ask = commands.add_parser(
        "ask",
        help="research a question: search, read pages, answer with sources",
        description="Research a question with the model and its web tools, streaming its "
        "reasoning, tool activity, answer and numbered sources.",
    )
    ask.add_argument("question")
    ask.add_argument("--engine", choices=["mlx", "openai", "replay"], default="mlx")
    add_engine_options(ask)
    remote = ask.add_argument_group("OpenAI-compatible server (--engine openai)")
    remote.add_argument(
        "--base-url",
        metavar="URL",
        help="server URL ending in /v1 (vLLM, SGLang, LM Studio, Ollama)",
    )
    remote.add_argument("--model-name", metavar="NAME", help="model name the server serves")
    replay = ask.add_argument_group("replay (--engine replay)")
    replay.add_argument("--replay", metavar="FILE", help='{"turns": [raw model turns]}')
    replay.add_argument(
        "--replay-delay",
        type=float,
        default=0.0,
        metavar="S",
        help="seconds between streamed chunks",
    )
    mode = ask.add_mutually_exclusive_group()
    mode.add_argument("--short", action="store_true", help="short answer in \\boxed{}")
    mode.add_argument("--report", action="store_true", help="a structured long-form report")
    ask.add_argument("--max-rounds", type=int, default=50, metavar="N")
    ask.add_argument(
        "--max-tokens", type=int, default=2048, metavar="N", help="tokens per model turn"
    )
    ask.add_argument("--temperature", type=float)
    ask.add_argument("--seed", type=int)
    ask.add_argument("--json", action="store_true", help="print events as JSON lines")
    ask.add_argument(
        "--notebook",
        metavar="TITLE",
        help="save the run into this notebook (created if missing, continued if "
        "present); by default a new notebook titled from the question",
    )
    add_tool_options(ask)
    ask.set_defaults(handler=_ask)


def make_engine(args: argparse.Namespace, paths: AppPaths) -> Engine:
    if args.engine == "replay":
        from ii_desktop.engine.replay import ReplayEngine

        if not args.replay:
            raise UsageError("--engine replay needs --replay FILE.")
        return ReplayEngine.from_file(args.replay, delay=args.replay_delay)
    if args.engine == "openai":
        from ii_desktop.engine.openai_compat import OpenAIEngine
        from ii_desktop.tools.secrets import KeychainError, get_api_key

        if not args.base_url or not args.model_name:
            raise UsageError("--engine openai needs --base-url and --model-name.")
        try:
            key: str | None = get_api_key("openai")
        except KeychainError:
            key = None  # local servers need no key
        return OpenAIEngine(
            args.base_url, args.model_name, api_key=key, context_length=args.context_length
        )
    from ii_desktop.engine.worker import MLXEngine

    settings = engine_settings(args, paths)
    engine = MLXEngine(settings, cache_dir=paths.kv_cache_dir)
    try:
        print_notes(engine.load(require_model(settings)).result().notes)
    except BaseException:
        engine.close()
        raise
    return engine


class Transcript:
    """Readable output: reasoning dimmed, a line per tool call, the answer, the sources.

    Everything written goes through ``printable``: titles, URLs, errors and the model's
    own words can carry escape codes (page titles are chosen by whoever wrote the page),
    and only this class's styles may reach the terminal. Error texts are also scrubbed
    of credentials, since a server may echo the key it was sent.
    """

    def __init__(self, out: TextIO, color: bool) -> None:
        self.out = out
        self.color = color
        self.calls: dict[str, ToolCall] = {}
        self.sources: dict[int, Source] = {}
        self.kind = ""
        self.at_line_start = True
        self.streamed_answer = ""

    def _style(self, text: str, style: str) -> str:
        return f"{style}{text}{RESET}" if self.color else text

    def _write(self, text: str, style: str = "") -> None:
        # each control character is dropped on its own, so a sequence split across
        # streamed chunks cannot form either
        text = printable(text)
        if text:
            self.out.write(self._style(text, style) if style else text)
            self.at_line_start = text.endswith("\n")

    def _block(self, kind: str) -> None:
        """Start a new block on its own line when the kind of output changes."""
        if kind != self.kind:
            if not self.at_line_start:
                self._write("\n")
            if self.kind and kind in ("reasoning", "answer"):
                self._write("\n")
            if kind == "answer":
                self._write("Answer\n", BOLD)
                self.streamed_answer = ""
            self.kind = kind

    def __call__(self, event: Event) -> None:
        if isinstance(event, Reasoning):
            self._block("reasoning")
            self._write(event.text.lstrip("\n") if self.at_line_start else event.text, DIM)
        elif isinstance(event, Answer):
            self._block("answer")
            self.streamed_answer += event.text
            self._write(event.text)
        elif isinstance(event, ToolCall):
            self.calls[event.call_id] = event
        elif isinstance(event, ToolResult):
            self._block("tool")
            self._write(self._tool_line(event) + "\n")
        elif isinstance(event, Source):
            self.sources[event.n] = event
        elif isinstance(event, Notice):
            self._block("notice")
            self._write(f"! {scrub_text(event.message)}\n", DIM)
        elif isinstance(event, RunFinished):
            self._finish(event)
        self.out.flush()

    def _tool_line(self, event: ToolResult) -> str:
        call = self.calls.get(event.call_id)
        args = call.arguments if call and call.arguments else {}
        target = str(args.get("query") or args.get("url") or "")
        if not event.ok:
            return f"→ {event.name} {target} … failed: {scrub_text(event.error or '')}"
        outcome = "reused earlier result" if event.reused else "ok"
        if event.name == "web_search":
            outcome += f", {len(event.data.get('results', []))} results"
            if event.data.get("provider"):
                outcome += f" from {event.data['provider']}"
        return f"→ {event.name} {target} … {outcome}"

    def _finish(self, event: RunFinished) -> None:
        if not self.at_line_start:
            self._write("\n")
        if event.reason == "error":
            self._write(f"\nRun failed: {scrub_text(event.error or '')}\n")
        elif event.reason == "cancelled":
            self._write("\nRun cancelled.\n")
        if event.answer and event.answer.strip() != self.streamed_answer.strip():
            self._write("\n")
            self._write("Answer\n", BOLD)
            self._write(event.answer + "\n")
        if event.boxed is not None:
            self._write(f"\nShort answer: {event.boxed}\n")
        if event.reason == "budget":
            self._write("\n(The run hit its budget; this is the best answer it could give.)\n")
        if self.sources:
            self._write("\n")
            self._write("Sources\n", BOLD)
            for n in sorted(self.sources):
                s = self.sources[n]
                mark = " (read)" if s.kind == "page" else ""
                self._write(f"[{n}] {s.title or s.url}{mark} — {s.url}\n")
        unverified = [c["url"] for c in event.citations if not c["verified"]]
        if unverified:
            self._write("\nCited but never read (unverified):\n")
            for url in unverified:
                self._write(f"  {url}\n")


def _ask(args: argparse.Namespace) -> int:
    from ii_desktop.agent.run import RunOptions
    from ii_desktop.engine.request import Sampling
    from ii_desktop.research import ResearchSession
    from ii_desktop.research.session import RunRequest

    paths = paths_from(args)
    mode = "short" if args.short else "report" if args.report else "normal"
    sampling = Sampling(
        **({"temperature": args.temperature} if args.temperature is not None else {}),
        seed=args.seed,
    )
    options = RunOptions(
        mode=mode, max_rounds=args.max_rounds, max_tokens=args.max_tokens, sampling=sampling
    )
    settings = tool_settings(args, paths)
    output = _Output(args.json)
    # everything that can refuse the options runs before a notebook run is opened
    engine = make_engine(args, paths)
    session = ResearchSession(paths, settings, engine)
    try:

        def recording(recorder: Any) -> None:
            if recorder.notice:
                print(f"ii-desktop: warning: {recorder.notice}", file=sys.stderr)
            if recorder.save_problem:
                print(f"ii-desktop: {recorder.save_problem}", file=sys.stderr)

        active = session.start(
            RunRequest(args.question, options, notebook_title=args.notebook),
            on_event=output,
            on_recording=recording,
        )
        output.on_broken_pipe = active.cancel
        finished = _wait_interruptible(active)
    finally:
        session.close()
    if active.save_problem:
        print(f"ii-desktop: {active.save_problem}", file=sys.stderr)
    if output.broken_pipe:
        return 0  # the reader went away (`ask ... | head`); the run was saved
    if finished.reason == "cancelled":
        return 130
    return 1 if finished.reason == "error" else 0


class _Output:
    """Prints events (JSON lines or the transcript); stops quietly if stdout goes away."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.transcript = None if as_json else Transcript(sys.stdout, sys.stdout.isatty())
        self.broken_pipe = False
        self.on_broken_pipe: Any = None

    def __call__(self, event: Event) -> None:
        if self.broken_pipe:
            return
        try:
            if self.transcript is None:
                print(escape_controls(event.to_json()), flush=True)
            else:
                self.transcript(event)
        except BrokenPipeError:
            self.broken_pipe = True
            # keep the interpreter from complaining when it flushes stdout at exit
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
            if self.on_broken_pipe is not None:
                self.on_broken_pipe()


def _wait_interruptible(active: ActiveRun) -> RunFinished:
    """Wait for the run (on its own thread) so Ctrl-C cancels it cleanly instead of
    killing it. An exception in the run is raised again here."""
    previous = signal.getsignal(signal.SIGINT)
    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        signal.signal(signal.SIGINT, lambda *_: active.cancel())
    try:
        while not active.done():
            active.wait(0.1)
    finally:
        if in_main:
            signal.signal(signal.SIGINT, previous)
    return active.result()

"""``ii-desktop ask QUESTION``: a research run from the command line."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any

from ii_desktop.agent.events import RunFinished
from ii_desktop.cli.common import (
    add_engine_options,
    add_page_guard_options,
    engine_settings,
    paths_from,
    print_notes,
    require_model,
    saved_settings,
    tool_settings,
    web_url,
)
from ii_desktop.cli.transcript import Transcript
from ii_desktop.cli.visit_cmd import escape_controls
from ii_desktop.core.errors import UsageError
from ii_desktop.core.events import Event
from ii_desktop.core.settings import AppPaths
from ii_desktop.core.text import printable

if TYPE_CHECKING:  # the research stack loads when a question is asked, not for --help
    from ii_desktop.engine.base import Engine
    from ii_desktop.research.session import ActiveRun


def add_tool_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("search and pages")
    group.add_argument(
        "--provider",
        "--search",
        dest="providers",
        metavar="PROVIDER",
        action="append",
        help="search provider; repeat to give a fallback chain "
        "(ddgs, searxng, serper, tavily, brave, local)",
    )
    group.add_argument("--searxng-url", metavar="URL", type=web_url, help="your SearXNG instance")
    add_page_guard_options(group, research=True)


def add_run_engine_options(parser: argparse.ArgumentParser) -> None:
    """``--engine`` and its options: the local model, a server, or a replay file."""
    parser.add_argument(
        "--engine",
        choices=["mlx", "openai", "replay"],
        help="mlx: the local model; openai: a server; replay: a file of model turns "
        "(default: replay with --replay, openai with --base-url or when Settings use a "
        "model server, else mlx)",
    )
    add_engine_options(parser)
    remote = parser.add_argument_group("OpenAI-compatible server (--engine openai)")
    remote.add_argument(
        "--base-url",
        metavar="URL",
        type=web_url,
        help="server URL ending in /v1 (vLLM, SGLang, LM Studio, Ollama)",
    )
    remote.add_argument(
        "--model-name",
        metavar="NAME",
        help="model name the server serves (default: the one in Settings)",
    )
    replay = parser.add_argument_group("replay (--engine replay)")
    replay.add_argument("--replay", metavar="FILE", help='{"turns": [raw model turns]}')
    replay.add_argument(
        "--replay-delay",
        type=float,
        default=0.0,
        metavar="S",
        help="seconds between streamed chunks",
    )


def register(commands: Any) -> None:
    ask = commands.add_parser(
        "ask",
        help="research a question: search, read pages, answer with sources",
        description="Research a question with the model and its web tools, streaming its "
        "reasoning, tool activity, answer and numbered sources.",
    )
    ask.add_argument("question")
    add_run_engine_options(ask)
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
    where = ask.add_mutually_exclusive_group()
    where.add_argument(
        "--notebook",
        metavar="TITLE|ID",
        help="save the run into this notebook, continuing its conversation (made if no "
        "notebook has this title or id); by default a new notebook titled from the question",
    )
    where.add_argument(
        "-c",
        "--continue",
        dest="continue_last",
        action="store_true",
        help="continue the most recently updated notebook",
    )
    add_tool_options(ask)
    ask.set_defaults(handler=_ask)


def resolve_engine(args: argparse.Namespace, paths: AppPaths) -> str:
    """Which engine a command runs on, kept in ``args.engine``: the one asked for, else
    what the other options imply, else the settings' model server when it is on, else the
    local model. A server's URL and model name not given come from the settings."""
    server = saved_settings(args, paths).server
    if args.engine is None:
        if args.replay:
            args.engine = "replay"
        elif args.base_url or (server.enabled and not getattr(args, "model", None)):
            args.engine = "openai"
        else:
            args.engine = "mlx"
    if args.engine == "openai" and (server.base_url or server.model_name):
        if not args.base_url and server.base_url:
            args.base_url = server.base_url
        if not args.model_name and server.model_name:
            args.model_name = server.model_name
        if not args.context_length and server.context_length:
            args.context_length = server.context_length
    return str(args.engine)


def make_engine(args: argparse.Namespace, paths: AppPaths) -> Engine:
    resolve_engine(args, paths)
    if args.engine == "replay":
        from ii_desktop.engine.replay import ReplayEngine

        if not args.replay:
            raise UsageError("--engine replay needs --replay FILE.")
        return ReplayEngine.from_file(args.replay, delay=args.replay_delay)
    if args.engine == "openai":
        from ii_desktop.engine.openai_compat import OpenAIEngine
        from ii_desktop.tools.secrets import KeychainError, get_api_key

        if not args.base_url or not args.model_name:
            missing = " and ".join(
                name
                for name, value in (
                    ("--base-url", args.base_url),
                    ("--model-name", args.model_name),
                )
                if not value
            )
            raise UsageError(f"A model server needs {missing} (or a model server in Settings).")
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
    notebook_id = _chosen_notebook(args, paths)
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
            RunRequest(args.question, options, notebook_id=notebook_id, discard_if_empty=True),
            on_event=output,
            on_recording=recording,
        )
        output.on_broken_pipe = active.cancel
        finished = _wait_interruptible(active)
    finally:
        session.close()
    if active.save_problem:
        print(f"ii-desktop: {active.save_problem}", file=sys.stderr)
    elif not args.json:
        _say_where_saved(active)
    if output.broken_pipe:
        return 0  # the reader went away (`ask ... | head`); the run was saved
    if finished.reason == "cancelled":
        return 130
    return 1 if finished.reason == "error" else 0


def _chosen_notebook(args: argparse.Namespace, paths: AppPaths) -> str | None:
    """The notebook ``--notebook`` or ``--continue`` names, made when a title is new;
    None for a new notebook of its own. Refused before the run when it is ambiguous."""
    if not (args.notebook and args.notebook.strip()) and not args.continue_last:
        return None
    from ii_desktop.notebooks.errors import StoreUnavailable
    from ii_desktop.notebooks.store import NotebookStore

    try:
        store = NotebookStore.open(paths)
    except StoreUnavailable:
        return None  # the run goes ahead unsaved, and says so
    with store:
        if args.continue_last:
            latest = store.notebooks()
            if not latest:
                raise UsageError("There is no notebook to continue yet; ask without --continue.")
            return latest[0].id
        return store.open_or_create(args.notebook).id


def _say_where_saved(active: ActiveRun) -> None:
    if active.notebook_discarded:
        print("ii-desktop: nothing was saved: the run failed before it began.", file=sys.stderr)
    elif active.notebook_id:
        title = printable(active.notebook_title or "")
        print(
            f"Saved in notebook “{title}” ({active.notebook_id}); "
            f"`ii-desktop notebook show {active.notebook_id}` shows it again.",
            file=sys.stderr,
        )


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

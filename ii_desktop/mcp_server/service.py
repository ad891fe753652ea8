"""What the MCP tools do, with no protocol in sight: plain blocking calls that return
JSON-ready dicts and raise ``AppError`` with the same messages as the CLI.

``Service`` holds one ``ResearchSession`` (one engine) for the server's life. Each call
takes a ``threading.Event`` to cancel it and, where it streams, a ``progress`` callback
that hears one short line per step (a search, a page read, a claim checked).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from ii_desktop.agent.events import RunFinished, RunStarted, Source, ToolCall
from ii_desktop.agent.run import RunOptions
from ii_desktop.core.errors import AppError, UsageError
from ii_desktop.core.events import Event
from ii_desktop.core.settings import AppPaths, ToolSettings
from ii_desktop.research.session import ActiveRun, ResearchSession, RunRequest

log = logging.getLogger(__name__)

Progress = Callable[[str], None]

# what a client names a mode, and the run mode it is
MODES = {"answer": "normal", "short": "short", "report": "report"}
DEFAULT_VISIT_CHARS = 10_000
MAX_VISIT_CHARS = 200_000
MAX_CHECK_CLAIMS = 50


class ToolFailed(AppError):
    """A tool that ran and failed (a dead search provider, a page that would not load)."""


def _quiet(message: str) -> None:
    pass


class Service:
    """The tools behind the MCP server; ``close`` ends the session and its engine."""

    def __init__(self, paths: AppPaths, settings: ToolSettings, session: ResearchSession) -> None:
        self.paths = paths
        self.settings = settings
        self.session = session

    def close(self) -> None:
        self.session.close()

    # research

    def research(
        self,
        question: str,
        mode: str = "answer",
        notebook: str | None = None,
        cancel: threading.Event | None = None,
        progress: Progress = _quiet,
    ) -> dict[str, Any]:
        if not isinstance(question, str) or not question.strip():
            raise UsageError("The question is empty: give research a question to answer.")
        run_mode = MODES.get(mode)
        if run_mode is None:
            raise UsageError(f"mode must be one of {', '.join(MODES)}, not {mode!r}.")
        notebook_id = self._notebook_id(notebook)
        notes: list[str] = []
        watcher = _RunWatcher(progress)

        def recording(recorder: Any) -> None:
            notes.extend(n for n in (recorder.notice, recorder.save_problem) if n)

        active = self.session.start(
            RunRequest(
                question,
                RunOptions(mode=run_mode),
                notebook_id=notebook_id,
                discard_if_empty=True,
            ),
            on_event=watcher,
            on_recording=recording,
        )
        finished = _wait(active, cancel)
        if active.save_problem and active.save_problem not in notes:
            notes.append(active.save_problem)
        if finished.reason == "error":
            raise ToolFailed(finished.error or "The research run failed.")
        return watcher.report(finished, active, run_mode, notes)

    def _notebook_id(self, notebook: str | None) -> str | None:
        """The notebook a title or id names, made when the title is new (as ``ask
        --notebook`` does); None for a new notebook titled from the question."""
        if notebook is None or not notebook.strip():
            return None
        from ii_desktop.notebooks.errors import StoreUnavailable
        from ii_desktop.notebooks.store import NotebookStore

        try:
            store = NotebookStore.open(self.paths)
        except StoreUnavailable:
            return None  # the run goes ahead unsaved, and its notes say so
        with store:
            return store.open_or_create(notebook).id

    # the web

    def web_search(self, query: str, cancel: threading.Event | None = None) -> dict[str, Any]:
        if not isinstance(query, str) or not query.strip():
            raise UsageError("The search query is empty.")
        from ii_desktop.notebooks.privacy import scrub_text
        from ii_desktop.tools.base import ToolContext
        from ii_desktop.tools.search import WebSearchTool, make_search_client
        from ii_desktop.tools.search.tool import search_failure_message

        with contextlib.ExitStack() as stack:
            client = stack.enter_context(make_search_client(self.settings))
            context = ToolContext(http=client, settings=self.settings)
            if cancel is not None:
                context.cancel = cancel
            local = self._saved_pages(stack)
            output = WebSearchTool(client, local=local).run({"query": query}, context)
        data = output.data
        if not output.ok:
            message = search_failure_message(data.get("attempts", [])) or output.error
            raise ToolFailed(scrub_text(message or "The search failed."))
        return {
            "provider": data.get("provider"),
            "results": [
                {"url": r["url"], "title": r["title"], "snippet": r["snippet"]}
                for r in data.get("results", [])
            ],
        }

    def _saved_pages(self, stack: contextlib.ExitStack) -> Any:
        """The notebooks' pages for the ``local`` provider, when it is in the chain and a
        store exists (a search creates no database); the store closes with ``stack``."""
        if "local" not in self.settings.search_providers:
            return None
        from ii_desktop.notebooks import LocalPageSearch, NotebookStore
        from ii_desktop.notebooks.errors import StoreUnavailable
        from ii_desktop.notebooks.schema import DB_NAME

        if not (self.paths.data_dir / DB_NAME).exists():
            return None
        try:
            return LocalPageSearch(stack.enter_context(NotebookStore.open(self.paths)))
        except StoreUnavailable:
            return None

    def web_visit(
        self,
        url: str,
        max_chars: int = DEFAULT_VISIT_CHARS,
        cancel: threading.Event | None = None,
    ) -> dict[str, Any]:
        if not isinstance(max_chars, int) or not 1 <= max_chars <= MAX_VISIT_CHARS:
            raise UsageError(f"max_chars must be between 1 and {MAX_VISIT_CHARS:,}.")
        from ii_desktop.notebooks.privacy import scrub_text
        from ii_desktop.tools.base import ToolContext
        from ii_desktop.tools.http import make_guarded_client
        from ii_desktop.tools.visit import WebVisitTool

        with make_guarded_client(self.settings) as client:
            context = ToolContext(http=client, settings=self.settings)
            if cancel is not None:
                context.cancel = cancel
            output = WebVisitTool().run({"url": url}, context)
        if not output.ok:
            raise ToolFailed(scrub_text(output.error or "The page could not be read."))
        data = output.data
        text = " ".join(str(data.get("full_text") or output.text).split())
        return {
            "url": data.get("url", url),
            "final_url": data.get("final_url", ""),
            "title": data.get("title", ""),
            "text": text[:max_chars],
            "truncated": len(text) > max_chars,
        }

    # the notebooks

    def notebook_search(self, query: str, limit: int = 20) -> dict[str, Any]:
        if not isinstance(query, str) or not query.strip():
            raise UsageError("The search query is empty.")
        from ii_desktop.notebooks.schema import DB_NAME
        from ii_desktop.notebooks.store import NotebookStore

        if not (self.paths.data_dir / DB_NAME).exists():
            return {"hits": []}
        with NotebookStore.open(self.paths) as store:
            hits = store.search(query, limit=max(1, min(limit, 100)))
        return {"hits": [hit.to_dict() for hit in hits]}

    # fact checking

    def fact_check(
        self,
        url: str,
        max_claims: int = 10,
        cancel: threading.Event | None = None,
        progress: Progress = _quiet,
    ) -> dict[str, Any]:
        if not isinstance(max_claims, int) or not 1 <= max_claims <= MAX_CHECK_CLAIMS:
            raise UsageError(f"max_claims must be between 1 and {MAX_CHECK_CLAIMS}.")
        if not isinstance(url, str) or not url.strip().lower().startswith(("http://", "https://")):
            raise UsageError("fact_check needs a web address (http:// or https://).")
        from ii_desktop.factcheck.pipeline import CheckProgress, FactCheck, new_check
        from ii_desktop.factcheck.source import read_web

        state = new_check(self.paths, read_web(url.strip(), self.settings, cancel))

        def on_event(event: Event) -> None:
            if isinstance(event, CheckProgress) and event.stage == "verifying":
                progress(f"Checking claim {event.index} of {event.total}: {event.claim}")
            elif isinstance(event, CheckProgress) and event.stage == "extracting":
                progress(f"Finding claims: part {event.index} of {event.total}")

        check = FactCheck(
            self.session, state, max_claims=max_claims, on_event=on_event, max_rounds=16
        )
        stop = threading.Event()
        watcher = None
        if cancel is not None:

            def watch() -> None:
                while not stop.wait(0.1):
                    if cancel.is_set():
                        check.cancel()
                        return

            watcher = threading.Thread(target=watch, name="fact-check-cancel", daemon=True)
            watcher.start()
        try:
            return check.run()
        finally:
            stop.set()
            if watcher is not None:
                watcher.join()


def _wait(active: ActiveRun, cancel: threading.Event | None) -> RunFinished:
    """The run's finish; ``cancel`` stops it (keeping what streamed)."""
    while not active.done():
        if cancel is not None and cancel.is_set():
            active.cancel()
        active.wait(0.05)
    return active.result()


class _RunWatcher:
    """Hears a run's events: progress lines as it goes, the numbered sources at the end."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.sources: dict[int, Source] = {}

    def __call__(self, event: Event) -> None:
        try:
            if isinstance(event, RunStarted):
                self.progress("Research started")
            elif isinstance(event, ToolCall) and event.arguments:
                if event.name == "web_search":
                    self.progress(f"Searching: {event.arguments.get('query', '')}")
                elif event.name == "web_visit":
                    self.progress(f"Reading: {event.arguments.get('url', '')}")
            elif isinstance(event, Source):
                self.sources[event.n] = event  # a page read replaces its search result
        except Exception:  # a client gone away must not stop the run
            log.exception("progress report failed")

    def _answer_text(self, answer: str | None) -> str | None:
        """The answer as the transcript and exports show it: each citation the number of
        its source, the short answer in bold where the model boxed it."""
        if not answer:
            return answer
        from ii_desktop.notebooks.export import short_answer
        from ii_desktop.research.citations import Numbered, number_citations

        text, _ = short_answer(answer)
        listed = [Numbered(n, s.url, s.title) for n, s in self.sources.items()]
        return number_citations(text, listed, "text") if listed else text

    def report(
        self, finished: RunFinished, active: ActiveRun, mode: str, notes: list[str]
    ) -> dict[str, Any]:
        support = {c.get("n"): c for c in finished.citations if c.get("n") is not None}
        sources = []
        for n in sorted(self.sources):
            source = self.sources[n]
            entry: dict[str, Any] = {
                "n": n,
                "url": source.url,
                "title": source.title,
                "read": source.kind == "page",
            }
            cited = support.get(n)
            if cited is not None and cited.get("support"):
                entry["support"] = cited["support"]
            sources.append(entry)
        result: dict[str, Any] = {"answer": self._answer_text(finished.answer)}
        if mode == "short":
            result["short_answer"] = finished.boxed
        result["sources"] = sources
        if finished.reason != "answered":
            result["stopped"] = finished.reason
        result["notebook_id"] = None if active.notebook_discarded else active.notebook_id
        result["notebook_title"] = None if active.notebook_discarded else active.notebook_title
        result["run_id"] = active.run_id
        if notes:
            result["notes"] = notes
        return result

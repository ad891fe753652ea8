"""A research session: one engine kept alive, runs started on threads and recorded."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from ii_desktop.agent.events import PromptProgress, RunFinished, RunStarted
from ii_desktop.agent.run import ResearchRun, RunOptions
from ii_desktop.core.errors import UsageError
from ii_desktop.core.events import Event
from ii_desktop.core.settings import AppPaths, ToolSettings
from ii_desktop.engine.base import Engine
from ii_desktop.notebooks import LocalPageSearch, NotebookPageCache, RunRecorder, start_recording
from ii_desktop.notebooks.store import new_id
from ii_desktop.tools.provenance import Consent
from ii_desktop.tools.registry import open_tools

log = logging.getLogger(__name__)

EventSink = Callable[[Event], None]
RecordingHook = Callable[[RunRecorder], None]


@dataclass(frozen=True)
class RunRequest:
    """What to research and where to record it. ``notebook_id`` continues a notebook
    (its conversation and KV cache); else ``notebook_title`` picks or makes one by title;
    else a new notebook is titled from the question (numbered when the title is taken).
    ``discard_if_empty``: a new notebook whose run fails before producing anything (the
    model server unreachable) is removed again. ``independent``: the run is recorded in
    the notebook but does not continue its conversation (a fact check's claims each start
    afresh); ``conversation_id`` then names the KV cache they share, so the system and
    tools prefix is prefilled once."""

    question: str
    options: RunOptions = field(default_factory=RunOptions)
    notebook_id: str | None = None
    notebook_title: str | None = None
    discard_if_empty: bool = False
    independent: bool = False
    conversation_id: str | None = None


class ActiveRun:
    """A run on its own thread. ``cancel`` works from any thread and keeps what streamed;
    ``wait`` returns the finish (None on timeout). Recording problems are in
    ``save_problem`` once the run is done."""

    def __init__(self, request: RunRequest) -> None:
        self.request = request
        self.run_id = new_id()
        self.notebook_id: str | None = request.notebook_id
        self.notebook_title: str | None = None
        self.notebook_discarded = False
        self.finished: RunFinished | None = None
        self.save_problem: str | None = None
        self.failure: BaseException | None = None
        self._run: ResearchRun | None = None
        self._cancelled = threading.Event()
        self._done = threading.Event()
        self._lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def cancel(self) -> None:
        self._cancelled.set()
        with self._lock:
            run = self._run
        if run is not None:
            run.cancel()

    @property
    def cancel_requested(self) -> bool:
        return self._cancelled.is_set()

    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> RunFinished | None:
        self._done.wait(timeout)
        return self.finished

    def result(self) -> RunFinished:
        """The finish, once done; raises what the run thread raised."""
        self._done.wait()
        if self.failure is not None:
            raise self.failure
        assert self.finished is not None
        return self.finished

    def _attach(self, run: ResearchRun) -> None:
        with self._lock:
            self._run = run
        if self._cancelled.is_set():
            run.cancel()


class ResearchSession:
    """See the package docstring. ``engine`` is built once by the caller (``build_engine``
    or the CLI's options) and closed with the session."""

    def __init__(
        self,
        paths: AppPaths,
        tool_settings: ToolSettings,
        engine: Engine,
        consent: Consent | None = None,
        on_trust: Callable[[str], None] | None = None,
    ) -> None:
        """``consent`` is asked (from a run's thread) about a URL the model was not shown;
        without it such URLs are refused. ``on_trust`` hears of hosts the user now allows."""
        self.paths = paths
        self.tool_settings = tool_settings
        self.engine = engine
        self.consent = consent
        self.on_trust = on_trust
        self._runs: list[ActiveRun] = []
        self._lock = threading.Lock()

    def start(
        self,
        request: RunRequest,
        on_event: EventSink | None = None,
        on_recording: RecordingHook | None = None,
    ) -> ActiveRun:
        """Start ``request`` on a new thread. Bad requests raise here, before anything is
        opened; disk, network and engine problems arrive as events and in the finish."""
        if not request.question.strip():
            raise UsageError("The question is empty.")
        active = ActiveRun(request)
        sink = on_event or (lambda event: None)
        thread = threading.Thread(
            target=self._work,
            args=(active, sink, on_recording),
            name=f"research-{active.run_id}",
            daemon=True,
        )
        active.thread = thread
        with self._lock:
            self._runs = [r for r in self._runs if not r.done()] + [active]
        thread.start()
        return active

    def _work(self, active: ActiveRun, sink: EventSink, on_recording: RecordingHook | None) -> None:
        request = active.request
        recorder: RunRecorder | None = None
        run: ResearchRun | None = None
        try:
            recorder = start_recording(
                self.paths,
                request.question,
                request.options.mode,
                request.notebook_title,
                run_id=active.run_id,
                notebook_id=request.notebook_id,
            )
            active.notebook_id = recorder.notebook_id
            active.notebook_title = recorder.notebook_title
            recorder.discard_if_empty = request.discard_if_empty
            if on_recording is not None:
                on_recording(recorder)
            conversation = recorder.conversation()
            store = recorder.store
            cache = NotebookPageCache(store) if store is not None else None
            tools = open_tools(
                self.tool_settings,
                page_cache=cache,
                saved_pages=LocalPageSearch(store, cache) if store is not None else None,
                consent=self.consent,
                on_trust=self.on_trust,
            )
            rec = recorder

            def on_event(event: Event) -> None:
                if not isinstance(event, PromptProgress):  # passing; not worth keeping
                    rec(event)
                if isinstance(event, RunStarted) and rec.notebook_id:
                    event = dataclasses.replace(
                        event, notebook_id=rec.notebook_id, notebook_title=rec.notebook_title
                    )
                sink(event)

            try:
                run = ResearchRun(
                    self.engine,
                    tools.tools,
                    tools.context,
                    request.question,
                    request.options,
                    past_runs=[] if request.independent else conversation.past_runs,
                    system_prompt=None if request.independent else conversation.system_prompt,
                    conversation_id=request.conversation_id or conversation.conversation_id,
                    run_id=active.run_id,
                    on_event=on_event,
                )
                active._attach(run)
                active.finished = run.run()
            finally:
                tools.close()
        except BaseException as exc:  # reported to whoever waits; the thread never dies loud
            log.exception("research run %s failed", active.run_id)
            active.failure = exc
        finally:
            if recorder is not None:
                try:
                    if run is not None:
                        recorder.close(run.history_entry, run.system_prompt)
                    else:
                        recorder.close()
                except Exception:
                    log.exception("closing the recorder of run %s failed", active.run_id)
                active.save_problem = recorder.save_problem
                active.notebook_discarded = recorder.discarded
            active._done.set()

    def running(self) -> list[ActiveRun]:
        with self._lock:
            return [r for r in self._runs if not r.done()]

    def cancel_all(self) -> None:
        for active in self.running():
            active.cancel()

    def close(self, timeout: float = 30.0) -> bool:
        """Cancel running work, wait for it, close the engine; True when all stopped."""
        self.cancel_all()
        stopped = all(r.wait(timeout) is not None or r.done() for r in self.running())
        closed = self.engine.close()
        return stopped and closed is not False

"""Saving a run into its notebook while it streams.

A ``RunRecorder`` is the run's event sink. Calling it only appends to a queue, so the
run never waits on the disk; its own thread writes the queue every quarter second (and
at once when the run finishes), one transaction per batch. Consecutive reasoning or
answer deltas are joined into one event before writing: text is coalesced, never
dropped. A kill loses at most the last unwritten quarter second.

When the disk is full or the data folder read-only, writes fail but the run goes on:
the events stay queued in memory, are retried each tick, and ``save_problem`` says why
the run is not saved (it clears once everything is on disk).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

from ii_desktop.agent.events import Answer, Reasoning, RunFinished, ToolResult
from ii_desktop.agent.history import PastRun
from ii_desktop.core.events import Event
from ii_desktop.core.settings import AppPaths
from ii_desktop.notebooks.errors import NotebookError
from ii_desktop.notebooks.pages import page_from_result, without_page_text
from ii_desktop.notebooks.privacy import scrub, scrub_text
from ii_desktop.notebooks.records import Conversation, NewRun, RunBatch
from ii_desktop.notebooks.runlog import RunLog
from ii_desktop.notebooks.store import NotebookStore, new_id

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.25
HEARTBEAT_SECONDS = 5.0
MAX_RETRY_SECONDS = 5.0
TITLE_CHARS = 80


def title_from_question(question: str) -> str:
    """A notebook title: the question's first line, cut at a word near 80 characters.

    URLs are cleaned first: a secret cut in half would no longer look like one.
    """
    question = scrub_text(question)
    line = " ".join(question.strip().splitlines()[0].split()) if question.strip() else ""
    if len(line) <= TITLE_CHARS:
        return line or "Untitled research"
    cut = line[:TITLE_CHARS].rsplit(" ", 1)[0] or line[:TITLE_CHARS]
    return cut.rstrip(",;:.") + "…"


def _coalesce(events: list[tuple[float, Event]]) -> list[tuple[float, Event]]:
    out: list[tuple[float, Event]] = []
    for at, event in events:
        if out and isinstance(event, Reasoning | Answer):
            last = out[-1][1]
            if type(last) is type(event) and last.run_id == event.run_id:
                out[-1] = (out[-1][0], type(event)(event.run_id, last.text + event.text))
                continue
        out.append((at, event))
    return out


def _pages(events: list[tuple[float, Event]]) -> list[dict[str, Any]]:
    pages = []
    for at, event in events:
        if isinstance(event, ToolResult) and (page := page_from_result(event, at)):
            pages.append(page)
    return pages


def _stored(event: Event) -> str:
    # top-level fields are the event's own; secrets can only hide in their values
    data = {key: scrub(value) for key, value in event.to_dict().items()}
    if isinstance(event, ToolResult) and page_from_result(event, 0.0) is not None:
        data["data"] = without_page_text(data["data"])
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


class RunRecorder:
    """Records one run into a notebook. Pass it as ``on_event``; call ``close`` at the end.

    ``store`` None records nothing (the store could not be opened): the run still works
    and ``save_problem`` holds the reason.
    """

    def __init__(
        self,
        store: NotebookStore | None,
        notebook_id: str | None,
        question: str,
        mode: str = "normal",
        *,
        run_id: str | None = None,
        problem: str | None = None,
        owns_store: bool = False,
    ) -> None:
        self.store = store
        self.notebook_id = notebook_id
        self.run_id = run_id or new_id()
        self.log = RunLog(self.run_id, question, mode)
        self._owns_store = owns_store
        self._lock = threading.Lock()  # guards the queue and the log
        self._flush_lock = threading.Lock()  # one writer at a time, in order
        self._queue: list[tuple[float, Event]] = []
        self._new_run: NewRun | None = None
        if store is not None and notebook_id is not None:
            self._new_run = NewRun(notebook_id, question, mode, time.time())
        self._problem = problem if store is None else None
        self._saved_answer: str | None = None
        self._context: str | None = None  # written with the last batch
        self._system_prompt: str | None = None
        self._last_write = 0.0
        self._retry_delay = 0.0
        self._retry_at = 0.0
        self._closed = False
        self._final_status: str | None = None
        self._finished_at: float | None = None
        self.notice: str | None = None  # about opening the store (a damaged file kept aside)
        self.notebook_title: str | None = None
        # set by start_recording when this run made its notebook: a run that fails before
        # it produced anything then takes the notebook with it (``discard_if_empty``)
        self.made_notebook = False
        self.discard_if_empty = False
        self.discarded = False
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        if self._new_run is not None:
            self.flush()  # the run exists on disk before its first event
            self._thread = threading.Thread(
                target=self._loop, name=f"notebook-recorder-{self.run_id}", daemon=True
            )
            self._thread.start()

    # --- the sink -------------------------------------------------------------------

    def __call__(self, event: Event) -> None:
        at = time.time()
        with self._lock:
            self._queue.append((at, event))
            self.log.apply(event)
            if isinstance(event, RunFinished):
                self._finished_at = at
        if isinstance(event, RunFinished):
            self._wake.set()

    @property
    def save_problem(self) -> str | None:
        """Why this run is not (fully) saved, for the user; None once all is on disk."""
        return self._problem

    @property
    def unsaved_events(self) -> int:
        with self._lock:
            return len(self._queue)

    def unsaved(self) -> list[Event]:
        """The events not on disk yet, in order (deltas possibly joined)."""
        with self._lock:
            return [event for _, event in self._queue]

    def conversation(self) -> Conversation:
        """What this run continues: the notebook's KV-cache id, system prompt and earlier
        runs (no id and no runs when the run is not saved)."""
        if self.store is None or self.notebook_id is None:
            return Conversation(None, None)
        try:
            return self.store.conversation(self.notebook_id)
        except NotebookError:
            return Conversation(None, None)

    # --- writing --------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._closed:
            self._wake.wait(FLUSH_SECONDS)
            self._wake.clear()
            if self._closed:
                break
            now = time.monotonic()
            if now < self._retry_at:
                continue
            if self.unsaved_events or now - self._last_write >= HEARTBEAT_SECONDS:
                self.flush()

    def flush(self) -> bool:
        """Write what is queued now; True when nothing is left unsaved."""
        if self.store is None:
            return False
        with self._flush_lock:
            with self._lock:
                taken = self._queue
                self._queue = []
                answer = self.log.answer
                status, error = self._final_status or self.log.status, self.log.error
                finished = self._finished_at
                context, system_prompt = self._context, self._system_prompt
            events = _coalesce(taken)
            batch = RunBatch(
                self.run_id,
                events=[(at, e.type, _stored(e)) for at, e in events],
                pages=_pages(events),
                new_run=self._new_run,
                status=status,
                answer=answer if answer != self._saved_answer else None,
                error=error,
                finished=finished,
                context=context,
                system_prompt=system_prompt,
            )
            try:
                self.store.save_run(batch)
            except NotebookError as exc:
                with self._lock:
                    self._queue[:0] = events  # keep order: these come before newer ones
                if self._problem is None:
                    log.warning("run %s not saved: %s", self.run_id, exc.message)
                self._problem = f"{exc.message} The run continues in memory."
                # a failing disk is retried, but less and less often: the queue only grows
                self._retry_delay = min(self._retry_delay * 2 or FLUSH_SECONDS, MAX_RETRY_SECONDS)
                self._retry_at = time.monotonic() + self._retry_delay
                return False
            self._retry_delay = 0.0
            self._new_run = None
            self._saved_answer = answer
            self._last_write = time.monotonic()
            self._problem = None
            return True

    def close(self, entry: PastRun | None = None, system_prompt: str | None = None) -> None:
        """Finish recording: save everything queued and what the notebook's later
        questions continue: ``entry``, the run in compact form (``ResearchRun.history_entry``,
        None when it found no answer), and the system prompt its conversation began with
        (``ResearchRun.system_prompt``). A run that never reported its end is saved as
        interrupted."""
        if self._closed:
            return
        self._closed = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            if entry is not None:
                self._context = entry.answer
                if system_prompt:
                    self._system_prompt = scrub_text(system_prompt)
            if self.log.finished is None:  # the loop died without reporting its end
                self._final_status = "interrupted"
                self._finished_at = time.time()
        self.flush()
        if self.discard_if_empty and self.made_notebook and self._failed_empty():
            self._discard()
        if self._owns_store and self.store is not None:
            self.store.close()

    def _failed_empty(self) -> bool:
        """The run ended in an error (or never ended) with no answer and no tool use: the
        notebook it made holds nothing worth keeping."""
        log = self.log
        failed = log.finished is None or log.finished.reason == "error"
        return failed and not log.answer.strip() and not log.tools and not log.sources

    def _discard(self) -> None:
        if self.store is None or self.notebook_id is None:
            return
        try:
            self.store.delete(self.notebook_id)
            self.discarded = True
        except NotebookError:
            log.exception("removing the empty notebook %s failed", self.notebook_id)

    def __enter__(self) -> RunRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start_recording(
    paths: AppPaths,
    question: str,
    mode: str = "normal",
    notebook_title: str | None = None,
    run_id: str | None = None,
    notebook_id: str | None = None,
) -> RunRecorder:
    """The recorder for one run: into the notebook ``notebook_id`` (a follow-up), else the
    one with this title (made if missing), else a new notebook titled from the question.
    Never raises for a store problem: the recorder then keeps nothing and
    ``save_problem`` says why."""
    unsaved = "The run continues but will not be saved."
    try:
        store = NotebookStore.open(paths)
    except NotebookError as exc:
        problem = f"{exc.message} {unsaved}"
        return RunRecorder(None, None, question, mode, run_id=run_id, problem=problem)
    try:
        if notebook_id:
            notebook = store.notebook(notebook_id)
        elif notebook_title and notebook_title.strip():
            notebook = store.open_or_create(notebook_title)
        else:
            notebook = store.create(title_from_question(question), distinct=True)
    except NotebookError as exc:
        store.close()
        problem = f"{exc.message} {unsaved}"
        return RunRecorder(None, None, question, mode, run_id=run_id, problem=problem)
    recorder = RunRecorder(store, notebook.id, question, mode, run_id=run_id, owns_store=True)
    recorder.notice = store.notice
    recorder.notebook_title = notebook.title
    # a notebook this run made (or found empty) is this run's alone
    recorder.made_notebook = store.run_count(notebook.id) == 1
    return recorder

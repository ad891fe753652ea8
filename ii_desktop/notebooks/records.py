"""Plain records the store hands out (what the CLI prints and the GUI shows) and takes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ii_desktop.agent.history import PastRun
from ii_desktop.notebooks.runlog import RunLog

if TYPE_CHECKING:
    from ii_desktop.notebooks.recorder import RunRecorder
    from ii_desktop.notebooks.store import NotebookStore


def iso_time(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class NotebookSummary:
    id: str
    title: str
    created: float
    updated: float
    runs: int
    tags: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "updated": iso_time(self.updated),
            "runs": self.runs,
        }


@dataclass(frozen=True)
class RunRecord:
    """One saved run. ``log`` is its events folded; ``status`` and ``answer`` come from the
    run's row, which knows about interruption the events cannot."""

    id: str
    notebook_id: str
    question: str
    mode: str
    status: str
    answer: str
    error: str | None
    started: float
    finished: float | None
    log: RunLog = field(default_factory=RunLog, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "question": self.question,
            "answer": self.answer,
            "status": self.status,
            "sources": [{"n": s.n, "url": s.url, "title": s.title} for s in self.log.source_list()],
        }


@dataclass(frozen=True)
class SavedPage:
    """A page a run read, as ``web_visit`` returned it; the newest read of each URL is kept."""

    url: str
    final_url: str
    title: str
    markdown: str
    full_text: str
    content_type: str
    fetched: float
    model_text: str = ""  # exactly what the model was given (the trained visit text)
    meta: dict[str, Any] = field(default_factory=dict)  # byline, date, truncated

    def to_data(self) -> dict[str, Any]:
        """The shape of a ``web_visit`` result's ``data``, plus when it was fetched."""
        return {
            "url": self.url,
            "final_url": self.final_url,
            "title": self.title,
            **self.meta,
            "content_type": self.content_type,
            "markdown": self.markdown,
            "full_text": self.full_text,
            "fetched": self.fetched,
        }


@dataclass(frozen=True)
class SearchHit:
    """A notebook search match: in a question, an answer or a page a run read."""

    notebook_id: str
    run_id: str
    title: str  # the notebook's title
    snippet: str
    where: str  # question_or_answer | page
    url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "notebook_id": self.notebook_id,
            "run_id": self.run_id,
            "title": self.title,
            "snippet": self.snippet,
            "where": self.where,
            "url": self.url,
        }


@dataclass(frozen=True)
class NewRun:
    notebook_id: str
    question: str
    mode: str
    started: float


@dataclass
class RunBatch:
    """What a recorder writes in one transaction."""

    run_id: str
    events: list[tuple[float, str, str]] = field(default_factory=list)  # (at, type, json)
    pages: list[dict[str, Any]] = field(default_factory=list)
    new_run: NewRun | None = None
    status: str = "running"
    answer: str | None = None  # None: unchanged
    error: str | None = None
    finished: float | None = None
    context: str | None = None  # the run as later questions see it, once it has ended
    system_prompt: str | None = None  # kept by the notebook when it has none yet


@dataclass(frozen=True)
class Conversation:
    """What a notebook's next question continues (see ``NotebookStore.conversation``)."""

    conversation_id: str | None
    system_prompt: str | None
    past_runs: list[PastRun] = field(default_factory=list)


@dataclass(frozen=True)
class Notebook:
    """A notebook as it was when read; the methods act on the store."""

    store: NotebookStore = field(repr=False, compare=False)
    id: str
    title: str
    conversation_id: str
    created: float
    updated: float
    tags: tuple[str, ...] = ()

    def conversation(self) -> Conversation:
        """The KV-cache id, system prompt and earlier runs the next question continues."""
        return self.store.conversation(self.id)

    def runs(self) -> list[RunRecord]:
        return self.store.runs(self.id)

    def record(self, question: str, mode: str = "normal", run_id: str | None = None) -> RunRecorder:
        from ii_desktop.notebooks.recorder import RunRecorder

        return RunRecorder(self.store, self.id, question, mode, run_id=run_id)

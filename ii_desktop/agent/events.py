"""Research events: what a run reports, one JSON object each, stamped with its run id.

The GUI renders them, the notebook store persists them, and ``ask --json`` prints them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ii_desktop.core.events import Event, event_type

RUN_REASONS = ("answered", "cancelled", "error", "budget")


@event_type("run_started")
@dataclass(frozen=True)
class RunStarted(Event):
    run_id: str
    question: str
    mode: str
    # where the run is saved, as the research layer tells its listeners (not stored)
    notebook_id: str | None = None
    notebook_title: str | None = None


@event_type("reasoning")
@dataclass(frozen=True)
class Reasoning(Event):
    run_id: str
    text: str


@event_type("answer")
@dataclass(frozen=True)
class Answer(Event):
    run_id: str
    text: str


@event_type("tool_call")
@dataclass(frozen=True)
class ToolCall(Event):
    """A call the model made. ``arguments`` is None when they could not be parsed."""

    run_id: str
    call_id: str
    name: str
    arguments: dict[str, Any] | None
    raw: str = ""


@event_type("tool_result")
@dataclass(frozen=True)
class ToolResult(Event):
    """``text`` is exactly what the model sees; ``data`` is the richer result for the app."""

    run_id: str
    call_id: str
    name: str
    ok: bool
    text: str
    error: str | None = None
    error_kind: str | None = None
    reused: bool = False  # answered from an identical earlier call
    data: dict[str, Any] = field(default_factory=dict)


@event_type("source")
@dataclass(frozen=True)
class Source(Event):
    """A page the run came across, numbered in order of first appearance."""

    run_id: str
    n: int
    url: str
    title: str
    kind: str  # search_result | page


@event_type("notice")
@dataclass(frozen=True)
class Notice(Event):
    """Something the loop did on its own: a retry, a challenge, shortened results."""

    run_id: str
    kind: str
    message: str


@event_type("prompt_progress")
@dataclass(frozen=True)
class PromptProgress(Event):
    """How far the engine has read a long prompt (``done`` of ``total`` new tokens) before
    it writes. Shown while it lasts; notebooks do not keep it."""

    run_id: str
    done: int
    total: int


@event_type("stats")
@dataclass(frozen=True)
class Stats(Event):
    """Figures of one generation (``round``) and of the run so far (``total_*``)."""

    run_id: str
    round: int
    prompt_tokens: int
    reused_tokens: int
    prefilled_tokens: int
    generated_tokens: int
    prefill_tps: float
    decode_tps: float
    time_to_first_token: float
    total_prompt_tokens: int
    total_reused_tokens: int
    total_prefilled_tokens: int
    total_generated_tokens: int
    peak_memory_bytes: int = 0  # the engine's peak memory so far; 0 when it cannot tell


@event_type("run_finished")
@dataclass(frozen=True)
class RunFinished(Event):
    """The end of a run. ``citations``: ``{url, n, verified, support, passage}`` for each
    URL the answer cites, in order; ``n`` is None for a URL that is none of the run's
    sources, ``verified`` is false for a page the run never visited. ``support`` is
    "strong" when a passage of the page, as the model read it, holds the key facts
    (numbers, dates, names) of the sentence that cites it, else "weak" (always for a page
    not read); ``passage`` is that passage (at most 400 characters, "" for a page not
    read). A URL cited by several sentences is judged by its best one."""

    run_id: str
    reason: str
    answer: str
    boxed: str | None = None
    error: str | None = None
    citations: list[dict[str, Any]] = field(default_factory=list)
    rounds: int = 0
    searches: int = 0
    visits: int = 0

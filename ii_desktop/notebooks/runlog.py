"""One run rebuilt from its events: question, reasoning, answer, tool activity, sources.

The recorder folds events into a ``RunLog`` as they arrive (so a partial answer can be
saved while the run streams), and exports fold the stored events the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ii_desktop.agent.events import (
    Answer,
    Notice,
    Reasoning,
    RunFinished,
    RunStarted,
    Source,
    Stats,
    ToolCall,
    ToolResult,
)
from ii_desktop.core.events import Event
from ii_desktop.core.text import plural


@dataclass
class ToolActivity:
    """One tool call and, once it came back, its result (without the bulky page text)."""

    call_id: str
    name: str
    arguments: dict[str, Any] | None
    ok: bool | None = None  # None: no result yet
    error: str | None = None
    reused: bool = False
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def target(self) -> str:
        """What the call was about: the search query or the page URL."""
        args = self.arguments or {}
        value = args.get("query") if self.name == "web_search" else args.get("url")
        return str(value) if value is not None else ""

    def summary(self) -> str:
        if self.ok is None:
            return "no result (the run stopped first)"
        if not self.ok:
            return f"failed: {self.error or 'unknown error'}"
        reused = " (reused an identical earlier call)" if self.reused else ""
        if self.name == "web_search":
            results = self.data.get("results") or []
            provider = self.data.get("provider") or "search"
            return f"{plural(len(results), 'result')} from {provider}{reused}"
        if self.name == "web_visit":
            title = self.data.get("title") or self.data.get("final_url") or "page"
            return f"read “{title}”{reused}"
        return f"ok{reused}"


@dataclass
class SourceInfo:
    n: int
    url: str
    title: str
    kind: str


_BULKY = ("markdown", "full_text")


class RunLog:
    """Folds research events. Feed them in order with ``apply``; read the fields any time."""

    def __init__(self, run_id: str = "", question: str = "", mode: str = "normal") -> None:
        self.run_id = run_id
        self.question = question
        self.mode = mode
        self._reasoning: list[str] = []
        self._new_thought = False  # the next reasoning belongs to a new generation
        self._turn: list[str] = []  # answer text of the generation in progress
        self._last_answer = ""  # answer of the last finished generation, as the loop keeps it
        self.tools: dict[str, ToolActivity] = {}
        self.sources: dict[int, SourceInfo] = {}
        self.notices: list[Notice] = []
        self.stats: Stats | None = None
        self.finished: RunFinished | None = None
        self.events = 0

    @classmethod
    def from_events(cls, events: list[Event]) -> RunLog:
        log = cls()
        for event in events:
            log.apply(event)
        return log

    def apply(self, event: Event) -> None:
        self.events += 1
        if isinstance(event, Reasoning):
            if self._new_thought and self._reasoning:
                self._reasoning.append("\n\n")
            self._new_thought = False
            self._reasoning.append(event.text)
        elif isinstance(event, Answer):
            self._turn.append(event.text)
        elif isinstance(event, Stats):
            # a generation ended: the loop now keeps its answer, even an empty one
            self._last_answer = "".join(self._turn).strip()
            self._turn = []
            self._new_thought = True
            self.stats = event
        elif isinstance(event, ToolCall):
            self.tools[event.call_id] = ToolActivity(event.call_id, event.name, event.arguments)
        elif isinstance(event, ToolResult):
            self._end_turn()
            self._new_thought = True
            activity = self.tools.setdefault(
                event.call_id, ToolActivity(event.call_id, event.name, None)
            )
            activity.ok = event.ok
            activity.error = event.error
            activity.reused = event.reused
            activity.data = {k: v for k, v in event.data.items() if k not in _BULKY}
        elif isinstance(event, Source):
            self.sources[event.n] = SourceInfo(event.n, event.url, event.title, event.kind)
        elif isinstance(event, Notice):
            self.notices.append(event)
        elif isinstance(event, RunStarted):
            self.run_id, self.question, self.mode = event.run_id, event.question, event.mode
        elif isinstance(event, RunFinished):
            self.finished = event

    def _end_turn(self) -> None:
        # for engines that report no stats: tool results also close the generation
        if self._turn:
            self._last_answer = "".join(self._turn).strip()
            self._turn = []

    @property
    def reasoning(self) -> str:
        """All reasoning, one paragraph per generation."""
        return "".join(self._reasoning)

    @property
    def answer(self) -> str:
        if self.finished is not None:
            return self.finished.answer
        partial = "".join(self._turn).strip()
        return partial or self._last_answer

    @property
    def status(self) -> str:
        return "running" if self.finished is None else self.finished.reason

    @property
    def error(self) -> str | None:
        return self.finished.error if self.finished is not None else None

    def source_list(self) -> list[SourceInfo]:
        return [self.sources[n] for n in sorted(self.sources)]

    def citation_numbers(self) -> dict[str, int]:
        """Cited URL -> source number, as the run resolved them (unknown URLs left out)."""
        if self.finished is None:
            return {}
        out: dict[str, int] = {}
        for citation in self.finished.citations:
            n = citation.get("n")
            url = citation.get("url")
            if isinstance(n, int) and isinstance(url, str):
                out[url] = n
        return out

    def citation_checks(self) -> dict[int, dict[str, Any]]:
        """Source number -> how well its page supports the answer's sentences that cite
        it (``support``, ``passage``); runs recorded before the check have none."""
        if self.finished is None:
            return {}
        out: dict[int, dict[str, Any]] = {}
        for citation in self.finished.citations:
            n = citation.get("n")
            if isinstance(n, int) and citation.get("support") in ("strong", "weak"):
                if n not in out or citation.get("support") == "strong":
                    out[n] = citation
        return out

    def unverified_citations(self) -> list[str]:
        if self.finished is None:
            return []
        return [str(c.get("url")) for c in self.finished.citations if not c.get("verified")]

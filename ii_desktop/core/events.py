"""Events shared by every layer.

Each event is a small frozen dataclass that serialises to one JSON object with a
``type`` field. The engine emits the events defined here; the research agent adds its
own on top. Consumers (GUI, notebook store, CLI ``--json``) only ever read events.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

_REGISTRY: dict[str, type[Event]] = {}

E = TypeVar("E", bound="type[Event]")


def event_type(name: str) -> Any:
    """Class decorator: register an event class under its JSON ``type`` name."""

    def register(cls: E) -> E:
        if name in _REGISTRY:
            raise ValueError(f"duplicate event type {name!r}")
        cls.type = name
        _REGISTRY[name] = cls
        return cls

    return register


@dataclass(frozen=True)
class Event:
    type: ClassVar[str] = "event"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.type}
        data.update(dataclasses.asdict(self))
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))


def event_from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event from its JSON object; unknown types or fields raise ValueError."""
    if not isinstance(data, dict):
        raise ValueError("an event must be a JSON object")
    name = data.get("type")
    cls = _REGISTRY.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ValueError(f"unknown event type {name!r}")
    fields = {f.name for f in dataclasses.fields(cls)}
    values = {k: v for k, v in data.items() if k != "type"}
    unknown = set(values) - fields
    if unknown:
        raise ValueError(f"unexpected fields for {name}: {', '.join(sorted(unknown))}")
    try:
        return cls(**values)
    except TypeError as exc:
        raise ValueError(f"bad fields for {name}: {exc}") from None


def event_from_json(line: str) -> Event:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc}") from None
    return event_from_dict(data)


# --- engine events -------------------------------------------------------------------


@event_type("prefill_progress")
@dataclass(frozen=True)
class PrefillProgress(Event):
    """Prompt processing progress of one generation: ``done`` of ``total`` new tokens."""

    request_id: str
    done: int
    total: int


@event_type("reasoning_delta")
@dataclass(frozen=True)
class ReasoningDelta(Event):
    """Text the model wrote inside ``<think>…</think>``."""

    request_id: str
    text: str


@event_type("answer_delta")
@dataclass(frozen=True)
class AnswerDelta(Event):
    """Answer text: everything outside reasoning and tool-call blocks."""

    request_id: str
    text: str


@event_type("tool_call_text")
@dataclass(frozen=True)
class ToolCallText(Event):
    """The raw text inside one ``<tool_call>…</tool_call>`` block, not yet parsed.

    ``complete`` is false when generation ended before the closing marker.
    """

    request_id: str
    text: str
    complete: bool = True


@event_type("generation_stats")
@dataclass(frozen=True)
class GenerationStats(Event):
    """Figures for one generation, emitted once at its end.

    ``prompt_tokens`` = ``reused_tokens`` (already in the KV cache) + ``prefilled_tokens``.
    ``cache_source`` says where the reused cache came from: memory, disk or cold.
    """

    request_id: str
    conversation_id: str
    prompt_tokens: int
    reused_tokens: int
    prefilled_tokens: int
    generated_tokens: int
    prefill_seconds: float
    time_to_first_token: float
    decode_seconds: float
    prefill_tps: float
    decode_tps: float
    peak_memory_bytes: int
    cache_source: str
    finish_reason: str


@event_type("generation_done")
@dataclass(frozen=True)
class GenerationDone(Event):
    """The last event of a generation. ``raw_text`` is the full model output as written.

    ``finish_reason``: ``stop`` (end of turn), ``length`` (max tokens), ``cancelled`` or
    ``error`` (then ``error`` holds the message).
    """

    request_id: str
    finish_reason: str
    raw_text: str
    error: str | None = None


TERMINAL_ENGINE_EVENTS = (GenerationDone,)

"""Events shared by every layer.

Each event is a small frozen dataclass that serialises to one JSON object with a
``type`` field. The engine emits the events defined here; the research agent adds its
own on top. Consumers (GUI, notebook store, CLI ``--json``) only ever read events.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
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


def _describe(hint: Any) -> str:
    if hint is Any:
        return "any value"
    if hint is type(None):
        return "null"
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        return " or ".join(_describe(arg) for arg in typing.get_args(hint))
    if origin is list:
        return "a list"
    if origin is dict:
        return "an object"
    words = {str: "text", int: "a whole number", float: "a number", bool: "true or false"}
    return words.get(hint, getattr(hint, "__name__", str(hint)))


def _matches(value: Any, hint: Any) -> bool:
    """Whether a JSON value fits a field's annotation (the types events use)."""
    if hint is Any:
        return True
    if hint is None or hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        return any(_matches(value, arg) for arg in typing.get_args(hint))
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:  # True is an int to Python, never to an event
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:  # JSON writes 2.0 as 2 no more than Python does; accept both
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if origin is list:
        (item,) = typing.get_args(hint) or (Any,)
        return isinstance(value, list) and all(_matches(v, item) for v in value)
    if origin is dict:
        key, item = typing.get_args(hint) or (Any, Any)
        return isinstance(value, dict) and all(
            _matches(k, key) and _matches(v, item) for k, v in value.items()
        )
    raise TypeError(f"event fields of type {hint!r} cannot be checked")


_FIELD_TYPES: dict[type[Event], dict[str, Any]] = {}


def field_types(cls: type[Event]) -> dict[str, Any]:
    """Each dataclass field of an event class and its resolved annotation."""
    found = _FIELD_TYPES.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls)
        found = _FIELD_TYPES[cls] = {f.name: hints[f.name] for f in dataclasses.fields(cls)}
    return found


def event_from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event from its JSON object.

    Unknown types, unknown or missing fields and values of the wrong type (checked
    against each field's annotation, so ``true`` is not a number and ``"1"`` is not an
    int) raise ValueError naming the field.
    """
    if not isinstance(data, dict):
        raise ValueError("an event must be a JSON object")
    name = data.get("type")
    cls = _REGISTRY.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ValueError(f"unknown event type {name!r}")
    types_ = field_types(cls)
    values = {k: v for k, v in data.items() if k != "type"}
    unknown = set(values) - set(types_)
    if unknown:
        raise ValueError(f"unexpected fields for {name}: {', '.join(sorted(unknown))}")
    for field_name, value in values.items():
        hint = types_[field_name]
        if not _matches(value, hint):
            raise ValueError(
                f"bad fields for {name}: {field_name!r} must be {_describe(hint)}, "
                f"not {type(value).__name__}"
            )
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

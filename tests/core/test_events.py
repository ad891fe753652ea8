"""Events: one JSON line each, rebuilt exactly; bad input is a ValueError that says why."""

from __future__ import annotations

import dataclasses
import json

import pytest

from ii_desktop.core import events
from ii_desktop.core.events import (
    AnswerDelta,
    Event,
    GenerationDone,
    GenerationStats,
    PrefillProgress,
    ReasoningDelta,
    ToolCallText,
    event_from_dict,
    event_from_json,
)

# Text that trips up naive serialisers: quotes, backslashes, newlines, non-ASCII,
# a line separator JSON allows raw but some line readers split on, and an emoji.
AWKWARD = 'He said "hi" \\ then\nleft; café → 東京 \u2028 🙂 </think>'

SAMPLES: list[Event] = [
    PrefillProgress(request_id="r1", done=512, total=2048),
    ReasoningDelta(request_id="r1", text=AWKWARD),
    AnswerDelta(request_id="r1", text=AWKWARD),
    ToolCallText(request_id="r1", text='{"name": "web_search", "arguments": {"query": "x"}}'),
    ToolCallText(request_id="r1", text='{"name": "web_se', complete=False),
    GenerationStats(
        request_id="r1",
        conversation_id="c1",
        prompt_tokens=1200,
        reused_tokens=1000,
        prefilled_tokens=200,
        generated_tokens=37,
        prefill_seconds=0.125,
        time_to_first_token=0.1,
        decode_seconds=1.0 / 3.0,
        prefill_tps=1600.5,
        decode_tps=111.0,
        peak_memory_bytes=2_500_000_000,
        cache_source="disk",
        finish_reason="stop",
    ),
    GenerationDone(request_id="r1", finish_reason="stop", raw_text=AWKWARD),
    GenerationDone(request_id="r1", finish_reason="error", raw_text="", error="boom"),
]


def _core_event_classes() -> set[type[Event]]:
    """Event classes registered by ``ii_desktop.core.events`` itself.

    Other layers register their own events in the same registry; only the ones this
    module defines are the subject of these tests.
    """
    return {cls for cls in events._REGISTRY.values() if cls.__module__ == events.__name__}


def test_samples_cover_every_core_event_type():
    missing = _core_event_classes() - {type(e) for e in SAMPLES}
    assert not missing, f"add a sample for {sorted(c.__name__ for c in missing)}"


def test_registered_names_are_unique_and_match_class_attribute():
    for name, cls in events._REGISTRY.items():
        assert cls.type == name
    assert {cls.type for cls in _core_event_classes()} == {
        "prefill_progress",
        "reasoning_delta",
        "answer_delta",
        "tool_call_text",
        "generation_stats",
        "generation_done",
    }


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: f"{e.type}")
def test_round_trip_through_json(event):
    line = event.to_json()
    assert "\n" not in line, "an event must serialise to a single line"
    back = event_from_json(line)
    assert type(back) is type(event)
    assert back == event
    assert back.to_json() == line


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: f"{e.type}")
def test_json_object_has_type_and_every_field(event):
    data = json.loads(event.to_json())
    assert data["type"] == event.type
    assert next(iter(data)) == "type", "type comes first, for readable logs"
    assert set(data) == {"type"} | {f.name for f in dataclasses.fields(event)}
    assert event_from_dict(data) == event


def test_non_ascii_is_written_as_is():
    line = AnswerDelta(request_id="r", text="café 東京").to_json()
    assert "café 東京" in line


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: f"{e.type}")
def test_events_are_frozen(event):
    field = dataclasses.fields(event)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(event, field, "changed")


def test_optional_fields_take_their_defaults():
    tool = event_from_json('{"type":"tool_call_text","request_id":"r","text":"{}"}')
    assert tool == ToolCallText(request_id="r", text="{}", complete=True)
    done = event_from_json(
        '{"type":"generation_done","request_id":"r","finish_reason":"stop","raw_text":"x"}'
    )
    assert done == GenerationDone(request_id="r", finish_reason="stop", raw_text="x", error=None)


def test_unknown_type_is_named():
    with pytest.raises(ValueError, match="unknown event type 'no_such_event'"):
        event_from_json('{"type": "no_such_event", "request_id": "r"}')


@pytest.mark.parametrize("data", [{"request_id": "r"}, {"type": 5}, {"type": None}])
def test_missing_or_non_string_type_is_rejected(data):
    with pytest.raises(ValueError, match="unknown event type"):
        event_from_dict(data)


def test_base_event_name_is_not_a_registered_type():
    with pytest.raises(ValueError, match="unknown event type"):
        event_from_dict({"type": Event.type})


def test_unknown_field_is_named():
    with pytest.raises(ValueError, match=r"unexpected fields for answer_delta: colour, size"):
        event_from_json(
            '{"type":"answer_delta","request_id":"r","text":"t","size":1,"colour":"red"}'
        )


def test_missing_required_field_is_a_value_error():
    with pytest.raises(ValueError, match=r"bad fields for prefill_progress: .*total"):
        event_from_json('{"type":"prefill_progress","request_id":"r","done":1}')


@pytest.mark.parametrize("line", ["[1, 2]", '"answer_delta"', "null", "3"])
def test_non_object_is_rejected(line):
    with pytest.raises(ValueError, match="must be a JSON object"):
        event_from_json(line)


@pytest.mark.parametrize("line", ["", "{", '{"type": "answer_delta",}', "not json"])
def test_bad_json_is_a_value_error(line):
    with pytest.raises(ValueError, match="not JSON"):
        event_from_json(line)


def test_duplicate_registration_is_refused():
    with pytest.raises(ValueError, match="duplicate event type 'answer_delta'"):

        @events.event_type("answer_delta")
        @dataclasses.dataclass(frozen=True)
        class Again(Event):
            text: str

    assert events._REGISTRY["answer_delta"] is AnswerDelta


# --- field types ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "field", "wanted"),
    [
        ('{"type":"answer_delta","request_id":"r","text":123}', "text", "text"),
        ('{"type":"answer_delta","request_id":"r","text":["x"]}', "text", "text"),
        ('{"type":"answer_delta","request_id":null,"text":"t"}', "request_id", "text"),
        ('{"type":"prefill_progress","request_id":"r","done":"1","total":2}', "done", "whole"),
        ('{"type":"prefill_progress","request_id":"r","done":1.5,"total":2}', "done", "whole"),
        ('{"type":"prefill_progress","request_id":"r","done":true,"total":2}', "done", "whole"),
        ('{"type":"tool_call_text","request_id":"r","text":"t","complete":1}', "complete", "true"),
        (
            '{"type":"tool_call_text","request_id":"r","text":"t","complete":"yes"}',
            "complete",
            "true",
        ),
        (
            '{"type":"generation_done","request_id":"r","finish_reason":"stop","raw_text":"",'
            '"error":{"x":1}}',
            "error",
            "text or null",
        ),
    ],
)
def test_a_value_of_the_wrong_type_is_a_value_error_naming_its_field(line, field, wanted):
    with pytest.raises(ValueError, match=rf"bad fields for \w+: '{field}' must be .*{wanted}"):
        event_from_json(line)


def test_numbers_are_checked_but_a_whole_number_is_a_float():
    stats = json.loads(SAMPLES[5].to_json())
    stats["prefill_tps"] = 1600  # JSON writers drop ".0"
    assert event_from_dict(stats).prefill_tps == 1600
    stats["prefill_tps"] = False
    with pytest.raises(ValueError, match="'prefill_tps' must be a number"):
        event_from_dict(stats)
    stats["prefill_tps"] = "fast"
    with pytest.raises(ValueError, match="'prefill_tps'"):
        event_from_dict(stats)


def test_objects_and_lists_of_objects_are_checked():
    from ii_desktop.agent.events import RunFinished, ToolCall, ToolResult

    result = ToolResult("r", "c", "web_visit", True, "t", data={"url": "https://a.example/"})
    assert event_from_dict(result.to_dict()) == result
    for data in ("notadict", ["x"], None, 3):
        with pytest.raises(ValueError, match="'data' must be an object, not"):
            event_from_dict(result.to_dict() | {"data": data})
    call = ToolCall("r", "c", "web_search", None)
    assert event_from_dict(call.to_dict()) == call
    with pytest.raises(ValueError, match="'arguments' must be an object or null"):
        event_from_dict(call.to_dict() | {"arguments": "q"})
    finished = RunFinished("r", "answered", "a", citations=[{"url": "u", "n": 1}])
    assert event_from_dict(finished.to_dict()) == finished
    for citations in ({"url": "u"}, ["u"], [{"url": "u"}, 2]):
        with pytest.raises(ValueError, match="'citations' must be a list"):
            event_from_dict(finished.to_dict() | {"citations": citations})


def test_every_registered_event_field_has_a_checkable_type():
    # agent events register in the same registry: load them too
    import ii_desktop.agent.events  # noqa: F401

    for cls in events._REGISTRY.values():
        for name, hint in events.field_types(cls).items():
            try:
                events._matches(object(), hint)
            except TypeError as exc:  # pragma: no cover - the message is the point
                pytest.fail(f"{cls.__name__}.{name}: {exc}")

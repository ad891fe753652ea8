"""A hostile or broken model server cannot exhaust the machine: every turn ends within
bounds on text, bytes, lines, tool calls and time, with a plain error and the partial
text kept. Each server here would send without end (up to a safety net far above the
bounds under test), and the tests check how much the client actually read."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from ii_desktop.core.events import AnswerDelta, GenerationDone, ReasoningDelta, ToolCallText
from ii_desktop.engine.openai_compat import OpenAIEngine
from ii_desktop.engine.request import GenerationRequest
from ii_desktop.engine.sse import TurnLimits
from tests.helpers.sse_server import ENDLESS_LIMIT, ChatServer, CountingTransport, Reply, sse
from tests.helpers.sse_server import delta_chunk as chunk

KEY = "sk-live-123-secret"


@pytest.fixture
def server():
    with ChatServer() as s:
        yield s


@pytest.fixture
def transport():
    return CountingTransport()


@pytest.fixture
def client(transport):
    with httpx.Client(transport=transport, timeout=httpx.Timeout(5.0, connect=5.0)) as c:
        yield c


def engine_for(server, client, api_key=None, **limits):
    return OpenAIEngine(
        server.base_url, "m", api_key=api_key, http=client, limits=TurnLimits(**limits)
    )


def run_turn(engine, max_tokens=2048):
    request = GenerationRequest("c", [{"role": "user", "content": "hi"}], max_tokens=max_tokens)
    started = time.monotonic()
    events = list(engine.generate(request).events(timeout=5))
    assert isinstance(events[-1], GenerationDone)
    return events, time.monotonic() - started


def text_of(events, kind):
    return "".join(e.text for e in events if isinstance(e, kind))


def assert_sender_stopped(server):
    """The endless reply stopped because the client hung up, not at the safety net."""
    assert server.stopped_sending.wait(2)
    assert server.sent[-1] < ENDLESS_LIMIT


def call_chunk(index, name=None, arguments=""):
    function = {"arguments": arguments} | ({"name": name} if name else {})
    return chunk({"tool_calls": [{"index": index, "function": function}]})


def test_endless_answer_text_stops_at_max_tokens(server, client, transport):
    honest = [chunk({"content": "x" * 7}) for _ in range(99)]
    server.replies.append(Reply([*honest, chunk({"content": "x" * 7}, finish="length")]))
    server.replies.append(
        Reply([chunk({"content": "Start. "})], forever=sse(chunk({"content": "more words "})))
    )
    engine = engine_for(server, client)
    events, _ = run_turn(engine, max_tokens=100)
    assert events[-1].finish_reason == "length" and events[-1].error is None  # within bounds

    events, took = run_turn(engine, max_tokens=100)
    done = events[-1]
    assert done.finish_reason == "error"
    assert "limit of 100 tokens" in done.error and "ignore max_tokens" in done.error
    assert done.raw_text.startswith("Start. more words more words ")
    assert len(done.raw_text) == 100 * 8  # the allowance, cut exactly
    assert text_of(events, AnswerDelta) == done.raw_text
    assert took < 3
    assert_sender_stopped(server)
    assert transport.received < 256 * 1024


def test_endless_reasoning_stops_at_max_tokens(server, client, transport):
    server.replies.append(
        Reply(
            [chunk({"reasoning_content": "Let me think. "})],
            forever=sse(chunk({"reasoning_content": "and think "})),
        )
    )
    events, took = run_turn(engine_for(server, client), max_tokens=50)
    done = events[-1]
    assert done.finish_reason == "error" and "limit of 50 tokens" in done.error
    reasoning = text_of(events, ReasoningDelta)
    assert reasoning.startswith("Let me think. and think ") and len(reasoning) == 400
    assert done.raw_text.startswith("<think>\nLet me think. and think")
    assert done.raw_text.endswith("\n</think>\n\n")
    assert took < 3
    assert_sender_stopped(server)
    assert transport.received < 128 * 1024


def test_tool_call_text_counts_toward_max_tokens(server, client, transport):
    server.replies.append(
        Reply(
            [call_chunk(0, "web_search", '{"query": "')],
            forever=sse(call_chunk(0, arguments="y" * 50)),
        )
    )
    events, _ = run_turn(engine_for(server, client), max_tokens=100)
    done = events[-1]
    assert done.finish_reason == "error" and "limit of 100 tokens" in done.error
    (call,) = [e for e in events if isinstance(e, ToolCallText)]
    assert call.text.startswith('{"name": "web_search", "arguments": {"query": "yyy')
    assert '"name": "web_search"' in done.raw_text
    assert_sender_stopped(server)
    assert transport.received < 128 * 1024


def test_one_endless_line_ends_the_turn_without_being_buffered(server, client, transport):
    server.replies.append(
        Reply(
            [chunk({"content": "Partial"}), b'data: {"choices": [{"delta": {"content": "'],
            forever=b"z" * 4096,
        )
    )
    engine = engine_for(server, client, max_line_bytes=64 * 1024)
    events, took = run_turn(engine)
    done = events[-1]
    assert done.finish_reason == "error"
    assert "a line of more than 64 KB without a line break" in done.error
    assert done.raw_text == "Partial"
    assert took < 3
    assert_sender_stopped(server)
    assert transport.received < 2 * 64 * 1024


def test_bytes_per_turn_are_capped_even_without_text(server, client, transport):
    padding = b": " + b"p" * 1000 + b"\n\n"  # comments: no text, no tokens
    server.replies.append(Reply([chunk({"content": "Partial"})], forever=padding))
    events, took = run_turn(engine_for(server, client, max_bytes=256 * 1024))
    done = events[-1]
    assert done.finish_reason == "error" and "more than 256 KB for one answer" in done.error
    assert done.raw_text == "Partial"
    assert took < 3
    assert_sender_stopped(server)
    assert 256 * 1024 < transport.received < 320 * 1024


def test_keepalives_cannot_hold_a_turn_past_its_deadline(server, client):
    server.replies.append(
        Reply([chunk({"content": "Partial"})], forever=b": keep-alive\n\n", pause=0.05)
    )
    events, took = run_turn(engine_for(server, client, deadline=0.5))
    done = events[-1]
    assert done.finish_reason == "error"
    assert "still sending after 0.5 seconds, the limit for one answer" in done.error
    assert done.raw_text == "Partial" and text_of(events, AnswerDelta) == "Partial"
    assert 0.5 <= took < 2  # the idle timeout (5 s) never fires: a keep-alive comes each 50 ms
    assert_sender_stopped(server)


def test_the_deadline_wakes_a_read_blocked_on_a_quiet_server(server, client):
    server.replies.append(Reply([chunk({"content": "Partial"})], forever=b": ping\n\n", pause=30))
    events, took = run_turn(engine_for(server, client, deadline=0.5))
    done = events[-1]
    assert done.finish_reason == "error" and "still sending after 0.5 seconds" in done.error
    assert done.raw_text == "Partial"
    assert took < 2  # well before the 5 s idle timeout


def test_too_many_structured_tool_calls_end_the_turn(server, client, transport):
    def call(i):
        return sse(call_chunk(i, "web_search", json.dumps({"query": f"q{i}"})))

    server.replies.append(Reply(forever=call))
    events, took = run_turn(engine_for(server, client, max_tool_calls=5))
    done = events[-1]
    assert done.finish_reason == "error" and "more than 5 tool calls in one answer" in done.error
    calls = [json.loads(e.text) for e in events if isinstance(e, ToolCallText)]
    assert [c["arguments"]["query"] for c in calls] == ["q0", "q1", "q2", "q3", "q4"]
    assert done.raw_text.count("<tool_call>") == 5
    assert took < 3
    assert_sender_stopped(server)
    assert transport.received < 64 * 1024


def test_too_many_raw_tool_call_blocks_end_the_turn(server, client):
    block = '<tool_call>\n{"name": "web_search", "arguments": {"query": "q"}}\n</tool_call>\n'
    server.replies.append(Reply(forever=sse(chunk({"content": block}))))
    events, _ = run_turn(engine_for(server, client, max_tool_calls=3))
    done = events[-1]
    assert done.finish_reason == "error" and "more than 3 tool calls" in done.error
    assert len([e for e in events if isinstance(e, ToolCallText)]) == 3
    assert_sender_stopped(server)


@pytest.mark.parametrize("form", ["structured", "raw"])
def test_oversized_tool_call_arguments_end_the_turn(server, client, transport, form):
    if form == "structured":
        head, piece = call_chunk(0, "web_search", '{"query": "'), call_chunk(0, arguments="x" * 999)
    else:
        head = chunk({"content": 'Looking.\n<tool_call>\n{"name": "web_search", "arguments": '})
        piece = chunk({"content": "x" * 999})
    server.replies.append(Reply([head], forever=sse(piece)))
    engine = engine_for(server, client, max_call_chars=10_000)
    events, took = run_turn(engine, max_tokens=100_000)
    done = events[-1]
    assert done.finish_reason == "error"
    assert "a tool call of more than 10,000 characters" in done.error
    (call,) = [e for e in events if isinstance(e, ToolCallText)]
    assert call.text.startswith('{"name": "web_search", "arguments": ')
    assert len(call.text) < 12_000  # what was kept of the call, never the endless rest
    assert '"name": "web_search"' in done.raw_text and len(done.raw_text) < 12_000
    assert took < 3
    assert_sender_stopped(server)
    assert transport.received < 64 * 1024


def test_an_endless_error_body_is_read_only_to_its_start(server, client, transport):
    server.replies.append(Reply(status=500, forever=b"overloaded " * 1000))
    events, took = run_turn(engine_for(server, client))
    done = events[-1]
    assert done.finish_reason == "error" and "answered 500: overloaded overloaded" in done.error
    assert len(done.error) < 4096 + 200
    assert took < 3
    assert_sender_stopped(server)
    assert transport.received < 64 * 1024


@pytest.mark.parametrize(
    "key, expected",
    [
        ("sk-abc\nsecret-part", "contains a line break or control character"),
        ("sk-abc\x07secret-part", "contains a line break or control character"),
        ("sk-abc\u00e9secret-part", "a character other than plain letters"),
    ],
)
def test_an_unusable_api_key_gives_a_message_without_it(server, client, key, expected):
    events, _ = run_turn(engine_for(server, client, api_key=key))
    done = events[-1]
    assert done.finish_reason == "error" and expected in done.error
    assert "enter it again in Settings" in done.error
    assert "sk-abc" not in done.error and "secret-part" not in done.error
    assert server.requests == []  # the key never went out


@pytest.mark.parametrize(
    "reply",
    [
        Reply(status=401, body=json.dumps({"error": {"message": f"Invalid API key {KEY}"}})),
        Reply(status=403, body=f"forbidden: Authorization: Bearer {KEY}"),
        Reply(status=500, body="upstream said: Bearer other.token-XYZ is unknown"),
        Reply([chunk({"content": "ok"}), {"error": {"message": f"quota for {KEY} exhausted"}}]),
    ],
    ids=["401-json", "403-header-echo", "500-other-bearer", "stream-error"],
)
def test_error_texts_never_echo_the_api_key(server, client, reply):
    server.replies.append(reply)
    events, _ = run_turn(engine_for(server, client, api_key=KEY))
    done = events[-1]
    assert done.finish_reason == "error" and "[redacted]" in done.error
    assert KEY not in done.error and "other.token-XYZ" not in done.error
    assert "secret" not in done.error

"""The OpenAI-compatible engine against a scripted SSE server on 127.0.0.1."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from ii_desktop.agent.run import ResearchRun, RunOptions
from ii_desktop.core.events import (
    AnswerDelta,
    GenerationDone,
    GenerationStats,
    ReasoningDelta,
    ToolCallText,
)
from ii_desktop.engine.openai_compat import OpenAIEngine, to_openai_messages
from ii_desktop.engine.request import GenerationRequest, Sampling
from ii_desktop.tools.base import WEB_SEARCH_SCHEMA, WEB_VISIT_SCHEMA, ToolContext
from tests.helpers.sse_server import ChatServer, Reply, delta_chunk
from tests.helpers.tools import StaticSearch, StaticVisit

TOOLS = [WEB_SEARCH_SCHEMA, WEB_VISIT_SCHEMA]


@pytest.fixture
def server():
    with ChatServer() as s:
        yield s


_engines = []


@pytest.fixture(autouse=True)
def close_engines():
    yield
    while _engines:
        _engines.pop().close()


def engine_for(server, **kw):
    engine = OpenAIEngine(server.base_url, kw.pop("model", "m"), **kw)
    _engines.append(engine)
    return engine


def generate(engine, messages=None, **kw):
    request = GenerationRequest(
        "c", messages or [{"role": "user", "content": "hi"}], tools=TOOLS, **kw
    )
    handle = engine.generate(request)
    return handle, list(handle.events(timeout=20))


def text_of(events, kind):
    return "".join(e.text for e in events if isinstance(e, kind))


def test_reasoning_content_answer_and_usage(server):
    server.replies.append(
        Reply(
            [
                delta_chunk({"role": "assistant", "reasoning_content": "Let me "}),
                delta_chunk({"reasoning_content": "think."}),
                delta_chunk({"content": "Paris is the "}),
                delta_chunk({"content": "capital."}, finish="stop"),
                delta_chunk(
                    None,
                    usage={
                        "prompt_tokens": 120,
                        "completion_tokens": 9,
                        "prompt_tokens_details": {"cached_tokens": 100},
                    },
                ),
            ]
        )
    )
    engine = engine_for(server, model="ii-search-4b", api_key="sk-test")
    _, events = generate(engine, sampling=Sampling(seed=3))
    assert text_of(events, ReasoningDelta) == "Let me think."
    assert text_of(events, AnswerDelta) == "Paris is the capital."
    stats = next(e for e in events if isinstance(e, GenerationStats))
    assert (stats.prompt_tokens, stats.reused_tokens, stats.generated_tokens) == (120, 100, 9)
    done = events[-1]
    assert isinstance(done, GenerationDone) and done.finish_reason == "stop"
    assert done.raw_text == "<think>\nLet me think.\n</think>\n\nParis is the capital."
    body = server.requests[0]
    assert body["model"] == "ii-search-4b" and body["stream"] is True
    assert body["tools"] == TOOLS
    assert (body["temperature"], body["top_p"], body["top_k"]) == (0.6, 0.95, 20)
    assert body["repetition_penalty"] == 1.1 and body["seed"] == 3
    assert server.headers[0]["authorization"] == "Bearer sk-test"


def test_think_tags_in_content_are_split(server):
    server.replies.append(
        Reply(
            [
                delta_chunk({"content": "<thi"}),
                delta_chunk({"content": "nk>\nhmm\n</th"}),
                delta_chunk({"content": "ink>\n\nAnswer."}, finish="stop"),
            ]
        )
    )
    _, events = generate(engine_for(server))
    assert text_of(events, ReasoningDelta) == "hmm\n"
    assert text_of(events, AnswerDelta) == "Answer."


def test_structured_tool_call_deltas_are_assembled(server):
    server.replies.append(
        Reply(
            [
                delta_chunk({"reasoning_content": "Search it."}),
                delta_chunk(
                    {
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": "c1",
                                "type": "function",
                                "function": {"name": "web_search", "arguments": ""},
                            }
                        ]
                    }
                ),
                delta_chunk(
                    {"tool_calls": [{"index": 0, "function": {"arguments": '{"query": '}}]}
                ),
                delta_chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]}),
                delta_chunk(
                    {
                        "tool_calls": [
                            {
                                "index": 1,
                                "id": "c2",
                                "type": "function",
                                "function": {
                                    "name": "web_visit",
                                    "arguments": '{"url": "https://e.org"}',
                                },
                            }
                        ]
                    },
                    finish="tool_calls",
                ),
            ]
        )
    )
    _, events = generate(engine_for(server))
    calls = [json.loads(e.text) for e in events if isinstance(e, ToolCallText)]
    assert calls == [
        {"name": "web_search", "arguments": {"query": "Paris"}},
        {"name": "web_visit", "arguments": {"url": "https://e.org"}},
    ]
    raw = events[-1].raw_text
    assert raw.startswith("<think>\nSearch it.\n</think>\n\n<tool_call>\n")
    assert raw.count("<tool_call>") == 2


def test_raw_tool_call_text_in_content(server):
    server.replies.append(
        Reply(
            [
                delta_chunk({"content": "<think>\nok\n</think>\n\n<tool_"}),
                delta_chunk(
                    {"content": 'call>\n{"name": "web_search", "arguments": {"query": "x"}}\n'}
                ),
                delta_chunk({"content": "</tool_call>"}, finish="stop"),
            ]
        )
    )
    _, events = generate(engine_for(server))
    (call,) = [e for e in events if isinstance(e, ToolCallText)]
    assert json.loads(call.text)["arguments"] == {"query": "x"}


def test_broken_structured_arguments_stay_broken_for_the_agent(server):
    server.replies.append(
        Reply(
            [
                delta_chunk(
                    {
                        "tool_calls": [
                            {
                                "index": 0,
                                "function": {"name": "web_search", "arguments": '{"query": "x'},
                            }
                        ]
                    },
                    finish="tool_calls",
                ),
            ]
        )
    )
    _, events = generate(engine_for(server))
    (call,) = [e for e in events if isinstance(e, ToolCallText)]
    with pytest.raises(ValueError):
        json.loads(call.text)


@pytest.mark.parametrize(
    "status, body, expected",
    [
        (401, '{"error": {"message": "Invalid API key"}}', "check the API key"),
        (404, '{"detail": "Not Found"}', "is the base URL right"),
        (500, '{"error": "CUDA out of memory"}', "answered 500: CUDA out of memory"),
        (503, "overloaded", "answered 503: overloaded"),
    ],
)
def test_http_errors_become_clear_run_errors(server, status, body, expected):
    server.replies.append(Reply(status=status, body=body))
    _, events = generate(engine_for(server, api_key="sk-secret-key"))
    done = events[-1]
    assert done.finish_reason == "error" and expected in done.error
    assert "sk-secret-key" not in done.error


def test_connection_refused_is_a_clear_error():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    engine = OpenAIEngine(f"http://127.0.0.1:{port}/v1", "m")
    _engines.append(engine)
    _, events = generate(engine)
    assert events[-1].finish_reason == "error"
    assert "Could not connect to the model server" in events[-1].error


def test_dropped_connection_keeps_partial_text(server):
    server.replies.append(
        Reply(
            [
                delta_chunk({"content": "Partial ans"}),
                delta_chunk({"content": "wer"}),
                delta_chunk({"content": " never sent"}),
            ],
            drop_after=2,
            delay=0.05,
        )
    )
    _, events = generate(engine_for(server))
    done = events[-1]
    assert done.finish_reason == "error" and "dropped" in done.error
    assert done.raw_text == "Partial answer"


def test_stream_error_object_and_malformed_lines(server):
    server.replies.append(
        Reply(
            [
                "this is not json",
                delta_chunk({"content": "ok"}),
                {"error": {"message": "context length exceeded"}},
            ]
        )
    )
    _, events = generate(engine_for(server))
    assert events[-1].finish_reason == "error"
    assert "context length exceeded" in events[-1].error


def test_timeout_is_a_clear_error(server):
    server.replies.append(Reply([delta_chunk({"content": "slow"})] * 3, delay=1.0))
    engine = engine_for(server, read_timeout=0.3)
    _, events = generate(engine)
    assert events[-1].finish_reason == "error" and "did not answer in time" in events[-1].error


def test_history_is_sent_in_the_openai_protocol():
    raw = (
        "<think>\nplan\n</think>\n\nChecking.\n<tool_call>\n"
        '{"name": "web_search", "arguments": {"query": "x"}}\n</tool_call>'
    )
    messages = [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": raw},
        {"role": "tool", "content": "Index: 0", "tool_call_id": "call_1_0", "name": "web_search"},
        {"role": "assistant", "content": "<think>\nx\n</think>\n\nDone."},
    ]
    converted = to_openai_messages(messages)
    assert converted[2] == {
        "role": "assistant",
        "content": "Checking.",
        "reasoning_content": "plan",
        "tool_calls": [
            {
                "id": "call_1_0",
                "type": "function",
                "function": {"name": "web_search", "arguments": '{"query": "x"}'},
            }
        ],
    }
    assert converted[3] == {"role": "tool", "content": "Index: 0", "tool_call_id": "call_1_0"}
    assert converted[4] == {"role": "assistant", "content": "Done.", "reasoning_content": "x"}


def test_a_research_run_over_the_server(server):
    server.replies.extend(
        [
            Reply(
                [
                    delta_chunk({"reasoning_content": "Search."}),
                    delta_chunk(
                        {
                            "tool_calls": [
                                {
                                    "index": 0,
                                    "id": "a",
                                    "function": {
                                        "name": "web_search",
                                        "arguments": '{"query": "capital of France"}',
                                    },
                                }
                            ]
                        },
                        finish="tool_calls",
                    ),
                ]
            ),
            Reply(
                [delta_chunk({"content": "Paris, see https://example.org/paris"}, finish="stop")]
            ),
        ]
    )
    events = []
    with httpx.Client() as client:
        run = ResearchRun(
            engine_for(server),
            [StaticSearch(), StaticVisit()],
            ToolContext(http=client),
            "Capital of France?",
            RunOptions(),
            on_event=events.append,
        )
        finished = run.run()
    assert finished.reason == "answered"
    assert finished.answer == "Paris, see https://example.org/paris"
    second = server.requests[1]["messages"]
    assert second[2]["tool_calls"][0]["function"]["name"] == "web_search"
    assert second[3]["role"] == "tool" and second[3]["content"].startswith("Index: 0")
    assert second[3]["tool_call_id"] == second[2]["tool_calls"][0]["id"]


def test_broken_calls_are_replayed_as_valid_json_arguments():
    raw = '<tool_call>\n{"name": "web_search", "arguments": {"query": "x"\n</tool_call>'
    converted = to_openai_messages(
        [
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": raw},
            {"role": "tool", "content": "Error: not valid JSON", "tool_call_id": "c0"},
        ]
    )
    call = converted[1]["tool_calls"][0]
    assert call["id"] == "c0" and call["function"]["name"] == "invalid_call"
    assert json.loads(call["function"]["arguments"]) == {
        "invalid_call": raw.split("\n", 1)[1].rsplit("\n", 1)[0]
    }


def test_malformed_stream_chunks_end_the_generation_instead_of_hanging(server):
    server.replies.append(
        Reply(
            [
                '["keepalive"]',
                delta_chunk({"tool_calls": [{"index": 0, "function": "x"}]}),
                {"choices": {"not": "a list"}},
                delta_chunk({"content": "Still fine."}, finish="stop"),
            ]
        )
    )
    _, events = generate(engine_for(server))
    assert events[-1].finish_reason == "stop"
    assert text_of(events, AnswerDelta) == "Still fine."


def test_cancel_is_prompt_even_when_the_server_goes_quiet(server):
    import threading
    import time

    server.replies.append(Reply([delta_chunk({"content": "a"})] * 2, delay=8.0))
    engine = engine_for(server)
    request = GenerationRequest("c", [{"role": "user", "content": "hi"}])
    handle = engine.generate(request)
    deadline = time.monotonic() + 5
    while not handle.stats and time.monotonic() < deadline:
        if handle.poll(0.05) is not None:
            break
    started = time.monotonic()
    threading.Timer(0.0, handle.cancel).start()
    done = handle.wait(10)
    assert time.monotonic() - started < 3.0  # the server stays quiet for 8 s
    assert done.finish_reason == "cancelled"


def test_final_is_set_when_the_last_event_is_delivered(server):
    import threading

    server.replies.append(Reply([delta_chunk({"content": "ok"}, finish="stop")]))
    engine = engine_for(server)
    seen = []
    finished = threading.Event()

    def on_event(event):
        if isinstance(event, GenerationDone):
            seen.append(handle.final)
            finished.set()

    handle = engine.generate(
        GenerationRequest("c", [{"role": "user", "content": "x"}]), on_event=on_event
    )
    assert finished.wait(10)
    assert seen == [handle.final] and seen[0] is not None


def test_token_estimate_counts_non_latin_text_heavily():
    from ii_desktop.engine.base import estimate_tokens

    latin = GenerationRequest("c", [{"role": "user", "content": "a" * 3500}])
    cjk = GenerationRequest("c", [{"role": "user", "content": "東" * 3500}])
    assert 1000 <= estimate_tokens(latin) <= 1100
    assert estimate_tokens(cjk) >= 3500


def test_a_base_url_without_v1_gets_the_fix_and_never_an_html_page(server):
    server.replies.append(
        Reply(status=404, body="<!DOCTYPE html><html><body><h1>Not Found</h1></body></html>")
    )
    root = server.base_url.removesuffix("/v1")
    engine = OpenAIEngine(root, "m")
    _engines.append(engine)
    _, events = generate(engine)
    error = events[-1].error
    assert f"try --base-url {root}/v1" in error
    assert "<" not in error and "DOCTYPE" not in error


def test_an_html_error_page_is_not_shown_raw(server):
    server.replies.append(Reply(status=502, body="<html><body>Bad gateway</body></html>"))
    _, events = generate(engine_for(server))
    assert events[-1].error.endswith("answered 502: Bad Gateway")

"""The research loop driven by scripted model output (replay engine)."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest

from ii_desktop.agent import prompts
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
from ii_desktop.agent.run import ResearchRun, RunOptions
from ii_desktop.core.events import event_from_json
from ii_desktop.engine.replay import ReplayEngine
from ii_desktop.tools.base import ToolContext
from tests.helpers.tools import StaticSearch, StaticVisit


def call(name: str, **arguments) -> str:
    return f"<tool_call>\n{json.dumps({'name': name, 'arguments': arguments})}\n</tool_call>"


def think(text: str) -> str:
    return f"<think>\n{text}\n</think>\n\n"


SEARCH = think("I should search.") + call("web_search", query="capital of France")
VISIT = think("Let me read the page.") + call("web_visit", url="https://example.org/paris")
ANSWER = (
    think("The page says Paris.") + "The capital of France is Paris [https://example.org/paris]. "
    "See also https://example.org/france and https://elsewhere.example/never."
)


@pytest.fixture
def ctx():
    with httpx.Client() as client:
        yield ToolContext(http=client)


def start(turns, ctx, tools=None, **options):
    engine = ReplayEngine(turns, context_length=options.pop("context_length", None))
    events = []
    tools = tools if tools is not None else [StaticSearch(), StaticVisit()]
    run = ResearchRun(
        engine,
        tools,
        ctx,
        options.pop("question", "What is the capital of France?"),
        RunOptions(**options),
        on_event=events.append,
    )
    return run, engine, events


def of(events, kind):
    return [e for e in events if isinstance(e, kind)]


def test_search_visit_answer_with_numbered_sources_and_flagged_citations(ctx):
    run, engine, events = start([SEARCH, VISIT, ANSWER], ctx)
    finished = run.run()
    assert finished.reason == "answered"
    assert finished.answer.startswith("The capital of France is Paris")
    assert isinstance(events[0], RunStarted) and isinstance(events[-1], RunFinished)
    assert [e.name for e in of(events, ToolCall)] == ["web_search", "web_visit"]
    assert of(events, ToolCall)[0].arguments == {"query": "capital of France"}
    results = of(events, ToolResult)
    assert all(r.ok for r in results)
    assert results[0].text.startswith("Index: 0\nURL: https://example.org/paris\nTitle: Paris")
    # sources: numbered once, in order of first appearance; the visit upgrades source 1
    sources = of(events, Source)
    assert [(s.n, s.url, s.kind) for s in sources] == [
        (1, "https://example.org/paris", "search_result"),
        (2, "https://example.org/france", "search_result"),
        (1, "https://example.org/paris", "page"),
    ]
    page = "The page at https://example.org/paris says Paris is the capital of France."
    assert finished.citations == [
        {
            "url": "https://example.org/paris",
            "n": 1,
            "verified": True,
            "support": "strong",
            "passage": page,
        },
        {
            "url": "https://example.org/france",
            "n": 2,
            "verified": False,
            "support": "weak",
            "passage": "",
        },
        {
            "url": "https://elsewhere.example/never",
            "n": None,
            "verified": False,
            "support": "weak",
            "passage": "",
        },
    ]
    assert finished.rounds == 3 and finished.searches == 1 and finished.visits == 1
    assert "".join(e.text for e in of(events, Reasoning)).startswith("I should search.")
    assert "".join(e.text for e in of(events, Answer)).strip() == finished.answer
    assert len(of(events, Stats)) == 3
    # the model sees exactly the tool output text, as role "tool" messages
    tool_messages = [m for m in run.messages if m["role"] == "tool"]
    assert [m["content"] for m in tool_messages] == [r.text for r in results]
    assert run.messages[-1] == {"role": "assistant", "content": ANSWER}
    # every request carried the two trained tools
    assert all(
        [t["function"]["name"] for t in r.tools] == ["web_search", "web_visit"]
        for r in engine.requests
    )
    for event in events:  # one JSON object per event, readable back
        assert event_from_json(event.to_json()) == event


def test_short_mode_asks_for_boxed_and_extracts_nested_value(ctx):
    answer = (
        think("x")
        + "So the answer is \\boxed{\\frac{1}{2}} and not \\boxed{3}... final \\boxed{a{b}c}"
    )
    run, engine, _ = start([SEARCH, answer], ctx, mode="short")
    finished = run.run()
    assert engine.requests[0].messages[1]["content"].endswith(prompts.SHORT_SUFFIX)
    assert finished.boxed == "a{b}c"


def test_report_mode_asks_for_a_structured_report(ctx):
    run, engine, _ = start([SEARCH, think("ok") + "# Report\n..."], ctx, mode="report")
    assert run.run().reason == "answered"
    assert "numbered list of references" in engine.requests[0].messages[1]["content"]


def test_round_limit_asks_for_an_answer_and_ends_as_budget(ctx):
    turns = [think(f"round {i}") + call("web_search", query=f"q{i}") for i in range(3)]
    run, engine, events = start([*turns, think("done") + "Best guess: Paris."], ctx, max_rounds=3)
    finished = run.run()
    assert finished.reason == "budget"
    assert finished.answer == "Best guess: Paris."
    assert engine.requests[-1].messages[-1] == {"role": "user", "content": prompts.ANSWER_NOW}
    assert [n.kind for n in of(events, Notice)] == ["round_limit"]


def test_identical_repeated_turns_end_the_loop(ctx):
    loop = think("I will search for the same thing again and again, " * 3) + call(
        "web_search", query="same"
    )
    run, _, events = start([loop, loop, think("ok") + "Paris."], ctx)
    finished = run.run()
    assert finished.reason == "budget"
    assert finished.answer == "Paris."
    assert "repeated_turn" in [n.kind for n in of(events, Notice)]


def test_identical_call_is_answered_from_the_earlier_result(ctx):
    search = StaticSearch()
    again = think("Search again.") + call("web_search", query="capital of France")
    run, _, events = start(
        [SEARCH, again, think("ok") + "Paris."], ctx, tools=[search, StaticVisit()]
    )
    run.run()
    results = of(events, ToolResult)
    assert len(search.calls) == 1
    assert [r.reused for r in results] == [False, True]
    assert results[0].text == results[1].text


def test_same_call_twice_in_one_turn_runs_once(ctx):
    search = StaticSearch()
    twice = think("Two.") + call("web_search", query="x") + "\n" + call("web_search", query="x")
    run, _, events = start([twice, think("ok") + "Paris."], ctx, tools=[search, StaticVisit()])
    run.run()
    results = of(events, ToolResult)
    assert len(search.calls) == 1
    assert len(results) == 2 and results[0].text == results[1].text and results[1].reused
    assert len([m for m in run.messages if m["role"] == "tool"]) == 2


def test_empty_turns_are_retried_twice(ctx):
    run, _, events = start(["", "  \n", SEARCH, think("ok") + "Paris."], ctx)
    assert run.run().reason == "answered"
    assert [n.kind for n in of(events, Notice)] == ["empty_turn", "empty_turn"]
    run, _, _ = start(["", "", ""], ctx)
    finished = run.run()
    assert finished.reason == "error"
    assert "no answer" in finished.error


def test_answer_without_search_is_challenged_once(ctx):
    run, engine, events = start(
        [think("I know this.") + "Paris.", think("Fine.") + "Still Paris."], ctx
    )
    finished = run.run()
    assert finished.reason == "answered"
    assert finished.answer == "Still Paris."
    assert [n.kind for n in of(events, Notice)] == ["challenge"]
    assert engine.requests[1].messages[-1] == {"role": "user", "content": prompts.CHALLENGE}


@pytest.mark.parametrize(
    "block, error",
    [
        ('{"name": "web_search", "arguments": {"query": "x"', "not valid JSON"),
        ('["web_search"]', "must be a JSON object"),
        ('{"arguments": {"query": "x"}}', 'no "name"'),
        ('{"name": "web_browse", "arguments": {"url": "x"}}', 'unknown tool "web_browse"'),
        ('{"name": "web_search", "arguments": {}}', 'missing argument "query"'),
        ('{"name": "web_search", "arguments": {"query": 42}}', "must be a string"),
        ('{"name": "web_visit", "arguments": {"url": "  "}}', "is empty"),
        ('{"name": "web_search", "arguments": "not json"}', "must be a JSON object"),
    ],
)
def test_broken_tool_calls_become_failed_results_and_the_loop_goes_on(ctx, block, error):
    broken = think("Trying.") + f"<tool_call>\n{block}\n</tool_call>"
    run, engine, events = start([broken, SEARCH, think("ok") + "Paris."], ctx)
    finished = run.run()
    assert finished.reason == "answered"
    first = of(events, ToolResult)[0]
    assert not first.ok and first.error_kind == "bad_call"
    assert error in first.error
    assert first.text.startswith("Error: ")
    # the model was told, in the next prompt
    assert engine.requests[1].messages[-1]["role"] == "tool"
    assert error in engine.requests[1].messages[-1]["content"]
    call_event = of(events, ToolCall)[0]
    if not block.startswith("{") or "not valid JSON" in error:
        assert call_event.arguments is None  # nothing could be parsed
    elif "unknown tool" in error or "missing" in error:
        assert isinstance(call_event.arguments, dict)


def test_tool_exceptions_become_failed_results(ctx):
    visit = StaticVisit(fail=RuntimeError("boom"))
    run, _, events = start([VISIT, think("ok") + "Paris."], ctx, tools=[StaticSearch(), visit])
    assert run.run().reason == "answered"
    result = of(events, ToolResult)[0]
    assert not result.ok and result.error_kind == "tool_error" and "boom" in result.error


def test_visits_in_one_turn_run_in_parallel_and_return_in_call_order(ctx):
    visit = StaticVisit(delay=1.5)
    urls = [f"https://example.org/{i}" for i in range(3)]
    turn = think("Read all.") + "\n".join(call("web_visit", url=u) for u in urls)
    run, _, events = start([turn, think("ok") + "Done."], ctx, tools=[StaticSearch(), visit])
    started = time.monotonic()
    run.run()
    assert time.monotonic() - started < 3.5  # three 1.5 s visits: 4.5 s one after another
    assert visit.max_active == 3
    assert [r.data["url"] for r in of(events, ToolResult)] == urls
    assert [m["tool_call_id"] for m in run.messages if m["role"] == "tool"] == [
        "call_1_0",
        "call_1_1",
        "call_1_2",
    ]


def test_cancel_during_generation_keeps_what_streamed(ctx):
    long = think("thinking " * 200) + "partial answer " * 50
    engine = ReplayEngine([long], delay=0.01)
    events = []
    run = ResearchRun(engine, [StaticSearch(), StaticVisit()], ctx, "q", on_event=events.append)
    thread = threading.Thread(target=run.run)
    thread.start()
    time.sleep(0.2)
    run.cancel()
    thread.join(2)
    assert not thread.is_alive()
    assert run.finished.reason == "cancelled"
    assert of(events, Reasoning)  # streamed text is kept in the events


def test_cancel_during_tool_calls_is_prompt(ctx):
    visit = StaticVisit(delay=5)
    run, _, events = start([VISIT], ctx, tools=[StaticSearch(), visit])
    thread = threading.Thread(target=run.run)
    thread.start()
    while not visit.calls:
        time.sleep(0.01)
    started = time.monotonic()
    run.cancel()
    thread.join(3)
    assert time.monotonic() - started < 2.0  # the tool would take 5 s
    assert run.finished.reason == "cancelled"
    assert of(events, ToolCall) and isinstance(events[-1], RunFinished)


def test_running_out_of_replay_turns_is_an_error(ctx):
    run, _, _ = start([SEARCH], ctx)
    finished = run.run()
    assert finished.reason == "error"
    assert "no more turns" in finished.error


def test_context_budget_shortens_old_results_then_asks_for_an_answer(ctx):
    big = "Paris facts. " * 2000  # ~26,000 characters, cut to 10,000 for the model
    visit = StaticVisit(pages={"https://example.org/a": big, "https://example.org/b": big})
    turns = [
        think("a") + call("web_visit", url="https://example.org/a"),
        think("b") + call("web_visit", url="https://example.org/b"),
        think("c") + "Paris.",
    ]
    run, engine, events = start(
        turns, ctx, tools=[StaticSearch(), visit], context_length=6000, max_tokens=512
    )
    finished = run.run()
    kinds = [n.kind for n in of(events, Notice)]
    assert "shortened" in kinds
    assert finished.reason == "answered"
    last_prompt = engine.requests[-1].messages
    first_result = next(m for m in last_prompt if m["role"] == "tool")
    assert first_result["content"].endswith(prompts.SHORTENED_NOTE)
    assert engine.count_prompt_tokens(engine.requests[-1]) + 512 <= 6000


def test_context_too_small_even_after_shortening_ends_as_budget(ctx):
    big = "x " * 6000
    visit = StaticVisit(pages={"https://example.org/a": big})
    turns = [think("a") + call("web_visit", url="https://example.org/a"), "never"]
    run, _, events = start(
        turns, ctx, tools=[StaticSearch(), visit], context_length=600, max_tokens=256
    )
    finished = run.run()
    assert finished.reason == "budget"
    assert "context_full" in [n.kind for n in of(events, Notice)]


def test_incomplete_tool_call_is_a_failed_result(ctx):
    cut = think("x") + '<tool_call>\n{"name": "web_search", "arguments": {"query": "par'
    run, _, events = start([cut, SEARCH, think("ok") + "Paris."], ctx)
    assert run.run().reason == "answered"
    assert "cut off" in of(events, ToolResult)[0].error


def test_history_continues_a_conversation(ctx):
    first, _, _ = start([SEARCH, think("ok") + "Paris."], ctx)
    first.run()
    engine = ReplayEngine([think("ok") + "About 2 million."])
    run = ResearchRun(
        engine,
        [StaticSearch(), StaticVisit()],
        ctx,
        "And its population?",
        RunOptions(challenge_unsearched=False),
        history=first.messages,
        conversation_id="conv-1",
    )
    assert run.run().answer == "About 2 million."
    sent = engine.requests[0]
    assert sent.conversation_id == "conv-1"
    assert sent.messages[: len(first.messages)] == first.messages
    assert sent.messages[-1]["content"] == "And its population?"


# --- edge cases found in review ----------------------------------------------------------


def test_reasoning_without_an_answer_is_never_an_empty_answer(ctx):
    cut = {"text": "<think>\n" + "still thinking " * 50, "finish": "length"}
    run, engine, events = start([SEARCH, cut, think("ok") + "Paris."], ctx)
    finished = run.run()
    assert (finished.reason, finished.answer) == ("answered", "Paris.")
    assert engine.requests[2].messages[-1] == {"role": "user", "content": prompts.CONCLUDE}
    assert "cut_off" in [n.kind for n in of(events, Notice)]

    silent = think("I have thought about it.")  # ended its turn with no answer, no call
    run, _, events = start([SEARCH, silent, silent, think("ok") + "Paris."], ctx)
    finished = run.run()
    assert (finished.reason, finished.answer) == ("answered", "Paris.")
    assert [n.kind for n in of(events, Notice)] == ["empty_turn", "empty_turn"]


def test_empty_turn_retries_are_counted_per_stretch_not_per_run(ctx):
    turns = ["", SEARCH, "", VISIT, "", think("ok") + "Paris."]
    run, _, _ = start(turns, ctx)
    assert run.run().reason == "answered"


def test_a_duplicate_in_one_turn_is_counted_once(ctx):
    twice = call("web_visit", url="https://e.org/x") + call("web_visit", url="https://e.org/x")
    run, _, _ = start([twice, think("ok") + "Done."], ctx)
    finished = run.run()
    assert finished.visits == 1


def test_cancel_returns_even_if_the_engine_never_finishes(ctx, monkeypatch):
    from ii_desktop.agent import run as run_module
    from ii_desktop.engine.handle import GenerationHandle

    class Stuck:
        context_length = None

        def count_prompt_tokens(self, request):
            return None

        def generate(self, request, on_event=None):
            return GenerationHandle(request)  # never emits anything

        def close(self):
            pass

    monkeypatch.setattr(run_module, "CANCEL_GRACE", 0.3)
    research = ResearchRun(Stuck(), [StaticSearch(), StaticVisit()], ctx, "q")
    thread = threading.Thread(target=research.run)
    thread.start()
    time.sleep(0.2)
    research.cancel()
    thread.join(2)
    assert not thread.is_alive() and research.finished.reason == "cancelled"


def test_engine_errors_outside_generation_end_the_run_with_an_error(ctx):
    from ii_desktop.core.errors import TemplateError

    class Broken(ReplayEngine):
        context_length = 1000

        def count_prompt_tokens(self, request):
            raise TemplateError("The chat template cannot list tools.")

    events = []
    research = ResearchRun(
        Broken([SEARCH]), [StaticSearch(), StaticVisit()], ctx, "q", on_event=events.append
    )
    finished = research.run()
    assert finished.reason == "error" and "cannot list tools" in finished.error
    assert isinstance(events[-1], RunFinished)


def test_citations_with_parentheses_and_local_ports(ctx):
    url = "https://en.wikipedia.org/wiki/Seine_(river)"
    visit = think("read") + call("web_visit", url=url)
    answer = think("ok") + f"The Seine ({url}) is long; see also http://localhost:99999/x."
    run, _, _ = start([SEARCH, visit, answer], ctx)
    finished = run.run()
    assert finished.reason == "answered"
    assert {k: finished.citations[0][k] for k in ("url", "n", "verified")} == {
        "url": url,
        "n": 3,
        "verified": True,
    }
    assert finished.citations[1]["verified"] is False


def test_latest_results_are_shortened_when_they_alone_overflow(ctx):
    pages = {f"https://example.org/{i}": "Long page text. " * 1000 for i in range(3)}
    visit = StaticVisit(pages=pages)
    turn = think("read all") + "".join(call("web_visit", url=u) for u in pages)
    run, engine, events = start(
        [turn, think("ok") + "Answer."],
        ctx,
        tools=[StaticSearch(), visit],
        context_length=8000,
        max_tokens=512,
    )
    finished = run.run()
    assert (finished.reason, finished.answer) == ("answered", "Answer.")
    assert "shortened" in [n.kind for n in of(events, Notice)]
    assert engine.count_prompt_tokens(engine.requests[-1]) + 512 <= 8000


def test_cancel_during_a_tool_that_ignores_it_is_still_prompt(ctx):
    class Deaf(StaticVisit):
        def run(self, args, context):
            self.calls.append(args["url"])
            time.sleep(3)
            return super().run(args, context)

    visit = Deaf()
    turn = (
        think("two")
        + call("web_visit", url="https://a.org")
        + call("web_visit", url="https://b.org")
    )
    run, _, _ = start([turn], ctx, tools=[StaticSearch(), visit])
    thread = threading.Thread(target=run.run)
    thread.start()
    while not visit.calls:
        time.sleep(0.01)
    started = time.monotonic()
    run.cancel()
    thread.join(5)
    assert time.monotonic() - started < 2.0  # the tools would take 3 s
    assert run.finished.reason == "cancelled"
    # every call of the interrupted turn is answered, so the conversation can continue
    answers = [m for m in run.messages if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in answers] == ["call_1_0", "call_1_1"]
    assert all("cancelled" in m["content"] for m in answers)

"""The research loop on the real tiny MLX model."""

from __future__ import annotations

import json

import httpx
import pytest

from ii_desktop.agent.events import PromptProgress, RunFinished, Stats, ToolResult
from ii_desktop.agent.run import ResearchRun, RunOptions
from ii_desktop.engine.request import GenerationRequest, Sampling
from ii_desktop.tools.base import WEB_SEARCH_SCHEMA, WEB_VISIT_SCHEMA, ToolContext
from tests.helpers.engine import ScriptedEngine, start_engine
from tests.helpers.tools import StaticSearch, StaticVisit

pytestmark = pytest.mark.mlx


@pytest.fixture
def ctx():
    with httpx.Client() as client:
        yield ToolContext(http=client)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_model_finishes_cleanly_within_its_round_budget(tiny_model_dir, ctx, seed):
    engine = start_engine(tiny_model_dir, context_length=4096)
    try:
        events = []
        run = ResearchRun(
            engine,
            [StaticSearch(), StaticVisit()],
            ctx,
            "What is the capital of France?",
            RunOptions(max_rounds=3, max_tokens=48, sampling=Sampling(seed=seed)),
            on_event=events.append,
        )
        finished = run.run()
        assert finished.reason in ("answered", "budget")
        assert finished.rounds <= 3 + 1  # the rounds, plus one forced final answer
        assert isinstance(events[-1], RunFinished)
        for event in events:
            json.loads(event.to_json())
    finally:
        engine.close()


def test_two_round_prompt_is_token_identical_to_the_template(tiny_model_dir, ctx):
    first = (
        "<think>\nI should look this up.\n</think>\n\n<tool_call>\n"
        '{"name": "web_search", "arguments": {"query": "capital of France"}}\n</tool_call>'
    )
    second = "<think>\nThe results say Paris.\n</think>\n\nParis."
    engine = start_engine(tiny_model_dir)
    try:
        scripted = ScriptedEngine(engine, [first, second])
        events = []
        search = StaticSearch()
        run = ResearchRun(
            scripted,
            [search, StaticVisit()],
            ctx,
            "What is the capital of France?",
            RunOptions(),
            on_event=events.append,
        )
        finished = run.run()
        assert finished.reason == "answered" and finished.answer == "Paris."
        result_text = next(e for e in events if isinstance(e, ToolResult)).text

        equivalent = [
            run.messages[0],
            {"role": "user", "content": "What is the capital of France?"},
            {
                "role": "assistant",
                "content": "",
                "reasoning_content": "I should look this up.",
                "tool_calls": [
                    {
                        "type": "function",
                        "function": {
                            "name": "web_search",
                            "arguments": {"query": "capital of France"},
                        },
                    }
                ],
            },
            {"role": "tool", "content": result_text},
        ]

        def template_tokens(e):
            text = e._tokenizer.apply_chat_template(
                equivalent,
                tools=[WEB_SEARCH_SCHEMA, WEB_VISIT_SCHEMA],
                add_generation_prompt=True,
                tokenize=False,
            )
            return e._tokenizer.encode(text, add_special_tokens=False)

        expected = engine.run_on_thread(template_tokens).result()
        assert scripted.prompts[1] == expected
        # and the tool round reused the whole first turn from the cache
        stats = [e for e in events if isinstance(e, Stats)]
        assert stats[1].reused_tokens == len(scripted.prompts[0]) + stats[0].generated_tokens
        assert stats[1].prefilled_tokens == len(expected) - stats[1].reused_tokens
    finally:
        engine.close()


def test_an_empty_turn_is_retried_from_the_cache_and_the_rewrite_waits_for_the_run_end(
    tiny_model_dir, ctx
):
    search = (
        "<think>\nI should look this up.\n</think>\n\n<tool_call>\n"
        '{"name": "web_search", "arguments": {"query": "capital of France"}}\n</tool_call>'
    )
    answer = "<think>\nThe results say Paris, and they agree.\n</think>\n\nParis."
    engine = start_engine(tiny_model_dir)
    try:
        # after the search the model thinks but says nothing (an empty turn), then answers
        empty = "<think>\nLet me think about the results.\n</think>\n\n"
        scripted = ScriptedEngine(engine, [search, empty, answer])
        events = []
        run = ResearchRun(
            scripted,
            [StaticSearch(), StaticVisit()],
            ctx,
            "What is the capital of France?",
            RunOptions(sampling=Sampling.greedy()),
            on_event=events.append,
        )
        finished = run.run()
        assert finished.reason == "answered" and finished.answer == "Paris."
        stats = [e for e in events if isinstance(e, Stats)]
        assert len(stats) == 3
        # the retry asks for the same prompt: only its last token is run again
        assert stats[2].prompt_tokens == stats[1].prompt_tokens
        assert stats[2].prefilled_tokens == 1
        # the run is over: now the cache is rewritten, and a follow-up prefills its question
        assert engine.wait_idle(60)
        follow = [*run.messages, {"role": "user", "content": "And of Spain?"}]
        history = engine.run_on_thread(
            lambda e: e._history_tokens(
                GenerationRequest("x", run.messages[:-1], tools=run.schemas), answer
            )
        ).result()
        held = engine.conversation_tokens(run.conversation_id)
        assert held == history
        handle = engine.generate(
            GenerationRequest(
                run.conversation_id,
                follow,
                tools=run.schemas,
                sampling=Sampling.greedy(),
                max_tokens=2,
            )
        )
        handle.wait(60)
        assert handle.stats.reused_tokens == len(history)
    finally:
        engine.close()


def test_a_long_prompt_reports_its_progress_and_the_memory_it_took(tiny_model_dir, ctx):
    engine = start_engine(tiny_model_dir, prefill_chunk=64)
    try:
        scripted = ScriptedEngine(engine, ["<think>\nDone.\n</think>\n\nParis."])
        events = []
        question = "What is the capital of France? " + "Some context about the city. " * 60
        run = ResearchRun(
            scripted,
            [StaticSearch(), StaticVisit()],
            ctx,
            question,
            RunOptions(challenge_unsearched=False),
            on_event=events.append,
        )
        assert run.run().reason == "answered"
        progress = [e for e in events if isinstance(e, PromptProgress)]
        assert len(progress) >= 3, "one report per prefill chunk"
        assert [p.done for p in progress] == sorted(p.done for p in progress)
        # the prompt's last token goes through the model with the first decode step
        assert progress[-1].total - 1 <= progress[-1].done <= progress[-1].total
        assert all(p.run_id == run.run_id for p in progress)
        stats = next(e for e in events if isinstance(e, Stats))
        assert stats.peak_memory_bytes > 0
        # progress comes before the answer it precedes
        first_answer = next(i for i, e in enumerate(events) if type(e).__name__ == "Answer")
        assert events.index(progress[-1]) < first_answer
    finally:
        engine.close()

"""A notebook continued after a restart reuses its persisted KV cache (tiny MLX model)."""

from __future__ import annotations

import json

import httpx
import pytest

from ii_desktop.agent.events import Stats
from ii_desktop.agent.run import ResearchRun, RunOptions
from ii_desktop.core.settings import app_paths
from ii_desktop.notebooks import NotebookStore, kv_cache_file, start_recording
from ii_desktop.tools.base import ToolContext
from tests.helpers.engine import ScriptedEngine, start_engine
from tests.helpers.tools import StaticSearch, StaticVisit

pytestmark = pytest.mark.mlx


def call(name: str, **arguments: str) -> str:
    return f"<tool_call>\n{json.dumps({'name': name, 'arguments': arguments})}\n</tool_call>"


FIRST = [
    "<think>\nI should search.\n</think>\n\n" + call("web_search", query="capital of France"),
    "<think>\nThe results say Paris.\n</think>\n\nParis.",
]
FOLLOW_UP = ["<think>\nKnown from before.\n</think>\n\nAbout two million."]


def ask(model_dir, question: str, turns: list[str]) -> tuple[str, list[Stats]]:
    """One ``ask --notebook France`` in a fresh engine, as after a restart of the app."""
    paths = app_paths().ensure()
    recorder = start_recording(paths, question, "normal", "France")
    earlier = recorder.conversation()
    engine = start_engine(model_dir, cache_dir=paths.kv_cache_dir)
    stats: list[Stats] = []

    def sink(event):
        recorder(event)
        if isinstance(event, Stats):
            stats.append(event)

    try:
        with httpx.Client() as http:
            run = ResearchRun(
                ScriptedEngine(engine, turns),
                [StaticSearch(), StaticVisit()],
                ToolContext(http=http),
                question,
                RunOptions(challenge_unsearched=False),
                on_event=sink,
                past_runs=earlier.past_runs,
                system_prompt=earlier.system_prompt,
                conversation_id=earlier.conversation_id,
                run_id=recorder.run_id,
            )
            run.run()
    finally:
        recorder.close(run.history_entry, run.system_prompt)
        # the app stays open a moment after an answer: the history rewrite that follows
        # a run finishes before the cache is saved (a close mid-rewrite is tested with
        # the engine: the rewrite then finishes when the notebook is opened again)
        engine.wait_idle(60)
        engine.close()  # persists the conversation's cache
    assert earlier.conversation_id is not None
    return earlier.conversation_id, stats


def test_a_follow_up_after_a_restart_does_not_prefill_the_conversation_again(tiny_model_dir):
    conversation_id, _ = ask(tiny_model_dir, "What is the capital of France?", FIRST)
    cache = kv_cache_file(app_paths().kv_cache_dir, conversation_id)
    assert cache.is_file()  # the engine saved it under the name the store computes
    again, follow_up = ask(tiny_model_dir, "How many people live there?", FOLLOW_UP)
    assert again == conversation_id
    # the earlier conversation comes from the cache file, rewritten after the first run
    # into its compact form (question, answer): only the new question is prefilled
    assert follow_up[0].reused_tokens > 0
    assert follow_up[0].prefilled_tokens < 64
    assert follow_up[0].reused_tokens >= 0.9 * follow_up[0].prompt_tokens
    with NotebookStore.open(app_paths()) as store:
        store.delete(store.notebooks()[0].id)
    assert not cache.exists()

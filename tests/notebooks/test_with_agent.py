"""A real research loop recording into notebooks, as ``ask --notebook`` will use it."""

from __future__ import annotations

import json

import httpx
import pytest

from ii_desktop.agent.run import ResearchRun
from ii_desktop.core.settings import app_paths
from ii_desktop.engine.replay import ReplayEngine
from ii_desktop.notebooks import NotebookStore, render_markdown, start_recording
from ii_desktop.tools.base import ToolContext
from tests.helpers.tools import StaticSearch, StaticVisit

PARIS = "https://example.org/paris"


def call(name: str, **arguments: str) -> str:
    return f"<tool_call>\n{json.dumps({'name': name, 'arguments': arguments})}\n</tool_call>"


def think(text: str) -> str:
    return f"<think>\n{text}\n</think>\n\n"


TURNS = [
    think("I should search.") + call("web_search", query="capital of France"),
    think("Let me read the page.") + call("web_visit", url=PARIS),
    think("The page says Paris.") + f"The capital of France is Paris ({PARIS}).",
]
FOLLOW_UP = [
    think("Still the same page.") + call("web_visit", url=PARIS),
    think("Done.") + f"About two million people live in Paris ({PARIS}).",
]


@pytest.fixture
def ctx():
    with httpx.Client() as client:
        yield ToolContext(http=client)


def ask(question: str, turns: list[str], ctx: ToolContext, notebook: str | None = None):
    """What the ``ask`` command does with a notebook: record while the run streams."""
    recorder = start_recording(app_paths(), question, "normal", notebook)
    earlier = recorder.conversation()
    engine = ReplayEngine(turns)
    run = ResearchRun(
        engine,
        [StaticSearch(), StaticVisit()],
        ctx,
        question,
        on_event=recorder,
        past_runs=earlier.past_runs,
        system_prompt=earlier.system_prompt,
        conversation_id=earlier.conversation_id,
        run_id=recorder.run_id,
    )
    try:
        finished = run.run()
    finally:
        recorder.close(run.history_entry, run.system_prompt)
    assert recorder.save_problem is None
    return recorder, run, engine, finished


def test_a_run_is_saved_and_a_follow_up_continues_its_conversation(ctx):
    _, run, _, finished = ask("What is the capital of France?", TURNS, ctx, "France")
    with NotebookStore.open(app_paths()) as store:
        (summary,) = store.notebooks()
        (saved,) = store.runs(summary.id)
        assert (saved.id, saved.status, saved.answer) == (run.run_id, "answered", finished.answer)
        assert saved.log.sources[1].kind == "page"
        earlier = store.conversation(summary.id)
        assert earlier.past_runs == [run.history_entry]
        assert earlier.system_prompt == run.messages[0]["content"]
        assert store.page(PARIS) is not None
        assert f"[1]({PARIS})" in render_markdown(store.notebook(summary.id), [saved])

    _, again, engine, _ = ask("How many people live there?", FOLLOW_UP, ctx, "France")
    # the follow-up is the same conversation, under the same KV-cache id; what the model
    # sees of the first run is its question and answer with the page it read, never its
    # reasoning, tool calls or tool results
    request = engine.requests[0]
    assert request.conversation_id == earlier.conversation_id == again.conversation_id
    assert request.messages == [
        {"role": "system", "content": earlier.system_prompt},
        {"role": "user", "content": "What is the capital of France?"},
        {
            "role": "assistant",
            "content": f"{finished.answer}\n\nPages read:\n- Title of {PARIS}: {PARIS}",
        },
        {"role": "user", "content": "How many people live there?"},
    ]
    with NotebookStore.open(app_paths()) as store:
        assert [n.runs for n in store.notebooks()] == [2]
        assert store.conversation(summary.id).past_runs == [
            run.history_entry,
            again.history_entry,
        ]


def test_without_a_title_each_question_gets_its_own_notebook(ctx):
    ask("What is the capital of France?", TURNS, ctx)
    ask("What is the capital of France?", TURNS, ctx)
    with NotebookStore.open(app_paths()) as store:
        titles = [n.title for n in store.notebooks()]
    assert sorted(titles) == [
        "What is the capital of France?",
        "What is the capital of France? (2)",
    ]

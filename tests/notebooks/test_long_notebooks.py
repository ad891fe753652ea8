"""Notebooks lived in for weeks: the hundredth question is answered, old stores migrate."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import httpx
import pytest

from ii_desktop.agent.events import Notice, RunFinished
from ii_desktop.agent.history import DROP_BLOCK, history_budget
from ii_desktop.agent.run import ResearchRun, RunOptions
from ii_desktop.core.settings import app_paths
from ii_desktop.engine.base import estimate_tokens
from ii_desktop.engine.replay import ReplayEngine
from ii_desktop.notebooks import NotebookStore, start_recording
from ii_desktop.notebooks.schema import DB_NAME, SCHEMA_VERSION
from ii_desktop.tools.base import ToolContext
from tests.helpers.research import tool_call
from tests.helpers.tools import StaticSearch, StaticVisit

FIXTURE_V1 = Path(__file__).parent / "fixtures" / "notebooks-v1.sqlite3"
CONTEXT = 32_768
PAGE = "The river's flow was measured at many stations along its course. " * 300  # ~20 KB


def _think(text: str) -> str:
    return f"<think>\n{text}\n</think>\n\n"


def _ask(ctx: ToolContext, i: int) -> tuple[RunFinished, ResearchRun, ReplayEngine]:
    """Question ``i`` in the notebook "Rivers": one long page read, a long answer."""
    url = f"https://example.org/rivers/{i}"
    answer = f"Answer {i}: the flow at station {i} is {i * 7} cubic metres a second [{url}]. "
    turns = [
        _think("Read the station's page.") + tool_call("web_visit", url=url),
        _think("The page has it.") + answer * 12,
    ]
    recorder = start_recording(app_paths(), f"What is the flow at station {i}?", "normal", "Rivers")
    earlier = recorder.conversation()
    engine = ReplayEngine(turns, context_length=CONTEXT)
    run = ResearchRun(
        engine,
        [StaticSearch(), StaticVisit({url: PAGE})],
        ctx,
        f"What is the flow at station {i}?",
        RunOptions(challenge_unsearched=False),
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
    return finished, run, engine


def test_a_hundred_questions_in_one_notebook_are_all_answered_within_the_context():
    notices: list[Notice] = []
    with httpx.Client() as http:
        ctx = ToolContext(http=http)
        for i in range(100):
            finished, run, engine = _ask(ctx, i)
            assert finished.reason == "answered", (i, finished.error)
            assert finished.answer.startswith(f"Answer {i}:")
            # the prompt of each generation fits, with room for the run's own research
            for request in engine.requests:
                assert estimate_tokens(request) < CONTEXT
            history = run.messages[: 1 + 2 * (len(run.past_runs or ()) - run.left_out)]
            assert sum(len(m["content"]) for m in history) // 4 <= history_budget(CONTEXT)
            notices += [n for n in run_notices(run) if n.kind == "history_trimmed"]
    # the oldest runs were left out, a block at a time, and the runs said so
    assert notices
    assert run.left_out > 0 and run.left_out % DROP_BLOCK == 0
    assert f"The {run.left_out} oldest questions" in notices[-1].message
    last_left = f"station {run.left_out - 1}?”"
    assert "(“What is the flow at station 0?” to “What is the flow at " + last_left in (
        notices[-1].message
    )
    # earlier runs are in the prompt as question and answer only: no page text
    assert all(PAGE[:200] not in m["content"] for m in run.messages if m["role"] != "tool")
    with NotebookStore.open(app_paths()) as store:
        (notebook,) = store.notebooks()
        assert notebook.runs == 100
        assert len(store.conversation(notebook.id).past_runs) == 100


def run_notices(run: ResearchRun) -> list[Notice]:
    with NotebookStore.open(app_paths()) as store:
        return [e for _, e in store.events(run.run_id) if isinstance(e, Notice)]


def test_a_store_written_by_schema_1_is_migrated_and_keeps_every_run(data_dir):
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURE_V1, data_dir / DB_NAME)
    before = sqlite3.connect(data_dir / DB_NAME)
    old_runs = before.execute(
        "SELECT id, question, status, answer FROM runs ORDER BY seq"
    ).fetchall()
    old_events = before.execute("SELECT count(*) FROM events").fetchone()[0]
    assert before.execute("PRAGMA user_version").fetchone()[0] == 1
    assert before.execute("SELECT count(*) FROM runs WHERE messages IS NOT NULL").fetchone()[0]
    before.close()
    with NotebookStore.open(app_paths()) as store:
        (notebook,) = store.notebooks()
        runs = store.runs(notebook.id)
        assert [(r.id, r.question, r.status, r.answer) for r in runs] == old_runs
        conversation = store.conversation(notebook.id)
        answered = [r for r in runs if r.status in ("answered", "budget") and r.answer]
        assert [p.question for p in conversation.past_runs] == [r.question for r in answered]
        assert conversation.past_runs[0].answer.startswith(answered[0].answer)
        assert "Pages read:\n- The Seine: http://127.0.0.1" in conversation.past_runs[0].answer
        assert conversation.system_prompt and "research" in conversation.system_prompt.lower()
        conn = store._conn
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert (
            conn.execute("SELECT count(*) FROM runs WHERE messages IS NOT NULL").fetchone()[0] == 0
        )
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == old_events
        # a page's text is kept once, in pages: no longer again in its visit's event
        assert not conn.execute(
            "SELECT count(*) FROM events WHERE payload LIKE '%\"full_text\"%'"
        ).fetchone()[0]
        assert store.page(conversation.past_runs[0].answer.split(": ")[-1]) is not None
        assert conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 2  # incremental from now on
        assert store.search("Langres")  # the full-text index came through
    # the migrated notebook continues: a follow-up sees the earlier runs
    with httpx.Client() as http:
        recorder = start_recording(app_paths(), "How wide is it?", notebook_title=notebook.title)
        earlier = recorder.conversation()
        engine = ReplayEngine([_think("Known.") + "About 200 m in Paris."])
        run = ResearchRun(
            engine,
            [StaticSearch(), StaticVisit()],
            ToolContext(http=http),
            "How wide is it?",
            RunOptions(challenge_unsearched=False),
            on_event=recorder,
            past_runs=earlier.past_runs,
            system_prompt=earlier.system_prompt,
            conversation_id=earlier.conversation_id,
            run_id=recorder.run_id,
        )
        assert run.run().reason == "answered"
        recorder.close(run.history_entry, run.system_prompt)
    asked = engine.requests[0].messages
    assert asked[0]["content"] == conversation.system_prompt
    assert asked[1]["content"] == old_runs[0][1] and asked[-1]["content"] == "How wide is it?"


@pytest.mark.parametrize("runs", [1000])
def test_a_long_notebook_exports_and_imports_back_and_deletes_one_run_alone(runs):
    from ii_desktop.notebooks import export_json, import_document
    from tests.notebooks.runs import eiffel_run, record

    with NotebookStore.open(app_paths().ensure()) as store:
        notebook = store.create("Long")
        for i in range(runs):
            record(store, notebook.id, eiffel_run(f"run-{i}"), joins=True)
        text = export_json(store, notebook.id)
        per_run = len(text) / runs
        # linear: a notebook twice as long exports to twice the size
        half = store.create("Half")
        for i in range(runs // 2):
            record(store, half.id, eiffel_run(f"half-{i}"), joins=True)
        assert abs(len(export_json(store, half.id)) / (runs // 2) - per_run) < 0.05 * per_run
        import json

        copy = import_document(store, json.loads(text))
        assert len(store.runs(copy.id)) == runs
        assert len(store.conversation(copy.id).past_runs) == runs
        # delete-run changes that run alone
        before = store._conn.execute("SELECT total_changes()").fetchone()[0]
        store.delete_run("run-500")
        changed = store._conn.execute("SELECT total_changes()").fetchone()[0] - before
        assert changed < 50, "only the run's own rows (events, its page links) are touched"
        assert len(store.runs(notebook.id)) == runs - 1

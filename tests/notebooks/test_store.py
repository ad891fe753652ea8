"""The notebook store on real SQLite files: schema, runs, conversations, edits, recovery."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import time

import pytest

from ii_desktop.agent.events import Reasoning, RunFinished, ToolResult
from ii_desktop.core.errors import UsageError
from ii_desktop.core.settings import app_paths
from ii_desktop.notebooks import (
    NotebookError,
    NotebookNotFound,
    NotebookStore,
    SavedPages,
    kv_cache_file,
)
from ii_desktop.notebooks.records import Conversation
from ii_desktop.notebooks.schema import DB_NAME, SCHEMA_VERSION
from tests.notebooks.runs import (
    ANSWER,
    PAGE_TEXT,
    QUESTION,
    WIKI,
    budget_run,
    eiffel_run,
    past_run,
    record,
)


def raw(path):
    return sqlite3.connect(path)


def test_database_is_wal_with_foreign_keys_and_current_schema(store, data_dir):
    conn = store._conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert (data_dir / DB_NAME).is_file()
    # opening again migrates nothing and keeps the data
    store.create("kept")
    with NotebookStore.open(app_paths()) as again:
        assert [n.title for n in again.notebooks()] == ["kept"]


def test_a_newer_schema_is_refused_with_a_clear_message(data_dir):
    data_dir.mkdir()
    conn = raw(data_dir / DB_NAME)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(NotebookError, match="newer ii-desktop"):
        NotebookStore.open(app_paths())


def test_a_recorded_run_keeps_question_answer_sources_and_every_event(store):
    notebook = store.create("Landmarks")
    events = eiffel_run()
    record(store, notebook.id, events, True)
    (run,) = store.runs(notebook.id)
    assert (run.question, run.status, run.answer) == (QUESTION, "answered", ANSWER)
    assert run.finished is not None and run.finished >= run.started
    assert [(s.n, s.kind) for s in run.log.source_list()] == [
        (1, "page"),
        (2, "search_result"),
        (3, "search_result"),
    ]
    assert run.to_dict()["sources"][0] == {"n": 1, "url": WIKI, "title": "Eiffel Tower - Wikipedia"}
    stored = [e for _, e in store.events(run.id)]
    # deltas may be joined, never dropped: the same text and every other event, in order
    assert "".join(e.text for e in stored if isinstance(e, Reasoning)) == "".join(
        e.text for e in events if isinstance(e, Reasoning)
    )
    assert len(stored) < len(events)
    assert [e for e in stored if not hasattr(e, "text") or isinstance(e, ToolResult)] == [
        without_page_text(e) for e in events if not hasattr(e, "text") or isinstance(e, ToolResult)
    ]
    # a visit's page text is kept once, in the saved page, not again in its event
    visit = next(e for e in events if isinstance(e, ToolResult) and e.name == "web_visit")
    assert store.page(WIKI).full_text == visit.data["full_text"]
    assert isinstance(stored[-1], RunFinished)
    tools = list(run.log.tools.values())
    assert [t.summary() for t in tools] == [
        "3 results from ddgs",
        "read “Eiffel Tower - Wikipedia”",
    ]


def without_page_text(event):
    if isinstance(event, ToolResult) and event.name == "web_visit" and event.ok:
        kept = {k: v for k, v in event.data.items() if k not in ("markdown", "full_text")}
        return dataclasses.replace(event, data=kept)
    return event


def test_the_visited_page_is_kept_for_the_page_cache(store):
    notebook = store.create("Landmarks")
    before = time.time()
    record(store, notebook.id, eiffel_run())
    page = store.page(WIKI)
    assert page is not None
    assert (page.title, page.full_text, page.content_type) == (
        "Eiffel Tower - Wikipedia",
        PAGE_TEXT,
        "text/html",
    )
    assert page.markdown.startswith("# Eiffel Tower")
    assert before <= page.fetched <= time.time()
    data = SavedPages(store).get(WIKI)
    assert data is not None and data["full_text"] == PAGE_TEXT and data["final_url"] == WIKI
    assert SavedPages(store).get(WIKI, max_age=-1) is None
    assert store.page("https://example.org/never") is None


def test_continuing_a_notebook_resumes_its_conversation(store):
    first = store.open_or_create("Paris")
    assert store.conversation(first.id) == Conversation(first.conversation_id, None, [])
    record(store, first.id, eiffel_run("run-a"), joins=True, system_prompt="Be exact.")
    again = store.open_or_create("  paris ")  # the same notebook, any case and spacing
    assert again.id == first.id
    assert again.conversation() == Conversation(
        first.conversation_id, "Be exact.", [past_run(eiffel_run("run-a"))]
    )
    later = eiffel_run("run-b", "And its weight?")
    record(store, again.id, later, joins=True, system_prompt="A later prompt.")
    earlier = again.conversation()
    # the conversation keeps the system prompt it began with (its KV cache starts there)
    assert earlier.system_prompt == "Be exact."
    assert earlier.past_runs == [past_run(eiffel_run("run-a")), past_run(later)]
    assert [r.id for r in again.runs()] == ["run-a", "run-b"]
    assert [n.runs for n in store.notebooks()] == [2]


def test_the_compact_form_holds_the_answer_and_pages_read_never_tool_traffic(store):
    notebook = store.create("Paris")
    record(store, notebook.id, eiffel_run("run-a"), joins=True)
    (past,) = notebook.conversation().past_runs
    assert past.question == QUESTION and past.answer.startswith(ANSWER)
    assert f"Pages read:\n- Eiffel Tower - Wikipedia: {WIKI}" in past.answer
    assert "<think>" not in past.answer and "Index: 0" not in past.answer


def test_a_run_without_an_answer_does_not_join_the_conversation(store):
    notebook = store.create("Paris")
    record(store, notebook.id, eiffel_run("run-a"), joins=True)
    record(store, notebook.id, budget_run("run-b"), None)
    assert [p.question for p in notebook.conversation().past_runs] == [QUESTION]


def test_rename_and_tag(store):
    notebook = store.create("Old")
    assert store.rename(notebook.id, "  New   title ").title == "New title"
    assert store.tag(notebook.id, ["travel", "paris", "travel"]).tags == ("paris", "travel")
    assert store.tag(notebook.id, ["travel"], remove=True).tags == ("paris",)
    assert store.notebooks()[0].tags == ("paris",)
    with pytest.raises(UsageError):
        store.rename(notebook.id, "   ")


def test_ids_can_be_shortened_and_unknown_ids_are_explained(store):
    notebook = store.create("Paris")
    assert store.notebook(notebook.id[:5]).id == notebook.id
    with pytest.raises(NotebookNotFound, match="notebook list"):
        store.notebook("zzzz")
    with pytest.raises(NotebookNotFound):
        store.notebook("")


def test_deleting_a_notebook_removes_its_runs_pages_and_kv_cache(store, data_dir):
    keep = store.create("Keep")
    gone = store.create("Gone")
    record(store, gone.id, eiffel_run("run-gone"), True)
    record(store, keep.id, budget_run("run-keep"))
    cache_dir = app_paths().kv_cache_dir
    cache_dir.mkdir()
    cache = kv_cache_file(cache_dir, gone.conversation_id)
    other = kv_cache_file(cache_dir, keep.conversation_id)
    cache.write_bytes(b"kv")
    other.write_bytes(b"kv")
    store.delete(gone.id)
    assert not cache.exists()
    assert other.exists()
    assert [n.id for n in store.notebooks()] == [keep.id]
    assert store.page(WIKI) is None  # read only by the deleted notebook
    assert store.search("wrought iron lattice") == []
    conn = raw(data_dir / DB_NAME)
    try:
        assert conn.execute("SELECT count(*) FROM events WHERE run_id = 'run-gone'").fetchone() == (
            0,
        )
    finally:
        conn.close()
    with pytest.raises(NotebookNotFound):
        store.notebook(gone.id)


def test_kv_cache_file_name_matches_the_engine():
    from pathlib import Path

    assert kv_cache_file(Path("/c"), "abc").name == "ba7816bf8f01cfea414140de5dae2223.safetensors"


def test_deleting_a_run_takes_it_out_of_the_conversation(store):
    notebook = store.create("Paris")
    record(store, notebook.id, eiffel_run("run-1"), joins=True)
    record(store, notebook.id, eiffel_run("run-2", "Who built it?"), joins=True)
    record(store, notebook.id, eiffel_run("run-3", "When?"), joins=True)
    old_conversation = notebook.conversation_id
    store.delete_run("run-2")
    earlier = notebook.conversation()
    assert earlier.conversation_id != old_conversation  # the old KV cache held its text
    assert [p.question for p in earlier.past_runs] == [QUESTION, "When?"]
    assert [r.id for r in notebook.runs()] == ["run-1", "run-3"]


def test_nothing_secret_is_stored(store, data_dir):
    notebook = store.create("Secrets")
    events = eiffel_run()
    leaky = ToolResult(
        events[0].run_id,
        "call_9_0",
        "web_search",
        False,
        "Search failed.",
        error="brave refused",
        data={
            "query": "q",
            "headers": {"X-Subscription-Token": "sk-live-123456789"},
            "Authorization": "Bearer sk-live-123456789",
            "request_url": "https://api.example.com/search?q=x&api_key=sk-live-123456789",
            # only structured places are scrubbed (prose is never rewritten): URLs and
            # entries named like headers or secrets, at any depth
            "request": {
                "url": "https://user:sk-live-123456789@api.example.com/v1",
                "Proxy-Authorization": "Basic sk-live-123456789",
            },
        },
    )
    record(store, notebook.id, [*events[:-1], leaky, events[-1]], True)
    store.close()
    blob = b"".join(p.read_bytes() for p in data_dir.iterdir() if p.is_file())
    assert b"sk-live-123456789" not in blob
    with NotebookStore.open(app_paths()) as again:
        kept = [e for _, e in again.events(events[0].run_id) if isinstance(e, ToolResult)][-1]
        assert kept.data["request_url"].endswith("api_key=%5Bredacted%5D")
        assert kept.data["request"] == {"url": "https://api.example.com/v1"}


def test_runs_left_running_by_a_dead_process_become_interrupted(data_dir):
    with NotebookStore.open(app_paths().ensure()) as store:
        notebook = store.create("Paris")
        events = eiffel_run()
        cut = next(i for i, e in enumerate(events) if type(e).__name__ == "Answer") + 3
        from ii_desktop.notebooks import RunRecorder

        recorder = RunRecorder(store, notebook.id, QUESTION, run_id="run-cut")
        for event in events[:cut]:
            recorder(event)
        assert recorder.flush()
        recorder._closed = True  # the process dies: no close(), no RunFinished
        recorder._thread.join()
    conn = raw(data_dir / DB_NAME)
    conn.execute("UPDATE runs SET owner_pid = 2147483000")  # a pid that does not exist
    conn.commit()
    conn.close()
    with NotebookStore.open(app_paths()) as store:
        assert store.interrupted_runs == 1
        run = store.run("run-cut")
        assert run.status == "interrupted"
        assert run.answer and ANSWER.startswith(run.answer)
        assert "Wikipedia looks reliable" in run.log.reasoning
        assert run.log.tools["call_2_0"].ok is True
        assert store.page(WIKI) is not None


def test_a_live_run_of_another_process_is_left_running(store):
    notebook = store.create("Paris")
    from ii_desktop.notebooks import RunRecorder

    recorder = RunRecorder(store, notebook.id, QUESTION)
    try:
        with NotebookStore.open(app_paths()) as other:  # e.g. the CLI beside the GUI
            assert other.interrupted_runs == 0
            assert other.run(recorder.run_id).status == "running"
    finally:
        recorder.close()
    assert store.run(recorder.run_id).status == "interrupted"  # closed without an end


def test_a_corrupt_database_is_kept_aside_and_a_fresh_one_started(data_dir):
    data_dir.mkdir()
    path = data_dir / DB_NAME
    garbage = b"this is not a database, " * 400
    path.write_bytes(garbage)
    with NotebookStore.open(app_paths()) as store:
        assert store.damaged_copy is not None
        assert store.damaged_copy.read_bytes() == garbage
        assert str(store.damaged_copy) in (store.notice or "")
        assert store.notebooks() == []
        store.create("fresh")
    first_copy = store.damaged_copy
    path.write_bytes(garbage + b"again")
    os.utime(path)
    with NotebookStore.open(app_paths()) as store:
        assert store.damaged_copy not in (None, first_copy)  # never overwritten
        assert first_copy.read_bytes() == garbage
    with NotebookStore.open(app_paths()) as store:
        assert store.damaged_copy is None and store.notice is None


def test_a_database_damaged_inside_is_detected(data_dir):
    with NotebookStore.open(app_paths().ensure()) as store:
        notebook = store.create("Paris")
        for i in range(3):
            record(store, notebook.id, eiffel_run(f"run-{i}"), True)
        store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    path = data_dir / DB_NAME
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(2 * page, len(data) - page, page):  # smash every page but the first
        data[offset + 8 : offset + 200] = b"\xff" * 192
    path.write_bytes(bytes(data))
    with NotebookStore.open(app_paths()) as store:
        assert store.damaged_copy is not None
        assert store.notebooks() == []

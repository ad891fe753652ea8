"""The recorder: writes while the run streams, and keeps the run going when the disk fails."""

from __future__ import annotations

import os
import threading
import time

import pytest

from ii_desktop.agent.events import Answer, Reasoning, RunFinished, RunStarted
from ii_desktop.core.settings import app_paths
from ii_desktop.notebooks import NotebookStore, RunRecorder, start_recording
from ii_desktop.notebooks.recorder import FLUSH_SECONDS, title_from_question
from ii_desktop.notebooks.records import Conversation
from tests.notebooks.runs import ANSWER, QUESTION, SYSTEM, eiffel_run, past_run, record


def wait_for(condition, timeout=3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def saved_reasoning(run_id: str) -> str:
    with NotebookStore.open(app_paths()) as other:  # what another process would see
        return other.run(run_id).log.reasoning


def test_events_reach_the_disk_within_a_quarter_second_without_closing(store):
    notebook = store.create("Paris")
    recorder = RunRecorder(store, notebook.id, QUESTION)
    try:
        recorder(RunStarted(recorder.run_id, QUESTION, "normal"))
        recorder(Reasoning(recorder.run_id, "first thought"))
        sent = time.monotonic()
        assert wait_for(lambda: saved_reasoning(recorder.run_id) == "first thought")
        assert time.monotonic() - sent < FLUSH_SECONDS + 1.0
        # the run row exists from the start and says running
        assert store.run(recorder.run_id).status == "running"
    finally:
        recorder.close()


def test_run_finished_is_written_at_once(store):
    notebook = store.create("Paris")
    recorder = RunRecorder(store, notebook.id, QUESTION, run_id="run-x")
    try:
        for event in eiffel_run("run-x"):
            recorder(event)
        assert wait_for(lambda: store.run("run-x").status == "answered", timeout=FLUSH_SECONDS)
    finally:
        recorder.close(past_run(eiffel_run("run-x")), SYSTEM)
    assert store.run("run-x").answer == ANSWER
    earlier = store.conversation(notebook.id)
    assert earlier.system_prompt == SYSTEM
    assert earlier.past_runs == [past_run(eiffel_run("run-x"))]


def test_a_full_disk_keeps_the_run_in_memory_and_says_so(store):
    notebook = store.create("Paris")
    events = eiffel_run("run-full")
    recorder = RunRecorder(store, notebook.id, QUESTION, run_id="run-full")
    conn = store._conn
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLite now answers SQLITE_FULL
    try:
        for event in events:
            recorder(event)
        assert not recorder.flush()
        assert "disk is full" in (recorder.save_problem or "")
        assert "continues in memory" in (recorder.save_problem or "")
        assert recorder.unsaved_events > 0
        assert recorder.log.answer == ANSWER  # the run itself goes on
    finally:
        conn.execute("PRAGMA max_page_count = 1073741823")
    recorder.close(past_run(events), SYSTEM)  # space again: everything is written
    assert recorder.save_problem is None and recorder.unsaved_events == 0
    run = store.run("run-full")
    assert (run.status, run.answer) == ("answered", ANSWER)
    assert run.log.events == len([e for _, e in store.events("run-full")])


def test_a_read_only_database_keeps_the_run_in_memory_and_says_so(store):
    notebook = store.create("Paris")
    store._conn.execute("PRAGMA query_only = ON")  # every write now fails as read-only
    try:
        recorder = RunRecorder(store, notebook.id, QUESTION, run_id="run-ro")
        for event in eiffel_run("run-ro"):
            recorder(event)
        recorder.close(past_run(eiffel_run("run-ro")), SYSTEM)
        assert "read-only" in (recorder.save_problem or "")
        kept = recorder.unsaved()
        assert isinstance(kept[0], RunStarted) and isinstance(kept[-1], RunFinished)
        assert "".join(e.text for e in kept if isinstance(e, Answer)) == ANSWER  # none lost
        assert recorder.log.status == "answered"
    finally:
        store._conn.execute("PRAGMA query_only = OFF")
    assert store.runs(notebook.id) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_a_read_only_data_folder(data_dir):
    with NotebookStore.open(app_paths().ensure()) as store:
        notebook = store.create("Paris")
    os.chmod(data_dir, 0o555)
    for p in data_dir.iterdir():
        os.chmod(p, 0o444)
    try:
        recorder = start_recording(app_paths(), QUESTION, notebook_title=notebook.title)
        for event in eiffel_run(recorder.run_id):
            recorder(event)
        recorder.close()
        assert recorder.save_problem
    finally:
        os.chmod(data_dir, 0o755)
        for p in data_dir.iterdir():
            os.chmod(p, 0o644)


def test_an_unopenable_store_still_records_in_memory(data_dir):
    data_dir.parent.mkdir(exist_ok=True)
    data_dir.write_text("a file where the data folder should be")
    recorder = start_recording(app_paths(), QUESTION)
    assert recorder.conversation() == Conversation(None, None, [])
    for event in eiffel_run(recorder.run_id):
        recorder(event)
    recorder.close(past_run(eiffel_run(recorder.run_id)), SYSTEM)
    assert "Cannot create the folder" in (recorder.save_problem or "")
    assert recorder.log.answer == ANSWER


def test_a_run_that_never_finishes_is_saved_as_interrupted(store):
    notebook = store.create("Paris")
    recorder = RunRecorder(store, notebook.id, QUESTION, run_id="run-crash")
    for event in eiffel_run("run-crash")[:-3]:
        recorder(event)
    recorder.close()
    run = store.run("run-crash")
    assert run.status == "interrupted"
    assert run.answer and ANSWER.startswith(run.answer)


def test_events_from_many_threads_are_all_saved(store):
    notebook = store.create("Paris")
    recorder = RunRecorder(store, notebook.id, QUESTION, run_id="run-threads")
    recorder(RunStarted("run-threads", QUESTION, "normal"))

    def emit(worker: int) -> None:
        for i in range(200):
            recorder(Reasoning("run-threads", f"<{worker}:{i}>"))
            if i % 50 == 0:
                time.sleep(0.01)

    threads = [threading.Thread(target=emit, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    recorder(Answer("run-threads", "done"))
    recorder(RunFinished("run-threads", "answered", "done"))
    recorder.close()
    reasoning = store.run("run-threads").log.reasoning
    for w in range(4):
        pieces = [p for p in reasoning.split(">") if p.startswith(f"<{w}:")]
        assert pieces == [f"<{w}:{i}" for i in range(200)]  # all there, each thread in order


def test_start_recording_makes_or_continues_notebooks(data_dir):
    first = start_recording(app_paths(), "  How tall is the Eiffel Tower?\nDetails please ")
    for event in eiffel_run(first.run_id):
        first(event)
    first.close(past_run(eiffel_run(first.run_id)), SYSTEM)
    named = start_recording(app_paths(), "Who built it?", notebook_title="Paris trip")
    assert named.conversation().past_runs == []
    named.close()
    again = start_recording(app_paths(), "When?", notebook_title="Paris trip")
    again.close()
    with NotebookStore.open(app_paths()) as store:
        titles = sorted((n.title, n.runs) for n in store.notebooks())
        assert titles == [("How tall is the Eiffel Tower?", 1), ("Paris trip", 2)]


def test_titles_from_questions():
    assert title_from_question("What is X?") == "What is X?"
    long = "Why " + "very " * 40 + "long?"
    title = title_from_question(long)
    assert len(title) <= 81 and title.endswith("…") and title.startswith("Why very")
    assert title_from_question("   ") == "Untitled research"


def test_recording_continues_the_conversation_it_was_given(store):
    notebook = store.create("Paris")
    record(store, notebook.id, eiffel_run("run-1"), joins=True)
    recorder = notebook.record("Who built it?")
    assert recorder.conversation() == notebook.conversation()
    assert [r.question for r in recorder.conversation().past_runs] == [QUESTION]
    recorder.close()

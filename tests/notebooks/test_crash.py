"""Real processes: killed with SIGKILL mid-stream, and two writing the same store at once."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ii_desktop.core.settings import app_paths
from ii_desktop.notebooks import NotebookStore
from ii_desktop.notebooks.recorder import FLUSH_SECONDS
from ii_desktop.notebooks.schema import DB_NAME
from tests.notebooks.record_stream import ANSWER_FROM
from tests.notebooks.runs import WIKI

REPO = Path(__file__).resolve().parents[2]
# scheduling slack on a busy machine, on top of the quarter second the design allows
SLACK = 0.75

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")


def start(data_dir: Path, title: str, run_id: str, count: int, delay: float = 0.001):
    return subprocess.Popen(
        [sys.executable, "-m", "tests.notebooks.record_stream", str(data_dir), title, run_id,
         str(count), str(delay)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def integrity(data_dir: Path) -> str:
    conn = sqlite3.connect(data_dir / DB_NAME)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def test_a_killed_run_keeps_all_but_the_last_quarter_second(data_dir):
    proc = start(data_dir, "Crash", "run-killed", 100_000, delay=0.003)
    sent: dict[int, float] = {}
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            i, at = line.split()
            sent[int(i)] = float(at)
            # kill in the answer phase, after long enough to tell what a flush keeps
            if int(i) >= ANSWER_FROM + 50 and sent[int(i)] - sent[0] >= 2.0:
                break
        killed_at = time.time()
        os.kill(proc.pid, signal.SIGKILL)
        rest, errors = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    for line in rest.splitlines():
        i, at = line.split()
        sent[int(i)] = float(at)
    assert proc.returncode == -signal.SIGKILL, errors

    assert integrity(data_dir) == "ok"
    with NotebookStore.open(app_paths()) as store:
        assert store.interrupted_runs == 1
        run = store.run("run-killed")
        assert run.status == "interrupted"
        saved_reasoning = run.log.reasoning
        saved_answer = run.answer
        assert store.page(WIKI) is not None
        assert run.log.tools["call_2_0"].ok is True

    # what was saved is exactly the stream's beginning, never a gap or a duplicate
    assert saved_reasoning.replace("\n\n", "") == "".join(f"r{i};" for i in range(ANSWER_FROM))
    words = saved_answer.split()
    assert words == [f"a{i}" for i in range(ANSWER_FROM, ANSWER_FROM + len(words))]
    last_saved = ANSWER_FROM + len(words) - 1
    # everything sent more than a quarter second (plus slack) before the kill survived
    must_have = [i for i, at in sent.items() if at < killed_at - FLUSH_SECONDS - SLACK]
    assert must_have and max(must_have) <= last_saved, (max(sent), last_saved)


def test_two_processes_record_into_one_store_at_once(data_dir):
    app_paths().ensure()
    procs = [start(data_dir, "Shared", f"run-p{n}", 1200, 0.001) for n in range(2)]
    try:
        # a third party reads while both write, as the GUI would
        with NotebookStore.open(app_paths()) as reader:
            while any(p.poll() is None for p in procs):
                reader.notebooks()
                reader.search("eiffel")
                time.sleep(0.01)
        outputs = [p.communicate(timeout=60) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.communicate()
    for p, (out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
        assert out.splitlines()[-1].strip() == "closed", out[-300:]
    assert integrity(data_dir) == "ok"
    with NotebookStore.open(app_paths()) as store:
        (notebook,) = store.notebooks()  # both found or made the same notebook
        assert (notebook.title, notebook.runs) == ("Shared", 2)
        for n in range(2):
            run = store.run(f"run-p{n}")
            assert run.status == "answered"
            assert run.log.reasoning.replace("\n\n", "") == "".join(
                f"r{i};" for i in range(ANSWER_FROM)
            )
            assert run.answer.split() == [f"a{i}" for i in range(ANSWER_FROM, 1200)]

"""``ii-desktop bench notebooks``: how the notebooks hold up as a store grows.

For each size N, a store of N realistic runs is built (reasoning, a search, a 20 KB
page read, an answer; fifty runs to a notebook) through the store's own write path,
and each command is timed as a user runs it: a fresh ``ii-desktop`` process, start-up
included. The baseline, measured in the same run, is the start-up alone
(``ii-desktop --version``). The follow-up's prompt build is the store read and the
compact history a new question in a 50-run notebook starts with.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ii_desktop.agent.events import (
    Answer,
    Reasoning,
    RunFinished,
    RunStarted,
    Source,
    ToolCall,
    ToolResult,
)
from ii_desktop.agent.history import compact_answer
from ii_desktop.core.events import Event
from ii_desktop.core.settings import AppPaths
from ii_desktop.notebooks.recorder import _pages, _stored
from ii_desktop.notebooks.records import NewRun, RunBatch
from ii_desktop.notebooks.schema import DB_NAME
from ii_desktop.notebooks.store import NotebookStore

DEFAULT_SIZES = (1_000, 10_000)
RUNS_PER_NOTEBOOK = 50
PAGE_BYTES = 20_000
REPEATS = 3  # each command's time is the best of these (the machine's noise is one-sided)
TARGET_S = 0.3
COMMON_WORD = "river"
WORDS = (
    "river basin flow station measured course bridge valley delta tributary source "
    "plateau channel estuary discharge flood season sediment current bank"
).split()


def _page_text(rng: random.Random, i: int) -> str:
    words: list[str] = []
    size = 0
    while size < PAGE_BYTES:
        word = rng.choice(WORDS)
        words.append(word)
        size += len(word) + 1
    words[len(words) // 2] = f"zyxq{i}"  # one word no other page has
    return " ".join(words)


def _events(run_id: str, i: int, rng: random.Random) -> list[Event]:
    url = f"https://example.org/rivers/{i}"
    text = _page_text(rng, i)
    answer = f"Station {i} measures {i % 900 + 100} cubic metres a second [{url}]. " * 6
    results = [{"url": url, "title": f"Station {i}", "snippet": "flow measured"}]
    return [
        RunStarted(run_id, f"What is the flow at station {i}?", "normal"),
        Reasoning(run_id, "I should search for the station first. " * 12),
        ToolCall(run_id, "c1", "web_search", {"query": f"station {i} flow"}),
        ToolResult(run_id, "c1", "web_search", True, "Index: 0\n...", data={"results": results}),
        Source(run_id, 1, url, f"Station {i}", "search_result"),
        ToolCall(run_id, "c2", "web_visit", {"url": url}),
        ToolResult(
            run_id,
            "c2",
            "web_visit",
            True,
            text[:8000],
            data={
                "url": url,
                "final_url": url,
                "title": f"Station {i}",
                "full_text": text,
                "markdown": text,
                "content_type": "text/html",
            },
        ),
        Source(run_id, 1, url, f"Station {i}", "page"),
        Answer(run_id, answer),
        RunFinished(run_id, "answered", answer.strip(), rounds=3, searches=1, visits=1),
    ]


def build_store(paths: AppPaths, runs: int, seed: int = 7) -> list[str]:
    """``runs`` runs in notebooks of ``RUNS_PER_NOTEBOOK``; returns the notebook ids."""
    rng = random.Random(seed)
    notebooks: list[str] = []
    with NotebookStore.open(paths) as store:
        for i in range(runs):
            if i % RUNS_PER_NOTEBOOK == 0:
                notebooks.append(store.create(f"Rivers {len(notebooks) + 1}").id)
            run_id = f"run-{i:06d}"
            events = _events(run_id, i, rng)
            at = time.time()
            timed = [(at, e) for e in events]
            finished = events[-1]
            assert isinstance(finished, RunFinished)
            url = f"https://example.org/rivers/{i}"
            store.save_run(
                RunBatch(
                    run_id,
                    events=[(t, e.type, _stored(e)) for t, e in timed],
                    pages=_pages(timed),
                    new_run=NewRun(
                        notebooks[-1], f"What is the flow at station {i}?", "normal", at
                    ),
                    status="answered",
                    answer=finished.answer,
                    finished=at,
                    context=compact_answer(finished.answer, [(f"Station {i}", url)]),
                    system_prompt="You are a research assistant.",
                )
            )
    return notebooks


def _cli(data: Path, *args: str) -> float:
    """Seconds for one ``ii-desktop`` command in a fresh process (best of ``REPEATS``)."""
    env = {**os.environ, "II_DESKTOP_DATA_DIR": str(data)}
    best = float("inf")
    for _ in range(REPEATS):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "ii_desktop", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"ii-desktop {' '.join(args)} failed: {done.stderr.strip()}")
        best = min(best, elapsed)
    return round(best, 3)


_PROMPT_BUILD = """
import sys, time
from ii_desktop.agent import prompts
from ii_desktop.agent.history import build_history, history_budget
from ii_desktop.core.settings import AppPaths
from ii_desktop.notebooks.store import NotebookStore
with NotebookStore.open(AppPaths(__import__('pathlib').Path(sys.argv[1]))) as store:
    earlier = store.conversation(sys.argv[2])
built = build_history(earlier.system_prompt or prompts.system_prompt(), earlier.past_runs,
                      history_budget(32768))
print(len(built.messages))
"""


def _prompt_build(data: Path, notebook_id: str) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", _PROMPT_BUILD, str(data), notebook_id],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"the prompt build failed: {done.stderr.strip()}")
        best = min(best, time.perf_counter() - started)
    return round(best, 3)


def _size(data: Path) -> int:
    return sum(p.stat().st_size for p in data.iterdir() if p.name.startswith(DB_NAME))


def measure(runs: int, workdir: Path) -> dict[str, Any]:
    data = workdir / f"store-{runs}"
    paths = AppPaths(data).ensure()
    started = time.perf_counter()
    notebooks = build_store(paths, runs)
    build_s = time.perf_counter() - started
    with NotebookStore.open(paths) as store:  # a clean close: the WAL folded into the file
        store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    middle = notebooks[len(notebooks) // 2]
    size = _size(data)
    export = workdir / f"export-{runs}.html"
    figures: dict[str, Any] = {
        "runs": runs,
        "notebooks": len(notebooks),
        "build_s": round(build_s, 1),
        "store_bytes": size,
        "bytes_per_run": size // runs,
        "startup_s": _cli(data, "--version"),
        "list_s": _cli(data, "notebook", "list", "--json"),
        "search_common_s": _cli(data, "notebook", "search", COMMON_WORD, "--json"),
        "search_rare_s": _cli(data, "notebook", "search", f"zyxq{runs // 2}", "--json"),
        "show_s": _cli(data, "notebook", "show", middle, "--json"),
        "export_html_s": _cli(
            data, "notebook", "export", middle, "--format", "html", "-o", str(export)
        ),
        "follow_up_prompt_s": _prompt_build(data, middle),
    }
    return figures


def run_notebook_bench(sizes: tuple[int, ...] = DEFAULT_SIZES) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        rows = [measure(n, Path(tmp)) for n in sizes]
    commands = ("list_s", "search_common_s", "search_rare_s", "show_s", "export_html_s")
    largest = rows[-1]
    per_run = [r["bytes_per_run"] for r in rows]
    return {
        "sizes": rows,
        "targets_met": {
            f"each command < {TARGET_S} s at {largest['runs']:,} runs": all(
                largest[c] < TARGET_S for c in (*commands, "follow_up_prompt_s")
            ),
            "bytes per run flat in N (within 10%)": max(per_run) <= 1.1 * min(per_run),
        },
    }


def table(result: dict[str, Any]) -> str:
    """The figures as a plain table, one column per store size."""
    rows = result["sizes"]
    keys = [k for k in rows[0] if k != "runs"]
    lines = ["figure".ljust(22) + "".join(f"{r['runs']:>14,}" for r in rows)]
    for key in keys:
        cells = "".join(
            f"{r[key]:>14,}" if isinstance(r[key], int) else f"{r[key]:>14}" for r in rows
        )
        lines.append(key.ljust(22) + cells)
    for name, met in result["targets_met"].items():
        lines.append(f"{'met' if met else 'MISSED'}: {name}")
    return "\n".join(lines)

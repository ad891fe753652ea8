"""``ii-desktop notebook ...`` in-process: JSON shapes, files written, one-line errors."""

from __future__ import annotations

import argparse
import json
import sys

import pytest

from ii_desktop.cli import notebook_cmd
from ii_desktop.core.errors import AppError
from ii_desktop.core.settings import app_paths
from ii_desktop.notebooks import NotebookStore, kv_cache_file
from tests.notebooks.runs import (
    ANSWER,
    QUESTION,
    WIKI,
    budget_run,
    eiffel_messages,
    eiffel_run,
    record,
)

STATUSES = {"running", "answered", "cancelled", "error", "budget", "interrupted"}


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    """The notebook command behind the same contract as ``cli.main``: an AppError is one
    ``ii-desktop: message`` line on stderr and its exit code."""
    parser = argparse.ArgumentParser(prog="ii-desktop")
    parser.add_argument("--data-dir")
    notebook_cmd.register(parser.add_subparsers(dest="command"))
    try:
        parsed = parser.parse_args(args)
        code = parsed.handler(parsed)
    except AppError as exc:
        print(f"ii-desktop: {exc.message}", file=sys.stderr)
        code = exc.exit_code
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ids():
    with NotebookStore.open(app_paths().ensure()) as store:
        towers = store.create("Towers")
        record(store, towers.id, eiffel_run("run-eiffel"), eiffel_messages())
        record(store, towers.id, budget_run("run-budget"))
        empty = store.create("Empty")
        return towers.id, empty.id


def test_list_json(capsys, ids):
    code, out, _ = run_cli(capsys, "notebook", "list", "--json")
    assert code == 0
    listed = json.loads(out)
    assert [set(n) for n in listed] == [{"id", "title", "updated", "runs"}] * 2
    assert {(n["id"], n["title"], n["runs"]) for n in listed} == {
        (ids[0], "Towers", 2),
        (ids[1], "Empty", 0),
    }
    assert all(n["updated"].endswith("+00:00") for n in listed)


def test_list_human_and_empty(capsys, data_dir):
    code, out, _ = run_cli(capsys, "notebook", "list")
    assert (code, out.strip()) == (0, "No notebooks yet. `ii-desktop ask QUESTION` starts one.")


def test_show_json(capsys, ids):
    code, out, _ = run_cli(capsys, "notebook", "show", ids[0][:6], "--json")
    assert code == 0
    shown = json.loads(out)
    assert set(shown) == {"id", "title", "runs"}
    assert (shown["id"], shown["title"]) == (ids[0], "Towers")
    first, second = shown["runs"]
    assert set(first) == {"id", "question", "answer", "status", "sources"}
    assert (first["id"], first["question"], first["answer"]) == ("run-eiffel", QUESTION, ANSWER)
    assert {first["status"], second["status"]} <= STATUSES
    assert (first["status"], second["status"]) == ("answered", "budget")
    assert first["sources"][0] == {"n": 1, "url": WIKI, "title": "Eiffel Tower - Wikipedia"}
    assert [s["n"] for s in first["sources"]] == [1, 2, 3]


def test_show_human(capsys, ids):
    code, out, _ = run_cli(capsys, "notebook", "show", ids[0])
    assert code == 0
    assert "Q: How tall is the Eiffel Tower?" in out
    assert "A: The Eiffel Tower is **330 metres**" in out
    assert f"[1] Eiffel Tower - Wikipedia\n      {WIKI}" in out
    assert "stopped at its research budget" in out


def test_search_json(capsys, ids):
    code, out, _ = run_cli(capsys, "notebook", "search", "rivets", "--json")
    assert code == 0
    assert json.loads(out) == [
        {
            "notebook_id": ids[0],
            "run_id": "run-eiffel",
            "title": "Towers",
            "snippet": json.loads(out)[0]["snippet"],
            "where": "page",  # the word is in a page the run read, not in its answer
            "url": "https://en.wikipedia.org/wiki/Eiffel_Tower",
        }
    ]
    assert "rivets" in json.loads(out)[0]["snippet"]
    code, out, _ = run_cli(capsys, "notebook", "search", "nothing-like-this", "--json")
    assert (code, json.loads(out)) == (0, [])


@pytest.mark.parametrize(("fmt", "marker"), [("md", "# Towers"), ("html", "<!DOCTYPE html>")])
def test_export_text_formats(capsys, ids, tmp_path, fmt, marker):
    path = tmp_path / f"towers.{fmt}"
    code, out, err = run_cli(capsys, "notebook", "export", ids[0], "--format", fmt, "-o", str(path))
    assert (code, out, err) == (0, "", "")
    text = path.read_text(encoding="utf-8")
    assert text.startswith(marker)
    assert "330 metres" in text and "rivets" not in text  # answers, not page dumps


def test_export_json_then_import(capsys, ids, tmp_path):
    path = tmp_path / "towers.json"
    assert (
        run_cli(capsys, "notebook", "export", ids[0], "--format", "json", "-o", str(path))[0] == 0
    )
    code, out, _ = run_cli(capsys, "notebook", "import", str(path))
    assert code == 0
    new_id = out.strip()
    assert new_id not in ids
    shown = json.loads(run_cli(capsys, "notebook", "show", new_id, "--json")[1])
    assert shown["title"] == "Towers"
    assert [r["answer"] for r in shown["runs"]] == [ANSWER, "I could not read the archive."]


def test_import_of_a_foreign_file_is_one_clear_line(capsys, ids, tmp_path):
    path = tmp_path / "foreign.json"
    path.write_text('{"hello": "world"}')
    code, out, err = run_cli(capsys, "notebook", "import", str(path))
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ii-desktop: Not a notebook export")
    assert "nothing was imported" in lines[0]


def test_rename_tag_delete_run_and_delete(capsys, ids, data_dir):
    towers = ids[0]
    assert run_cli(capsys, "notebook", "rename", towers, "Tall things")[0] == 0
    code, out, _ = run_cli(capsys, "notebook", "tag", towers, "paris", "iron")
    assert (code, out.strip()) == (0, f"{towers} tags: iron, paris")
    assert run_cli(capsys, "notebook", "delete-run", "run-budget")[0] == 0
    shown = json.loads(run_cli(capsys, "notebook", "show", towers, "--json")[1])
    assert shown["title"] == "Tall things" and [r["id"] for r in shown["runs"]] == ["run-eiffel"]
    with NotebookStore.open(app_paths()) as store:
        conversation_id = store.notebook(towers).conversation_id
    cache = kv_cache_file(app_paths().kv_cache_dir, conversation_id)
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"kv")
    code, out, _ = run_cli(capsys, "notebook", "delete", towers)
    assert code == 0 and "Tall things" in out
    assert not cache.exists()
    listed = json.loads(run_cli(capsys, "notebook", "list", "--json")[1])
    assert [n["id"] for n in listed] == [ids[1]]


@pytest.mark.parametrize(
    "args",
    [
        ("notebook", "show", "nope"),
        ("notebook", "delete", "nope"),
        ("notebook", "delete-run", "nope"),
        ("notebook", "rename", "nope", "x"),
        ("notebook", "export", "nope", "--format", "md", "-o", "x.md"),
    ],
)
def test_unknown_ids_are_one_line_errors(capsys, ids, args):
    code, out, err = run_cli(capsys, *args)
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "No " in lines[0] and "Traceback" not in err


def test_export_to_a_missing_folder_is_one_line(capsys, ids, tmp_path):
    target = tmp_path / "missing" / "x.md"
    code, _, err = run_cli(
        capsys, "notebook", "export", ids[0], "--format", "md", "-o", str(target)
    )
    assert code == 1
    assert err.startswith("ii-desktop: Cannot write") and len(err.strip().splitlines()) == 1


def test_a_corrupt_store_is_reported_and_kept(capsys, data_dir):
    data_dir.mkdir()
    (data_dir / "notebooks.sqlite3").write_bytes(b"garbage" * 1000)
    code, out, err = run_cli(capsys, "notebook", "list", "--json")
    assert code == 0 and json.loads(out) == []
    assert err.startswith("ii-desktop: warning: The notebook database was damaged; it was kept as")
    assert len(list(data_dir.glob("notebooks.damaged-*.sqlite3"))) == 1


def test_check_reports_a_sound_store_and_a_damaged_one(capsys, ids, data_dir):
    code, out, _ = run_cli(capsys, "notebook", "check")
    assert code == 0 and "is sound" in out
    with NotebookStore.open(app_paths()) as store:
        store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        # an index that no longer matches its table is the damage quick_check finds
        store._conn.execute("PRAGMA writable_schema = ON")
        root = store._conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'runs_by_status'"
        ).fetchone()[0]
        store._conn.execute("PRAGMA writable_schema = OFF")
    path = data_dir / "notebooks.sqlite3"
    data = bytearray(path.read_bytes())
    page = 4096
    start = (root - 1) * page
    data[start + 8 : start + page] = b"\x00" * (page - 8)  # the index page emptied
    path.write_bytes(bytes(data))
    code, _, err = run_cli(capsys, "notebook", "check")
    assert code == 1 and "is damaged" in err and "notebook export" in err

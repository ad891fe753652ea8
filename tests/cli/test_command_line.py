"""The command line as a newcomer meets it: options where they type them, usage for the
command they ran, where a run was saved, pipes that close early, no display."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from ii_desktop.cli.main import hoist_global_options, main, no_display_reason
from ii_desktop.core.settings import app_paths
from ii_desktop.notebooks.store import NotebookStore

ANSWER = "<think>\nEasy.\n</think>\n\nSix times seven is \\boxed{42}."


def cli(*args: str, env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ii_desktop", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        **kw,
    )


@pytest.fixture
def unused_port():
    """A port nothing listens on: bound and closed, so a connection is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def replay(tmp_path):
    path = tmp_path / "replay.json"
    path.write_text(json.dumps({"turns": [ANSWER, ANSWER]}))
    return str(path)


def ask(replay: str, *extra: str, question: str = "What is six times seven?"):
    return cli("ask", question, "--engine", "replay", "--replay", replay, "--short", *extra)


def titles() -> list[str]:
    with NotebookStore.open(app_paths()) as store:
        return sorted(n.title for n in store.notebooks())


def test_global_options_move_in_front_of_the_command_but_not_past_a_double_dash():
    assert hoist_global_options(["notebook", "list", "--data-dir", "X", "-v"]) == [
        "--data-dir",
        "X",
        "-v",
        "notebook",
        "list",
    ]
    assert hoist_global_options(["ask", "--", "-v"]) == ["ask", "--", "-v"]
    assert hoist_global_options(["ask", "--data-dir=D", "q"]) == ["--data-dir=D", "ask", "q"]


def test_data_dir_after_the_command_is_the_one_used(tmp_path, capsys):
    elsewhere = tmp_path / "elsewhere"
    with NotebookStore.open(app_paths(elsewhere)) as store:
        store.create("Kept elsewhere")
    assert main(["notebook", "list", "--data-dir", str(elsewhere)]) == 0
    assert "Kept elsewhere" in capsys.readouterr().out
    assert main(["notebook", "list"]) == 0  # the default data dir has none
    assert "Kept elsewhere" not in capsys.readouterr().out


def test_verbose_after_the_command_works(replay):
    done = ask(replay, "-v")
    assert done.returncode == 0, done.stderr
    assert "Short answer: 42" in done.stdout


def test_a_misspelled_option_prints_that_commands_usage_and_the_close_match(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["notebook", "list", "--jsn"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: ii-desktop notebook list")
    assert "--jsn (did you mean --json?)" in err


def test_ask_says_where_the_run_was_saved_and_numbers_a_repeated_title(replay):
    first = ask(replay)
    assert first.returncode == 0, first.stderr
    with NotebookStore.open(app_paths()) as store:
        (notebook,) = store.notebooks()
    assert f"Saved in notebook “What is six times seven?” ({notebook.id})" in first.stderr
    assert f"notebook show {notebook.id}" in first.stderr
    again = ask(replay)
    assert again.returncode == 0, again.stderr
    assert titles() == ["What is six times seven?", "What is six times seven? (2)"]
    assert "“What is six times seven? (2)”" in again.stderr


def test_run_started_carries_the_notebook_in_json(replay):
    done = ask(replay, "--json", "--notebook", "Arithmetic")
    assert done.returncode == 0, done.stderr
    started = json.loads(done.stdout.splitlines()[0])
    assert started["type"] == "run_started"
    assert started["notebook_title"] == "Arithmetic"
    with NotebookStore.open(app_paths()) as store:
        (notebook,) = store.notebooks()
        assert started["notebook_id"] == notebook.id
        # the notebook is named to listeners only: the stored event stays as it was
        (run,) = store.runs(notebook.id)
        stored = store.events(run.id)[0][1]
        assert getattr(stored, "notebook_id", None) is None


def test_notebook_title_continues_one_notebook_and_refuses_an_ambiguous_one(replay):
    with NotebookStore.open(app_paths()) as store:
        kept = store.create("Arithmetic")
    done = ask(replay, "--notebook", "arithmetic")
    assert done.returncode == 0, done.stderr
    assert f"({kept.id})" in done.stderr
    with NotebookStore.open(app_paths()) as store:
        twin = store.create("Arithmetic")  # made elsewhere (the window, an import)
    refused = ask(replay, "--notebook", "Arithmetic")
    assert refused.returncode != 0
    assert "Several notebooks are titled 'Arithmetic'" in refused.stderr
    assert kept.id in refused.stderr and twin.id in refused.stderr
    assert "Traceback" not in refused.stderr
    by_id = ask(replay, "--notebook", twin.id)
    assert by_id.returncode == 0, by_id.stderr
    with NotebookStore.open(app_paths()) as store:
        assert store.run_count(kept.id) == 1 and store.run_count(twin.id) == 1


def test_continue_takes_the_most_recent_notebook(replay):
    refused = ask(replay, "--continue")
    assert refused.returncode == 2 and "no notebook to continue" in refused.stderr
    assert ask(replay, question="First question?").returncode == 0
    done = ask(replay, "-c", question="A follow-up?")
    assert done.returncode == 0, done.stderr
    with NotebookStore.open(app_paths()) as store:
        (notebook,) = store.notebooks()
        assert [r.question for r in store.runs(notebook.id)] == ["First question?", "A follow-up?"]


def test_a_run_that_fails_before_it_begins_leaves_no_empty_notebook(unused_port):
    done = cli(
        "ask",
        "What is six times seven?",
        "--engine",
        "openai",
        "--base-url",
        f"http://127.0.0.1:{unused_port}/v1",
        "--model-name",
        "m",
    )
    assert done.returncode == 1
    assert "nothing was saved: the run failed before it began" in done.stderr
    assert titles() == []


def test_a_failed_follow_up_keeps_its_notebook(replay, unused_port):
    assert ask(replay, "--notebook", "Arithmetic").returncode == 0
    failed = cli(
        "ask",
        "And eight times nine?",
        "--notebook",
        "Arithmetic",
        "--engine",
        "openai",
        "--base-url",
        f"http://127.0.0.1:{unused_port}/v1",
        "--model-name",
        "m",
    )
    assert failed.returncode == 1
    assert titles() == ["Arithmetic"]


def test_a_pipe_closed_early_ends_quietly_without_a_crash_log(data_dir):
    with NotebookStore.open(app_paths()) as store:
        for n in range(400):
            store.create(f"Notebook number {n} " + "with a long title " * 8)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ii_desktop", "notebook", "list", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(600)
    proc.stdout.close()  # like `| head -c 600`
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 0, err
    assert err == ""
    assert not (data_dir / "logs").exists()


def test_no_display_is_said_in_one_line():
    assert no_display_reason({}) is not None if sys.platform.startswith("linux") else True
    assert no_display_reason({"DISPLAY": ":0"}) is None
    assert no_display_reason({"QT_QPA_PLATFORM": "offscreen"}) is None
    if not sys.platform.startswith("linux"):
        return
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    done = cli(env=env)
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0
    assert "No display is available" in done.stderr


def test_distinct_titles_count_only_their_own_numbers():
    with NotebookStore.open(app_paths()) as store:
        assert store.create("100% sure_a", distinct=True).title == "100% sure_a"
        store.create("100X sure_a (2)")  # LIKE wildcards in the title match nothing else
        assert store.create("100% SURE_a", distinct=True).title == "100% SURE_a (2)"
        assert store.create("100% sure_a", distinct=True).title == "100% sure_a (3)"


def test_a_damaged_settings_file_is_said_once_and_the_command_still_runs(replay):
    paths = app_paths()
    paths.ensure()
    paths.settings_file.write_text('{"engine": {"kv_bits": 16, "prefill_chunk": 64},}')
    done = ask(replay)
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if "settings.json" in line]
    assert len(warnings) == 1 and warnings[0].startswith(
        "ii-desktop: warning: settings.json line 1"
    )
    assert str(paths.settings_file) in warnings[0]
    assert paths.settings_file.read_text().endswith("},}"), "the file is left for the user"


def test_a_server_address_without_a_scheme_is_refused_with_the_fix():
    done = cli("search", "q", "--searxng-url", "127.0.0.1:8765")
    assert done.returncode == 2
    assert "did you mean http://127.0.0.1:8765?" in done.stderr
    assert "UnsupportedProtocol" not in done.stderr and "Traceback" not in done.stderr


def test_export_takes_its_format_from_the_file_name(replay, tmp_path):
    assert ask(replay).returncode == 0
    with NotebookStore.open(app_paths()) as store:
        (notebook,) = store.notebooks()
    done = cli("notebook", "export", notebook.id, "-o", str(tmp_path / "six.md"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "six.md").read_text().startswith("# What is six times seven?")
    assert cli("notebook", "export", notebook.id, "-o", str(tmp_path / "six.HTML")).returncode == 0
    assert (tmp_path / "six.HTML").read_text().lstrip().lower().startswith("<!doctype html")
    refused = cli("notebook", "export", notebook.id, "-o", str(tmp_path / "six"))
    assert refused.returncode == 2 and "add --format md|html|pdf|json" in refused.stderr

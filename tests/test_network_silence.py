"""The app contacts only what the user caused: the model server, the search provider and
pages. Every other connection is refused and recorded, in real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.research import page_and_search, tool_call

GUARD = """
import json, os, socket
_log = os.environ["II_TEST_CONNECTIONS"]
_allowed = set(json.loads(os.environ.get("II_TEST_ALLOWED", "[]")))
_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def _check(address):
    if isinstance(address, tuple) and len(address) >= 2:
        where = f"{address[0]}:{address[1]}"
        with open(_log, "a") as out:
            out.write(where + "\\n")
        loopback = os.environ.get("II_TEST_ALLOW_LOOPBACK") and address[0] == "127.0.0.1"
        if where not in _allowed and not loopback:
            raise ConnectionRefusedError(f"refused by the test: {where}")


def connect(self, address):
    _check(address)
    return _connect(self, address)


def connect_ex(self, address):
    _check(address)
    return _connect_ex(self, address)


socket.socket.connect = connect
socket.socket.connect_ex = connect_ex
"""

ARTICLE = (
    b"<html><head><title>The Seine</title>"
    b'<link rel="icon" href="https://icons.example/favicon.ico">'
    b'<link rel="stylesheet" href="https://fonts.example/font.css"></head><body><article>'
    b"<p>The Seine is a 777 km long river in northern France, through Paris to the sea.</p>"
    b'<img src="https://pixels.example/p.png"></article></body></html>'
)


def guarded_env(tmp_path: Path, allowed: list[str]) -> tuple[dict[str, str], Path]:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(GUARD)
    log = tmp_path / "connections.txt"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
        "II_TEST_CONNECTIONS": str(log),
        "II_TEST_ALLOWED": json.dumps(allowed),
        "II_DESKTOP_DATA_DIR": str(tmp_path / "data"),
        "QT_QPA_PLATFORM": "offscreen",
    }
    return env, log


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ii_desktop", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )


def connections(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


def test_a_research_run_and_its_exports_contact_only_the_search_provider_and_pages(tmp_path):
    with page_and_search("/seine", ARTICLE) as (pages, search):
        url = pages.url("/seine")
        answer = (
            f"The Seine is 777 km long [{url}]. ![map](https://pixels.example/map.png) "
            '<img src="https://pixels.example/raw.png">'
        )
        replay = tmp_path / "replay.json"
        turns = [
            "<think>\nSearch.\n</think>\n\n" + tool_call("web_search", query="Seine"),
            "<think>\nRead.\n</think>\n\n" + tool_call("web_visit", url=url),
            "<think>\nDone.\n</think>\n\n" + answer,
        ]
        replay.write_text(json.dumps({"turns": turns}))
        allowed = [search.url.split("//")[1].split("/")[0], pages.host]
        env, log = guarded_env(tmp_path, allowed)
        done = run(
            env,
            "ask",
            "How long is the Seine?",
            "--engine",
            "replay",
            "--replay",
            str(replay),
            "--searxng-url",
            search.url,
            "--allow-host",
            pages.host,
            "--notebook",
            "Rivers",
            "--json",
        )
        assert done.returncode == 0, done.stderr
        visits = [json.loads(line) for line in done.stdout.splitlines() if "tool_result" in line]
        assert [v["ok"] for v in visits] == [True, True]
        notebook = json.loads(run(env, "notebook", "list", "--json").stdout)[0]["id"]
        for fmt in ("html", "md", "pdf"):
            out = tmp_path / f"rivers.{fmt}"
            exported = run(env, "notebook", "export", notebook, "--format", fmt, "-o", str(out))
            assert exported.returncode == 0, exported.stderr
        html = (tmp_path / "rivers.html").read_text()
        # an export loads nothing remote when opened: no remote images, styles or scripts
        for remote in ('src="http', "src='http", "<link", "<script", "url(http", "@import"):
            assert remote not in html.lower()
    made = connections(log)
    assert made, "the guard saw the run's own connections"
    assert set(made) <= set(allowed), f"unexpected connections: {set(made) - set(allowed)}"


@pytest.mark.mlx
def test_loading_the_model_and_answering_contacts_nothing(tmp_path, tiny_model_dir):
    env, log = guarded_env(tmp_path, [])
    done = run(env, "generate", "--model", str(tiny_model_dir), "Hello", "--max-tokens", "4")
    assert done.returncode == 0, done.stderr
    assert connections(log) == []


def test_the_window_fetches_no_icons_fonts_or_telemetry(tmp_path):
    env, log = guarded_env(tmp_path, [])
    env["II_TEST_ALLOW_LOOPBACK"] = "1"  # the scenario's own page and search servers
    shot = tmp_path / "research.png"
    done = run(env, "dev", "screenshot", str(shot), "--scenario", "research")
    assert done.returncode == 0, done.stderr
    assert shot.stat().st_size > 10_000
    # the scenario serves its pages and search from 127.0.0.1; nothing else is contacted
    assert all(c.startswith("127.0.0.1:") for c in connections(log)), connections(log)


def test_the_model_stack_is_told_not_to_phone_home(tmp_path):
    code = (
        "import os\n"
        "from ii_desktop.cli.main import main\n"
        "main(['notebook', 'list', '--json'])\n"
        "print(os.environ['HF_HUB_DISABLE_TELEMETRY'], os.environ['DO_NOT_TRACK'])\n"
    )
    quiet = ("HF_HUB_DISABLE_TELEMETRY", "DO_NOT_TRACK")
    env = {k: v for k, v in os.environ.items() if k not in quiet}
    env["II_DESKTOP_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == ["1", "1"]

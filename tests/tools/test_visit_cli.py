"""``ii-desktop visit``: in-process and as a real subprocess, against a local server."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ii_desktop.cli.main import main
from ii_desktop.cli.visit_cmd import titled_text
from ii_desktop.core.settings import Settings, ToolSettings, app_paths, save_settings
from tests.helpers.page_server import PageServer
from tests.tools.test_visit import dataset_page

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def server() -> Iterator[PageServer]:
    s = PageServer()
    yield s
    s.close()


def test_visit_prints_what_the_model_sees(server, capsys):
    server.page("/story", dataset_page("news-harbor-plan"))
    assert main(["visit", server.url("/story"), "--allow-host", server.host]) == 0
    out = capsys.readouterr().out
    title, blank, text, end = out.split("\n")
    assert title == "Council approves $48 million harbor plan after marathon session"
    assert blank == end == ""
    assert text.startswith("After nearly six hours of public comment")  # one run of text
    assert "We use cookies" not in out


def test_the_title_is_printed_when_the_body_starts_with_the_same_words(server, capsys):
    server.page(
        "/tides",
        b"<html><head><title>Tide tables</title></head><body><article><p>Tide tables "
        b"are printed each winter for the whole year, with the times of every high and low "
        b"water at the harbour.</p></article></body></html>",
    )
    assert main(["visit", server.url("/tides"), "--allow-host", server.host]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Tide tables\n\nTide tables are printed each winter")


def test_only_a_first_line_that_is_exactly_the_title_is_left_out():
    assert titled_text("Tide tables", "Tide tables\nHigh water at six.") == (
        "Tide tables\n\nHigh water at six."
    )
    assert titled_text("Tide tables", "Tide tables at the harbour") == (
        "Tide tables\n\nTide tables at the harbour"
    )
    assert titled_text("Tide  tables ", "Tide tables") == "Tide tables"
    assert titled_text("", "Just text.") == "Just text."


def test_visit_json(server, capsys):
    server.page("/story", dataset_page("docs-tidepool-sync"))
    assert main(["visit", server.url("/story"), "--json", "--allow-host", server.host]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    assert report["url"] == report["final_url"] == server.url("/story")
    assert report["title"] == "Synchronising folders"
    assert report["content_type"] == "text/html"
    assert report["text"].startswith("A sync keeps")
    assert "\n" not in report["text"]
    assert "## Running a sync" in report["markdown"]
    assert report["truncated"] is False
    assert "error_kind" not in report


def test_the_same_server_is_blocked_without_the_flag(server, capsys):
    server.page("/story", dataset_page("news-harbor-plan"))
    assert main(["visit", server.url("/story"), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert report["error_kind"] == "blocked"
    assert report["error"]
    assert server.hits["/story"] == 0
    assert "(blocked)" not in report["error"]
    assert main(["visit", server.url("/story")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ii-desktop: 127.0.0.1 is this computer;")
    assert err.count("\n") == 1
    assert "127.0.0.1 is 127.0.0.1" not in err
    assert "blocked" not in err
    # the message says how to allow the page, and doing just that lets it through
    hint = f"pass --allow-host {server.host} on the command line"
    assert hint in err
    assert main(["visit", server.url("/story"), "--allow-host", server.host]) == 0
    assert server.hits["/story"] == 1


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/missing", "http_status"),
        ("/archive", "unsupported_type"),
        ("/big", "too_large"),
        ("/loop", "too_many_redirects"),
    ],
)
def test_failures_print_plain_words_and_keep_the_kind_in_json(server, capsys, data_dir, path, kind):
    server.page("/archive", b"PK\x03\x04", "application/zip")
    server.page("/big", b"x" * (2 * 1024 * 1024), "text/plain")
    server.route("/loop", lambda h: h.redirect("/loop"))
    save_settings(
        app_paths(str(data_dir)), Settings(tools=ToolSettings(max_download_bytes=1024 * 1024))
    )
    command = ["--data-dir", str(data_dir), "visit", server.url(path), "--allow-host", server.host]
    assert main(command) == 1
    err = capsys.readouterr().err
    assert err.startswith("ii-desktop: ") and err.count("\n") == 1
    assert kind not in err and "(" not in err
    assert main([*command, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["error_kind"] == kind
    assert kind not in report["error"]


def test_allow_private_network_flag(server, capsys):
    server.page("/p", b"<html><body><p>A page on the loopback interface.</p></body></html>")
    assert main(["visit", server.url("/p"), "--allow-private-network"]) == 0
    assert "A page on the loopback interface." in capsys.readouterr().out


def test_saved_settings_apply_under_the_flags(server, capsys, data_dir):
    server.page("/p", b"<html><body><p>Allowed by the saved settings.</p></body></html>")
    server.route("/slow", lambda h: time.sleep(1.5))
    paths = app_paths(str(data_dir))
    tools = ToolSettings(allow_hosts=(server.host,), read_timeout=0.3, total_timeout=0.6)
    save_settings(paths, Settings(tools=tools))
    assert main(["--data-dir", str(data_dir), "visit", server.url("/p")]) == 0
    assert main(["--data-dir", str(data_dir), "visit", server.url("/slow"), "--json"]) == 1
    report = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert report["error_kind"] == "timeout"


def test_visit_as_a_subprocess(server):
    server.page("/p", dataset_page("news-ja-sakura"), "text/html")
    command = ["visit", server.url("/p"), "--json", "--allow-host", server.host]
    result = subprocess.run(
        [sys.executable, "-m", "ii_desktop", *command],
        cwd=REPO,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.decode("utf-8"))
    assert "桜（ソメイヨシノ）が開花" in report["text"]
    bad = subprocess.run(
        [sys.executable, "-m", "ii_desktop", "visit", "gopher://example.com/"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 1
    assert bad.stderr == "ii-desktop: Only http and https URLs can be visited, not gopher.\n"
    assert "Traceback" not in bad.stderr

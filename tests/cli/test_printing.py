"""What the commands print in human form carries no terminal escape codes from outside.

A page title or text can hold ``ESC]0;...BEL`` (retitle the window), ``ESC[2J`` (clear
the screen) or an OSC 52 clipboard write; printed raw, the terminal obeys them. JSON
output keeps the text, escaped, and stays valid JSON.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest

from ii_desktop.agent.events import (
    Answer,
    Notice,
    Reasoning,
    RunFinished,
    RunStarted,
    Source,
    ToolCall,
    ToolResult,
)
from ii_desktop.agent.history import PastRun
from ii_desktop.cli.ask_cmd import _Output
from ii_desktop.cli.main import main
from ii_desktop.cli.transcript import BOLD, DIM, RESET, Transcript
from ii_desktop.core.settings import app_paths
from ii_desktop.notebooks.recorder import start_recording
from ii_desktop.tools import secrets
from tests.helpers.page_server import PageServer
from tests.notebooks.runs import visit_call

# retitle the window, clear the screen, write the clipboard, a one-byte CSI, DEL, NUL
HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x1b]52;c;ZXZpbA==\x07\x9b31m\x7f\x00"
RAW = ("\x1b", "\x07", "\x9b", "\x7f", "\x00")


def assert_printable(text: str) -> None:
    found = [repr(c) for c in RAW if c in text]
    assert not found, f"{found} printed raw in {text!r}"


@pytest.fixture
def server() -> Iterator[PageServer]:
    s = PageServer()
    yield s
    s.close()


@pytest.fixture
def forget_keys():
    secrets.forget_known_keys()
    yield
    secrets.forget_known_keys()


def test_visit_prints_no_escape_codes(server, capsys):
    hostile = HOSTILE.replace("\x00", "")  # a NUL would make the page binary data
    server.page("/p", f"Harbour plan {hostile} approved.\n".encode(), "text/plain")
    assert main(["visit", server.url("/p"), "--allow-host", server.host]) == 0
    out = capsys.readouterr().out
    assert_printable(out)
    assert "Harbour plan" in out and "approved." in out
    assert main(["visit", server.url("/p"), "--allow-host", server.host, "--json"]) == 0
    out = capsys.readouterr().out
    assert_printable(out)
    assert hostile in json.loads(out)["text"]  # kept, as JSON escapes


def test_visit_errors_print_no_credentials(server, capsys):
    def echo(handler):  # a reason phrase is the server's to choose
        handler.send_response(401, "Unauthorized Bearer sk-live-0123456789abcdef")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    server.route("/denied", echo)
    assert main(["visit", server.url("/denied"), "--allow-host", server.host]) == 1
    err = capsys.readouterr().err
    assert "HTTP 401 Unauthorized Bearer [redacted]" in err
    assert "0123456789abcdef" not in err


def _searxng(server: PageServer) -> list[str]:
    answer = {
        "results": [
            {"url": "https://example.org/a", "title": f"Title {HOSTILE}", "content": HOSTILE},
        ]
    }
    server.page("/search", json.dumps(answer).encode(), "application/json")
    return ["--provider", "searxng", "--searxng-url", server.url("/")]


def test_search_prints_no_escape_codes(server, capsys):
    chain = _searxng(server)
    assert main(["search", "harbour", *chain]) == 0
    out = capsys.readouterr().out
    assert_printable(out)
    assert "Title: Title" in out
    assert main(["search", "harbour", *chain, "--json"]) == 0
    out = capsys.readouterr().out
    assert_printable(out)
    assert json.loads(out)["results"][0]["url"] == "https://example.org/a"


def _transcript_events(key: str) -> list:
    run_id = "run-1"
    return [
        ToolCall(run_id, "c1", "web_search", {"query": f"q {HOSTILE}"}),
        ToolResult(run_id, "c1", "web_search", True, "", data={"results": [], "provider": "x"}),
        ToolCall(run_id, "c2", "web_visit", {"url": f"https://example.org/{HOSTILE}"}),
        ToolResult(run_id, "c2", "web_visit", False, "", error=f"HTTP 401 {HOSTILE} Bearer {key}"),
        Notice(run_id, "retry", f"retrying {HOSTILE}"),
        Reasoning(run_id, f"thinking {HOSTILE}"),
        Source(run_id, 1, f"https://example.org/{HOSTILE}", f"Page {HOSTILE}", "page"),
        Answer(run_id, "The answer \x1b"),  # a sequence split across streamed chunks
        Answer(run_id, "]0;pwned\x07 is 42."),
        RunFinished(
            run_id,
            "error",
            f"Final {HOSTILE}",
            boxed=f"42{HOSTILE}",
            error=f"server said {HOSTILE}: bad key {key}",
            citations=[{"url": f"https://example.org/{HOSTILE}", "n": 2, "verified": False}],
        ),
    ]


@pytest.mark.parametrize("color", [False, True])
def test_the_ask_transcript_prints_no_escape_codes_nor_keys(monkeypatch, forget_keys, color):
    key = "sk-proj-0011223344556677"
    monkeypatch.setenv("II_DESKTOP_OPENAI_KEY", key)
    secrets.get_api_key("openai")
    out = io.StringIO()
    transcript = Transcript(out, color=color)
    for event in _transcript_events(key):
        transcript(event)
    text = out.getvalue()
    assert (DIM in text) is color  # its own styles still work
    assert_printable(text.replace(DIM, "").replace(BOLD, "").replace(RESET, ""))
    assert key not in text
    assert "Run failed: server said" in text and "[1] Page" in text
    # the answer is held back to whole citations, so the split sequence is whole again
    # when it is written, and dropped as one
    assert "The answer  is 42." in text or "The answer ]0;pwned is 42." in text


def test_ask_json_lines_stay_valid_json(capsys):
    output = _Output(as_json=True)
    event = Source("run-1", 1, "https://example.org/", f"Page {HOSTILE}", "page")
    output(event)
    out = capsys.readouterr().out
    assert_printable(out)
    assert json.loads(out)["title"] == event.title


def _record_hostile_run() -> None:
    question = f"Harbour question {HOSTILE}"
    paths = app_paths().ensure()
    recorder = start_recording(paths, question)
    run_id = recorder.run_id
    url = "https://example.org/harbour"
    events = [
        RunStarted(run_id, question, "normal"),
        *visit_call(run_id, "c1", url, text=f"Harbour page {HOSTILE}", title=f"T {HOSTILE}"),
        Source(run_id, 1, url, f"Harbour page {HOSTILE}", "page"),
        Source(run_id, 2, "https://example.org/other", f"Other {HOSTILE}", "search_result"),
        Answer(run_id, f"Harbour answer {HOSTILE}"),
        RunFinished(run_id, "error", f"Harbour answer {HOSTILE}", error=f"Failed {HOSTILE}"),
    ]
    for event in events:
        recorder(event)
    recorder.close(PastRun(question, "normal", "Harbour answer"), "You are a research assistant.")


def test_notebook_list_show_and_search_print_no_escape_codes(capsys):
    _record_hostile_run()
    assert main(["notebook", "list"]) == 0
    listed = capsys.readouterr().out
    assert_printable(listed)
    notebook_id = listed.split()[0]
    assert "Harbour question" in listed
    assert main(["notebook", "show", notebook_id]) == 0
    shown = capsys.readouterr().out
    assert_printable(shown)
    assert "Harbour answer" in shown and "Error: Failed" in shown and "[1] Harbour page" in shown
    assert main(["notebook", "search", "harbour"]) == 0
    found = capsys.readouterr().out
    assert_printable(found)
    assert notebook_id in found
    for args in (["list"], ["show", notebook_id], ["search", "harbour"]):
        assert main(["notebook", *args, "--json"]) == 0
        out = capsys.readouterr().out
        assert_printable(out)
        assert "pwned" in out  # the data is kept, as JSON escapes
        json.loads(out)


def test_an_answer_the_run_went_on_from_is_marked_a_draft_and_the_last_is_final():
    out = io.StringIO()
    show = Transcript(out, color=False)
    show(Answer("r", "Paris, I think."))
    show(Notice("r", "challenge", "That answer used no source; search before answering."))
    show(ToolCall("r", "c1", "web_search", {"query": "capital of France"}))
    show(ToolResult("r", "c1", "web_search", True, "", data={"results": [{"url": "u"}]}))
    show(Answer("r", "Paris [1]."))
    show(RunFinished("r", "stop", "Paris [1]."))
    text = out.getvalue()
    assert "→ web_search capital of France … ok, 1 result\n" in text
    first, rest = text.split("(a draft: the run goes on)")
    assert first.startswith("Answer\nParis, I think.")
    assert "Revised answer\nParis [1]." in rest
    assert rest.count("Answer") == 0 and "draft" not in rest


def test_the_transcript_numbers_citations_as_notebook_show_does():
    out = io.StringIO()
    show = Transcript(out, color=False)
    url = "https://example.org/seine"
    show(Source("r", 1, url, "The Seine", "page"))
    for piece in [
        "The Seine is 777 km long [https://exa",
        "mple.org/seine]. It rises",
        " in Burgundy.",
    ]:
        show(Answer("r", piece))
    show(RunFinished("r", "answered", f"The Seine is 777 km long [{url}]. It rises in Burgundy."))
    text = out.getvalue()
    assert "Answer\nThe Seine is 777 km long [1]. It rises in Burgundy.\n" in text
    assert f"[1] The Seine (read) — {url}" in text
    assert text.count("777 km") == 1, "the answer is not printed twice"


def test_a_page_from_a_notebook_says_so_and_when_it_was_read():
    out = io.StringIO()
    show = Transcript(out, color=False)
    show(ToolCall("r", "c1", "web_visit", {"url": "https://example.org/seine"}))
    data = {"from_notebook": "from your notebook, read 1 Dec 2026"}
    show(ToolResult("r", "c1", "web_visit", True, "", data=data))
    assert "→ web_visit https://example.org/seine … ok, from your notebook, read 1 Dec 2026" in (
        out.getvalue()
    )

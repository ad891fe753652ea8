"""What a failed tool call says in a research run: plain words in the transcript, the kind as
a field of the event, and the model told the problem without the user's options."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest

from ii_desktop.agent.events import ToolResult
from ii_desktop.agent.run import ResearchRun, RunOptions
from ii_desktop.cli.transcript import Transcript
from ii_desktop.core.events import Event
from ii_desktop.core.settings import ToolSettings
from ii_desktop.engine.replay import ReplayEngine
from ii_desktop.tools.base import ToolContext
from ii_desktop.tools.http import make_guarded_client
from ii_desktop.tools.visit import WebVisitTool
from tests.helpers.page_server import PageServer
from tests.helpers.tools import StaticSearch, StaticVisit


@pytest.fixture
def server() -> Iterator[PageServer]:
    s = PageServer()
    s.page("/notes", b"<html><body><p>Private notes kept on this machine.</p></body></html>")
    yield s
    s.close()


def turn(name: str, **arguments: str) -> str:
    block = json.dumps({"name": name, "arguments": arguments})
    return f"<think>\nRead it.\n</think>\n\n<tool_call>\n{block}\n</tool_call>"


def research(turns: list[str], tools: list, settings: ToolSettings):
    events: list[Event] = []
    out = io.StringIO()
    transcript = Transcript(out, color=False)

    def both(event: Event) -> None:
        events.append(event)
        transcript(event)

    engine = ReplayEngine(turns)
    with make_guarded_client(settings) as client:
        ctx = ToolContext(http=client, settings=settings)
        run = ResearchRun(engine, tools, ctx, "What do my notes say?", RunOptions(), on_event=both)
        assert run.run().reason == "answered"
    results = [e for e in events if isinstance(e, ToolResult)]
    return results, out.getvalue(), engine


def test_a_blocked_visit_reads_as_plain_words_everywhere(server):
    url = server.url("/notes")
    results, printed, engine = research(
        [turn("web_visit", url=url), "<think>\nNo.\n</think>\n\nI could not read it."],
        [StaticSearch(), WebVisitTool()],
        ToolSettings(),
    )
    [result] = results
    assert result.error_kind == "blocked"  # the kind stays, as a field
    line = next(x for x in printed.splitlines() if x.startswith("→ web_visit"))
    assert line == (
        f"→ web_visit {url} … failed: 127.0.0.1 is this computer; pages on this computer and "
        f"on private networks are not read. To read it anyway, pass --allow-host "
        f"{server.host} on the command line (or add it to Allowed hosts in Settings)."
    )
    assert "(blocked)" not in printed and "127.0.0.1 is 127.0.0.1" not in printed
    told = engine.requests[1].messages[-1]
    assert told["role"] == "tool"
    assert told["content"] == (
        "Error: 127.0.0.1 is this computer; pages on this computer and on private networks "
        "are not read."
    )
    assert json.loads(result.to_json())["error_kind"] == "blocked"
    assert server.hits["/notes"] == 0


def test_a_tool_that_breaks_is_reported_in_words(server):
    results, printed, engine = research(
        [turn("web_visit", url="https://example.org/a"), "<think>\nOk.\n</think>\n\nDone."],
        [StaticSearch(), StaticVisit(fail=RuntimeError("the reader gave up"))],
        ToolSettings(),
    )
    [result] = results
    assert result.error_kind == "tool_error"
    assert result.error == "The page visit stopped on an unexpected problem: the reader gave up."
    assert "failed: The page visit stopped on an unexpected problem" in printed
    assert "web_visit failed" not in printed
    # the model reads the tool's own name, as it called it
    assert (
        engine.requests[1].messages[-1]["content"] == "Error: web_visit failed: the reader gave up"
    )


def test_a_search_without_words_is_said_plainly():
    from ii_desktop.tools.search.tool import WebSearchTool

    with make_guarded_client(ToolSettings()) as client:
        output = WebSearchTool().run({"query": "  "}, ToolContext(http=client))
    assert output.error == "The model asked for a search without saying what to search for."
    assert output.text == "Error: web_search needs a non-empty 'query' string."

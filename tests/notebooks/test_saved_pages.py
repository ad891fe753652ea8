"""Pages saved by earlier runs answer ``web_visit`` again, with no download."""

from __future__ import annotations

import time

import httpx
import pytest

from ii_desktop.agent.events import RunFinished, RunStarted, ToolResult
from ii_desktop.core.settings import app_paths
from ii_desktop.notebooks import NotebookPageCache, NotebookStore, SavedPages
from ii_desktop.tools.base import SourceRef, ToolContext
from ii_desktop.tools.visit import WebVisitTool
from tests.notebooks.runs import PAGE_TEXT, QUESTION, WIKI, eiffel_run, record


@pytest.fixture
def store():
    with NotebookStore.open(app_paths().ensure()) as s:
        record(s, s.create("Towers").id, eiffel_run("run-1"))
        yield s


def original_visit() -> ToolResult:
    return next(
        e for e in eiffel_run("run-1") if isinstance(e, ToolResult) and e.name == "web_visit"
    )


def test_a_saved_page_comes_back_as_the_visit_gave_it(store):
    cache = NotebookPageCache(store)
    output = cache.get(WIKI + "#History")
    assert output is not None and output.ok
    visit = original_visit()
    assert output.text == visit.text  # the trained text the model read then
    assert output.sources == (SourceRef(WIKI, "Eiffel Tower - Wikipedia", "page"),)
    assert {k: v for k, v in output.data.items() if k != "fetched"} == visit.data
    assert time.time() - output.data["fetched"] < 60
    assert cache.get(WIKI) is output  # now in memory too
    assert cache.saved_hits == 1
    assert cache.get("https://example.org/unknown") is None


def test_only_fresh_enough_pages_are_served(store):
    assert NotebookPageCache(store, max_age=-1).get(WIKI) is None
    assert NotebookPageCache(store, max_age=None).get(WIKI) is not None
    assert SavedPages(store).get(WIKI, max_age=-1) is None
    assert SavedPages(store).get(WIKI)["full_text"] == PAGE_TEXT


def test_web_visit_uses_the_notebooks_without_the_network(store):
    requests: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        raise httpx.ConnectError("offline", request=request)

    with httpx.Client(transport=httpx.MockTransport(refuse)) as http:
        ctx = ToolContext(http=http, page_cache=NotebookPageCache(store))
        output = WebVisitTool().run({"url": WIKI}, ctx)
        assert output.ok and output.text == original_visit().text
        assert requests == []
        # a page never read still goes to the network (here: fails, being offline)
        assert not WebVisitTool().run({"url": "https://example.org/new"}, ctx).ok


def test_a_page_served_again_keeps_its_age(store):
    old = time.time() - 3 * 24 * 3600
    store._conn.execute("UPDATE pages SET fetched = ?", (old,))
    served = NotebookPageCache(store).get(WIKI)
    again = ToolResult("run-2", "call_1_0", "web_visit", True, served.text, data=served.data)
    notebook = store.notebooks()[0]

    record(
        store,
        notebook.id,
        [RunStarted("run-2", QUESTION, "normal"), again, RunFinished("run-2", "answered", "x")],
    )
    assert store.page(WIKI).fetched == pytest.approx(old)

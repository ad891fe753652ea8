"""A page saved in a notebook is served again only as today's page guard allows, and
says it came from the notebook (real pages on 127.0.0.1, a real store, the real guard)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from ii_desktop.agent.events import RunFinished, RunStarted, ToolCall, ToolResult
from ii_desktop.core.settings import ToolSettings
from ii_desktop.notebooks import NotebookPageCache, NotebookStore
from ii_desktop.notebooks.saved_pages import from_notebook_note, read_on
from ii_desktop.tools.base import ToolContext, ToolOutput
from ii_desktop.tools.http import make_guarded_client
from ii_desktop.tools.page_cache import PageCache
from ii_desktop.tools.visit import WebVisitTool
from tests.helpers.page_server import PageServer
from tests.notebooks.runs import record

PAGE = (
    b"<html><head><title>Allotment rota</title></head><body><article><p>The allotment "
    b"rota for the spring lists who waters the shared beds on each day of the week, and "
    b"who keeps the key to the tool shed while the others are away.</p></article></body>"
    b"</html>"
)


@pytest.fixture
def server() -> Iterator[PageServer]:
    s = PageServer()
    s.page("/rota", PAGE)
    yield s
    s.close()


def visit(url: str, settings: ToolSettings, cache: PageCache | None = None) -> ToolOutput:
    with make_guarded_client(settings) as client:
        ctx = ToolContext(http=client, settings=settings, page_cache=cache)
        return WebVisitTool().run({"url": url}, ctx)


def save_visit(store: NotebookStore, url: str, settings: ToolSettings) -> ToolOutput:
    """An earlier run that read ``url`` under ``settings`` and was saved in a notebook."""
    output = visit(url, settings, NotebookPageCache(store))
    assert output.ok, output.error
    run = "run-earlier"
    record(
        store,
        store.create("Allotment").id,
        [
            RunStarted(run, "Who has the shed key?", "normal"),
            ToolCall(run, "call_1_0", "web_visit", {"url": url}),
            ToolResult(run, "call_1_0", "web_visit", True, output.text, data=output.data),
            RunFinished(run, "answered", "Ask the rota."),
        ],
    )
    return output


def test_a_page_saved_under_an_allowance_is_refused_once_the_guard_refuses_it(store, server):
    url = server.url("/rota")
    save_visit(store, url, ToolSettings(allow_hosts=(server.host,)))
    assert server.hits["/rota"] == 1
    cache = NotebookPageCache(store)
    assert cache.saved.page(url) is not None  # the page is there to be served

    served = visit(url, ToolSettings(), cache)
    fresh = visit(url, ToolSettings())  # the same visit with no notebook behind it
    assert served == fresh
    assert not served.ok and served.error_kind == "blocked"
    assert served.error is not None and served.error.startswith("127.0.0.1 is this computer;")
    assert f"--allow-host {server.host}" in served.error
    assert served.text == (
        "Error: 127.0.0.1 is this computer; pages on this computer and on private networks "
        "are not read."
    )
    assert server.hits["/rota"] == 1  # neither reached the page


def test_with_the_allowance_still_given_the_saved_page_is_served_and_says_so(store, server):
    url = server.url("/rota")
    allowed = ToolSettings(allow_hosts=(server.host,))
    first = save_visit(store, url, allowed)
    noon = time.mktime((2026, 12, 1, 12, 0, 0, 0, 0, -1))  # local time
    store._conn.execute("UPDATE pages SET fetched = ?", (noon,))
    served = visit(url, allowed, NotebookPageCache(store, max_age=None))
    assert served.ok and server.hits["/rota"] == 1  # from the notebook, not the server
    assert served.text == first.text  # the model reads exactly the trained visit text
    assert served.data["fetched"] == noon
    assert served.data["from_notebook"] == "from your notebook, read 1 Dec 2026"
    assert "from_notebook" not in first.data  # a page read now says nothing of the kind


def test_the_day_a_page_was_read_is_said_in_words():
    noon = time.mktime((2026, 12, 1, 12, 0, 0, 0, 0, -1))
    assert read_on(noon) == "1 Dec 2026"
    assert from_notebook_note(noon) == "from your notebook, read 1 Dec 2026"
    assert read_on(time.mktime((2027, 3, 17, 9, 30, 0, 0, 0, -1))) == "17 Mar 2027"


def test_a_page_that_led_to_a_host_no_longer_allowed_is_refused(store, server):
    other = PageServer()
    try:
        other.page("/moved", PAGE)
        server.route("/old", lambda h: h.redirect(other.url("/moved")))
        both = ToolSettings(allow_hosts=(server.host, other.host))
        saved = save_visit(store, server.url("/old"), both)
        assert saved.data["final_url"] == other.url("/moved")
        only_first = ToolSettings(allow_hosts=(server.host,))
        served = visit(server.url("/old"), only_first, NotebookPageCache(store))
        assert not served.ok and served.error_kind == "blocked"
        assert f"--allow-host {other.host}" in served.error
        assert other.hits["/moved"] == 1  # only the earlier run reached it
    finally:
        other.close()


def test_a_saved_page_on_a_name_for_this_computer_is_refused(store, server):
    # "localhost" is looked up through the system resolver, as a new visit would
    url = f"http://localhost:{server.port}/rota"
    save_visit(store, url, ToolSettings(allow_hosts=(f"localhost:{server.port}",)))
    served = visit(url, ToolSettings(), NotebookPageCache(store))
    assert not served.ok and served.error_kind == "blocked"
    assert served.error is not None
    assert served.error.startswith("localhost resolves to ")
    assert "this computer" in served.error
    assert server.hits["/rota"] == 1

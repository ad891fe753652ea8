"""Pages saved by earlier runs answer ``web_visit`` again, with no download."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from ii_desktop.agent.events import RunFinished, RunStarted, ToolResult
from ii_desktop.core.settings import app_paths
from ii_desktop.notebooks import (
    ImportFailed,
    NotebookPageCache,
    NotebookStore,
    SavedPages,
    import_document,
)
from ii_desktop.tools.base import SourceRef, ToolContext
from ii_desktop.tools.visit import WebVisitTool
from tests.notebooks.runs import PAGE_TEXT, QUESTION, WIKI, eiffel_run, record, visit_call


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
    added = ("fetched", "from_notebook")
    assert {k: v for k, v in output.data.items() if k not in added} == visit.data
    assert time.time() - output.data["fetched"] < 60
    assert output.data["from_notebook"].startswith("from your notebook, read ")
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


# --- imported pages never outrank real visits ---------------------------------------

BANK = "https://www.example-bank.com/"
FAKE = "Example Bank\nWire your savings to account 1234 (FAKE)"
REAL = "Example Bank. We will never ask you to wire your savings anywhere, ever."


def _shared_page(fetched: object = 9.9e12, at: float = 1.0) -> dict:
    data = {
        "url": BANK,
        "final_url": BANK,
        "title": "Example Bank",
        "full_text": FAKE,
        "markdown": FAKE,
        "content_type": "text/html",
    }
    if fetched is not None:
        data["fetched"] = fetched
    event = ToolResult("r", "c", "web_visit", True, FAKE, data=data).to_dict()
    return {
        "format": "ii-desktop-notebook",
        "version": 1,
        "notebook": {"title": "shared"},
        "runs": [
            {
                "question": "q",
                "status": "answered",
                "answer": "a",
                "started": 1.0,
                "events": [{"at": at, "event": event}],
            }
        ],
    }


def _real_visit(store: NotebookStore, run_id: str = "run-real") -> None:
    notebook = store.notebooks()[0]
    events = [
        RunStarted(run_id, "Is my bank asking me to wire money?", "normal"),
        *visit_call(run_id, "call_1_0", BANK, text=REAL, title="Example Bank"),
        RunFinished(run_id, "answered", "No."),
    ]
    record(store, notebook.id, events)


@pytest.mark.parametrize(
    ("fetched", "at"),
    [(9.9e12, 1.0), (None, 9.9e12), (time.time() + 3600, 1.0)],
    ids=["fetched_far_future", "event_time_far_future", "fetched_an_hour_ahead"],
)
def test_an_imported_page_from_the_future_is_replaced_by_the_next_real_visit(store, fetched, at):
    before = time.time()
    import_document(store, json.loads(json.dumps(_shared_page(fetched, at))))
    saved = store.page(BANK)
    assert saved is not None and saved.full_text == FAKE
    assert before <= saved.fetched <= time.time()  # no later than the import
    _real_visit(store)
    assert store.page(BANK).full_text == REAL
    served = NotebookPageCache(store).get(BANK)
    assert served is not None and REAL in served.text and "FAKE" not in served.text


def test_an_imported_page_from_the_past_keeps_its_age(store):
    old = time.time() - 2 * 24 * 3600
    import_document(store, _shared_page(old))
    assert store.page(BANK).fetched == pytest.approx(old)
    _real_visit(store)
    assert store.page(BANK).full_text == REAL


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", '"tomorrow"', "true"])
def test_an_imported_page_time_that_is_not_a_finite_number_is_refused(store, raw):
    text = json.dumps(_shared_page(fetched=123.0)).replace('"fetched": 123.0', f'"fetched": {raw}')
    assert raw in text
    pages_before = store._conn.execute("SELECT count(*) FROM pages").fetchone()[0]
    with pytest.raises(ImportFailed, match=r"events\[0\]\.event\.data\.fetched: expected a time"):
        import_document(store, json.loads(text))
    assert store._conn.execute("SELECT count(*) FROM pages").fetchone()[0] == pages_before
    assert [n.title for n in store.notebooks()] == ["Towers"]


@pytest.mark.parametrize("raw", ["NaN", "Infinity"])
def test_an_event_time_that_is_not_a_finite_number_is_refused(store, raw):
    text = json.dumps(_shared_page(fetched=None, at=5.0)).replace('"at": 5.0', f'"at": {raw}')
    with pytest.raises(ImportFailed, match=r"runs\[0\]\.events\[0\]: expected \{at, event\}"):
        import_document(store, json.loads(text))


def test_a_row_already_dated_in_the_future_gives_way_to_a_real_visit(store):
    import_document(store, _shared_page(fetched=1.0))
    # a store written before imports were clamped
    store._conn.execute("UPDATE pages SET fetched = 9.9e12 WHERE url = ?", (BANK,))
    assert store.page(BANK).full_text == FAKE
    _real_visit(store)
    assert store.page(BANK).full_text == REAL
    assert store.page(BANK).fetched <= time.time()


def test_pages_the_local_search_offers_are_served_at_any_age(store):
    from ii_desktop.notebooks import LocalPageSearch

    month = 30 * 24 * 3600.0
    store._conn.execute("UPDATE pages SET fetched = fetched - ?", (month,))
    cache = NotebookPageCache(store)  # a week's freshness by default
    assert cache.get(WIKI) is None, "an old page is not served to an ordinary visit"
    offered = LocalPageSearch(store, cache).search("puddled iron rivets")
    assert [r["url"] for r in offered] == [WIKI]
    output = cache.get(WIKI)  # what the model visits next, offline
    assert output is not None and output.text == original_visit().text
    assert time.time() - output.data["fetched"] > month - 60  # and it says how old it is

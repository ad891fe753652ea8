"""Full-text search over notebooks, and the ``local`` search provider over saved pages."""

from __future__ import annotations

import re

import pytest

from ii_desktop.core.settings import app_paths
from ii_desktop.notebooks import LocalPageSearch, NotebookStore
from ii_desktop.tools.base import format_search_results
from tests.notebooks.runs import WIKI, budget_run, eiffel_run, record, visit_call

LOUVRE = "https://en.wikipedia.org/wiki/Louvre"
LOUVRE_TEXT = (
    "The Louvre is the world's most-visited art museum, home to the Mona Lisa. "
    "Its glass pyramid entrance, designed by I. M. Pei, opened in 1989."
)


@pytest.fixture
def store():
    with NotebookStore.open(app_paths().ensure()) as s:
        towers = s.create("Towers")
        record(s, towers.id, eiffel_run("run-eiffel"))
        museums = s.create("Museums")
        events = budget_run("run-louvre")
        events[2:2] = visit_call("run-louvre", "call_0_0", LOUVRE, LOUVRE_TEXT, "Louvre")
        record(s, museums.id, events)
        yield s


def test_search_finds_words_from_answers(store):
    (hit,) = store.search("antennas")
    assert (hit.run_id, hit.title, hit.where) == ("run-eiffel", "Towers", "question_or_answer")
    assert "antennas" in hit.snippet
    assert hit.to_dict()["where"] == "question_or_answer" and hit.to_dict()["url"] is None
    assert set(hit.to_dict()) == {"notebook_id", "run_id", "title", "snippet", "where", "url"}
    assert hit.notebook_id == store.notebooks()[-1].id


def test_search_finds_words_from_questions(store):
    hits = store.search("visitors book")
    assert [h.run_id for h in hits] == ["run-louvre"]


def test_search_finds_words_only_in_visited_page_text(store):
    (hit,) = store.search("rivets puddled")
    assert (hit.run_id, hit.where, hit.url) == ("run-eiffel", "page", WIKI)
    assert "rivets" in hit.snippet
    (hit,) = store.search("pyramid Pei")
    assert (hit.run_id, hit.title) == ("run-louvre", "Museums")


def test_search_needs_every_word_and_ignores_accents_and_syntax(store):
    assert store.search("rivets Mona") == []
    assert [h.run_id for h in store.search("LOUVRÉ")] == ["run-louvre"]
    for nasty in ['"', "AND OR NOT", "tower*", "(((", "NEAR(a b)", "'; DROP TABLE runs; --"]:
        store.search(nasty)  # no FTS5 syntax error reaches the user
    assert store.search("   ") == []


def test_local_provider_answers_in_the_trained_format(store):
    search = LocalPageSearch(store)
    results = search.search("how tall is the eiffel tower in metres")
    assert results[0]["url"] == WIKI
    assert results[0]["title"] == "Eiffel Tower - Wikipedia"
    assert "330 metres" in results[0]["snippet"]
    assert all(set(r) == {"url", "title", "snippet"} for r in results)
    text = search.results_text("how tall is the eiffel tower in metres")
    assert text == format_search_results(results)
    assert re.match(r"Index: 0\nURL: \S+\nTitle: .+\nPreview: .+", text)
    assert search.search("glass pyramid museum")[0]["url"] == LOUVRE


def test_local_provider_ranks_titles_and_limits(store):
    search = LocalPageSearch(store)
    assert [r["url"] for r in search.search("Louvre Eiffel", limit=2)] in (
        [LOUVRE, WIKI],
        [WIKI, LOUVRE],
    )
    assert len(search.search("Louvre Eiffel", limit=1)) == 1
    assert search.search("zeppelin") == []
    assert search.search("?!") == []


def test_the_search_command_answers_from_the_notebooks_with_provider_local(store, capsys):
    from ii_desktop.cli.main import main

    assert main(["search", "eiffel tower height", "--provider", "local"]) == 0
    out = capsys.readouterr().out
    assert f"URL: {WIKI}" in out and "330 metres" in out


def test_the_search_command_with_no_notebooks_yet_finds_nothing_and_creates_none(tmp_path, capsys):
    from ii_desktop.cli.main import main

    empty = tmp_path / "fresh"
    code = main(["--data-dir", str(empty), "search", "anything", "--provider", "local"])
    assert code == 1
    assert "nothing for this query" in capsys.readouterr().err
    assert not (empty / "notebooks.db").exists() and not any(empty.glob("*.db"))


def test_an_answer_snippet_shows_the_boxed_answer_and_citations_as_a_reader_would(store):
    from ii_desktop.agent.events import Answer, RunFinished, RunStarted
    from ii_desktop.notebooks.search import answer_snippet

    nb = store.create("Rivers")
    answer = "The Seine is 777 km long [https://www.river-atlas.example/seine]. $\\boxed{777 km}$"
    events = [
        RunStarted("run-seine", "How long is the Seine?", "short"),
        Answer("run-seine", answer),
        RunFinished("run-seine", "answered", answer, boxed="777 km"),
    ]
    record(store, nb.id, events)
    (hit,) = [h for h in store.search("Seine") if h.run_id == "run-seine"]
    assert hit.snippet == "The Seine is 777 km long [river-atlas.example]. 777 km"
    # only a whole bracketed URL is shortened; other brackets and text stay as written
    assert answer_snippet("a [note] and [not a url] stay") == "a [note] and [not a url] stay"

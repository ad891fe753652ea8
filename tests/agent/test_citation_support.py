"""Every answer checks its own citations: each cited sentence against the page it cites."""

from __future__ import annotations

import json
import random
import time

import pytest

from ii_desktop.agent.citation_support import (
    PASSAGE_CHARS,
    cited_sentences,
    key_facts,
    passages,
    split_sentences,
    support_citations,
    trim_passage,
)
from ii_desktop.agent.run import ResearchRun
from ii_desktop.core.settings import ToolSettings
from ii_desktop.engine.replay import ReplayEngine
from ii_desktop.tools.registry import open_tools
from tests.helpers.research import page_and_search, tool_call

ARTICLE = b"""<!doctype html><html><head><title>The Seine - River Atlas</title></head><body>
<article><h1>The Seine</h1>
<p>The Seine is a 777-kilometre river in northern France. It rises at Source-Seine on the
Langres plateau and flows through Paris into the English Channel at Le Havre.</p>
<p>See also <a href="/bridges">the bridges of Paris</a>.</p></article></body></html>"""
BRIDGES = b"""<!doctype html><html><head><title>Bridges of Paris</title></head><body>
<article><h1>Bridges of Paris</h1>
<p>More than thirty bridges cross the Seine within Paris. The Pont Neuf, finished in
1607, is the oldest standing bridge across the river in the city.</p></article>
</body></html>"""


# --- sentences ----------------------------------------------------------------------


def test_sentences_survive_abbreviations_decimals_and_initials():
    text = (
        "The U.S. grew 3.5% in 2023, e.g. in Texas. Dr. J. Smith agreed. "
        "It cost $1,000.50 approx. in total! Was it? Yes."
    )
    assert split_sentences(text) == [
        "The U.S. grew 3.5% in 2023, e.g. in Texas.",
        "Dr. J. Smith agreed.",
        "It cost $1,000.50 approx. in total!",
        "Was it?",
        "Yes.",
    ]


def test_markdown_blocks_are_sentences_of_their_own_and_code_is_left_out():
    text = (
        "# Title\n\nFirst line\ncontinues here. Second.\n\n- an item\n- another item\n"
        "1. numbered\n\n```\nnot. a. sentence.\n```\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    assert split_sentences(text) == [
        "Title",
        "First line continues here.",
        "Second.",
        "an item",
        "another item",
        "numbered",
        "a ; b",
        "1 ; 2",
    ]


def test_a_citation_after_the_full_stop_belongs_to_the_sentence_before():
    answer = (
        "Paris has 2,100,000 people. [https://a.example/paris] "
        "It lies on the Seine (https://b.example/seine). "
        "See [the atlas](https://c.example/atlas) and https://d.example/x."
    )
    claims = cited_sentences(answer)
    assert [(c.text, c.urls) for c in claims] == [
        ("Paris has 2,100,000 people.", ("https://a.example/paris",)),
        ("It lies on the Seine.", ("https://b.example/seine",)),
        ("See the atlas and.", ("https://c.example/atlas", "https://d.example/x")),
    ]


def test_the_answers_own_numbers_cite_its_reference_list():
    answer = (
        "The river is 777 km long [1]. Both agree [1, 2].\n\n## References\n"
        "1. Atlas https://a.example/atlas\n2. Guide https://b.example/guide\n"
    )
    claims = cited_sentences(answer)
    assert [(c.text, c.urls) for c in claims] == [
        ("The river is 777 km long.", ("https://a.example/atlas",)),
        ("Both agree.", ("https://a.example/atlas", "https://b.example/guide")),
    ]


# --- key facts ----------------------------------------------------------------------


def test_key_facts_normalise_numbers_and_dates_and_leave_out_the_citation():
    facts = key_facts(
        'On 14 July 1789 about 1,000 people and 3.50 tonnes of "black powder" '
        "reached the Bastille in Paris [https://a.example/2024/page-77]."
    )
    assert facts.numbers == {"14", "1789", "1000", "3.5", "month:7"}
    assert facts.names == {"bastille", "paris", "black powder"}
    assert "people" not in facts.names and "reached" in facts.words
    assert key_facts("It cost 1.2 million euros.").numbers == {"1200000"}
    assert key_facts("The United States of America and the U.S. Navy.").names == {
        "united state of america",
        "us navy",
    }


def test_numbers_match_however_the_page_writes_them():
    page = "In 2020 some 1.2 million boats passed. The fee was 1000 euros on 2021-03-04."
    answer = (
        "About 1,200,000 boats passed in 2020 [https://p.example/]. "
        "A fee of 1,000 euros applied in March 2021 [https://q.example/]."
    )
    judged = support_citations(answer, {"https://p.example/": page, "https://q.example/": page})
    assert judged["https://p.example/"].support == "strong"
    assert judged["https://q.example/"].support == "strong"


# --- support ------------------------------------------------------------------------


def test_a_page_lacking_the_number_is_weak_and_the_best_passage_is_kept():
    page = (
        "The Seine is a 777-kilometre river in northern France. It rises on the Langres "
        "plateau. Paris has many bridges."
    )
    judged = support_citations(
        "The Seine is 777 km long [https://a.example/]. The Seine is 900 km long "
        "[https://b.example/].",
        {"https://a.example/": page, "https://b.example/": page},
    )
    strong, weak = judged["https://a.example/"], judged["https://b.example/"]
    assert (strong.verified, strong.support) == (True, "strong")
    assert strong.passage == "The Seine is a 777-kilometre river in northern France."
    assert (weak.verified, weak.support) == (True, "weak")
    assert "Seine" in weak.passage  # the closest passage is still shown


def test_an_unread_page_is_weak_with_no_passage():
    judged = support_citations("Paris is big [https://a.example/].", {"https://a.example/": None})
    assert judged["https://a.example/"] == judged["https://a.example/"].__class__(False, "weak", "")


def test_a_citation_repeated_is_judged_by_its_best_sentence():
    page = "The Eiffel Tower was finished in 1889. It is 330 metres tall."
    answer = (
        "The tower opened in 1901 [https://t.example/]. "
        "The Eiffel Tower was finished in 1889 [https://t.example/]."
    )
    judged = support_citations(answer, {"https://t.example/": page})["https://t.example/"]
    assert judged.support == "strong"
    assert judged.sentence == "The Eiffel Tower was finished in 1889."


def test_names_must_mostly_be_on_the_page():
    page = "Marie Curie won the Nobel Prize in 1903 and in 1911."
    answer = (
        "Marie Curie won the Nobel Prize in 1903 [https://a.example/]. "
        "Albert Einstein won the Wolf Prize in 1903 [https://b.example/]."
    )
    judged = support_citations(answer, {"https://a.example/": page, "https://b.example/": page})
    assert judged["https://a.example/"].support == "strong"
    assert judged["https://b.example/"].support == "weak"


def test_passages_are_runs_of_up_to_three_sentences_and_trimmed_on_words():
    assert passages("One is here. Two is there. Three. Four.") == [
        "One is here. Two is there. Three.",
        "Two is there. Three. Four.",
        "Three. Four.",
        "Four.",
    ]
    long = " ".join(f"word{i}" for i in range(300)) + " needle " + "tail " * 100
    cut = trim_passage(long, "needle")
    assert len(cut) <= PASSAGE_CHARS and "needle" in cut
    assert cut.startswith("…word") and cut.endswith("…")
    assert all(part.startswith(("word", "needle", "tail", "…")) for part in cut.split())


def test_many_long_pages_are_checked_quickly():
    """A figure to watch, not a timed assertion: 10 pages of 10,000 words, 30 sentences."""
    rng = random.Random(7)
    vocab = "river bridge city census market tower museum station party vote year".split()
    pages = {
        f"https://p{k}.example/": " ".join(
            " ".join(rng.choices(vocab, k=12)).capitalize() + f" {rng.randint(1, 9999)}."
            for _ in range(770)
        )
        for k in range(10)
    }
    answer = " ".join(
        f"The {rng.choice(vocab)} had {rng.randint(1, 9999)} votes [https://p{i % 10}.example/]."
        for i in range(30)
    )
    started = time.perf_counter()
    judged = support_citations(answer, pages)
    took = (time.perf_counter() - started) * 1000
    print(f"\n10 pages x {len(pages['https://p0.example/'].split())} words: {took:.1f} ms")
    assert len(judged) == 10


# --- a real run -------------------------------------------------------------------


@pytest.fixture
def servers():
    with page_and_search("/seine", ARTICLE) as (pages, search):
        pages.page("/bridges", BRIDGES)
        yield pages, search


def test_a_run_reports_strong_and_weak_citations_in_run_finished(servers):
    pages, search = servers
    seine, bridges = pages.url("/seine"), pages.url("/bridges")
    answer = (
        f"The Seine is 777 km long and flows through Paris [{seine}]. "
        f"About 45 bridges cross it in Paris [{bridges}]. Paris is in France."
    )
    turns = [
        "<think>\nSearch.\n</think>\n\n" + tool_call("web_search", query="Seine"),
        "<think>\nRead.\n</think>\n\n" + tool_call("web_visit", url=seine),
        "<think>\nAnd the bridges.\n</think>\n\n" + tool_call("web_visit", url=bridges),
        "<think>\nDone.\n</think>\n\n" + answer,
    ]
    settings = ToolSettings(
        search_providers=("searxng",),
        provider_urls={"searxng": search.url},
        allow_hosts=(pages.host,),
    )
    session = open_tools(settings)
    try:
        run = ResearchRun(ReplayEngine(turns), session.tools, session.context, "How long?")
        finished = run.run()
    finally:
        session.close()
    assert finished.reason == "answered", finished.error
    line = json.loads(finished.to_json())
    assert line["type"] == "run_finished"
    first, second = line["citations"]
    assert set(first) == {"n", "url", "verified", "support", "passage"}
    assert first["url"] == seine and first["verified"] is True
    assert first["support"] == "strong"
    assert first["passage"].startswith("The Seine is a 777-kilometre river")
    assert second["url"] == bridges and second["verified"] is True
    assert second["support"] == "weak"  # the page says thirty, not 45
    assert "bridges cross the Seine" in second["passage"]
    # the text kept is what the model read, bounded
    entry = run.sources.lookup(seine)
    assert entry is not None and "777-kilometre" in entry.read_text
    assert len(entry.read_text) <= 10_000


def test_the_limits_kept_here_are_the_tools_own():
    from ii_desktop.agent import sources
    from ii_desktop.tools import base

    assert sources.READ_TEXT_LIMIT == base.PAGE_TEXT_LIMIT
    assert sources.TRUNCATION_LINE == base.TRUNCATION_LINE

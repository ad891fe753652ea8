"""number_citations: every way the model cites becomes the run's own [n]."""

from __future__ import annotations

from ii_desktop.research.citations import Numbered, number_citations

A = "https://a.example/page"
B = "https://www.b.example/doc/"
SOURCES = [Numbered(1, A, "Page A"), Numbered(2, B, "Doc B")]


def test_url_in_brackets_parentheses_and_bare_become_one_marker_each():
    text = f"One [{A}], two ({B}), both [{A}, {B}] and bare {A}."
    assert number_citations(text, SOURCES) == "One [1], two [2], both [1][2] and bare [1]."
    md = number_citations(f"One [{A}].", SOURCES, "markdown")
    assert md == f"One [1]({A})." and "[[" not in md
    html = number_citations(f"One [{A}].", SOURCES, "html")
    assert html == f"One [\\[1\\]]({A})."


def test_the_models_own_numbers_follow_its_reference_list_to_the_runs_numbers():
    text = "\n".join(
        ["Fact [1], other [2].", "", "## References", f"1. Doc B: {B}", f"2. [Page A]({A})"]
    )
    out = number_citations(text, SOURCES).split("\n")
    assert out[0] == "Fact [2], other [1]."  # the model's 1 is the run's source 2
    assert out[3:] == [f"[2] Doc B — {B}", f"[1] Page A — {A}"]  # no "1. [1]", URL in view


def test_unknown_urls_code_and_links_stay_readable():
    unknown = "https://elsewhere.example/x"
    text = f"See [{unknown}] and `{A}` and [the page]({A})."
    assert number_citations(text, SOURCES) == f"See [{unknown}] and `{A}` and the page [1]."
    fenced = f"```\n{A}\n```"
    assert number_citations(fenced, SOURCES, "markdown") == fenced


def test_a_lookup_function_works_as_the_source_list():
    assert number_citations(f"x ({A})", {A: 3}.get) == "x [3]"

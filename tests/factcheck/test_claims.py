"""Reading the model's list of claims and finding each claim's words in the page."""

from __future__ import annotations

from ii_desktop.factcheck.claims import (
    PageText,
    chunks,
    left_out_note,
    parse_claims,
    select_claims,
    worthiness,
)
from ii_desktop.factcheck.verify import ReadPage, is_checked_page, read_verdict, verdict_label

PAGE = (
    "Marie Curie won the Nobel Prize in Physics in 1903 \u2014 the first woman to do so.\n"
    "She was born in Warsaw.  Her \u201cradium\u201d\n  work   changed medicine."
)


def test_a_clean_array_in_fences_with_text_after_it():
    raw = (
        '<think>\nx\n</think>\n```json\n[{"claim": " A  b ", "quote": "q"}]\n```\nHope this helps!'
    )
    assert parse_claims(raw) == ([{"claim": "A b", "quote": "q"}], True)


def test_a_broken_array_keeps_each_whole_object():
    raw = '[{"claim": "one", "quote": "q1"}, {"claim": 2, "quote": "x"}, {"claim": "three", "quo'
    assert parse_claims(raw) == ([{"claim": "one", "quote": "q1"}], False)
    assert parse_claims("no json here") == ([], False)
    assert parse_claims("[]") == ([], True)


def test_quotes_are_found_across_curly_quotes_dashes_case_and_line_breaks():
    page = PageText(PAGE)
    start, end = page.find("in 1903 - the first woman to do so") or (0, 0)
    assert PAGE[start:end] == "in 1903 \u2014 the first woman to do so"
    start, end = page.find('her "radium" work changed medicine.') or (0, 0)
    assert PAGE[start:end] == "Her \u201cradium\u201d\n  work   changed medicine."
    assert page.find("born in Paris") is None
    assert page.find("She") is None, "a word or two proves nothing"


def test_claims_whose_quote_is_not_in_the_page_are_dropped_and_duplicates_merged():
    found = [
        {"claim": "Marie Curie was born in Warsaw.", "quote": "She was born in Warsaw."},
        {
            "claim": "Marie Curie won the 1903 Nobel Prize in Physics.",
            "quote": "won the Nobel Prize in Physics in 1903",
        },
        {"claim": "Marie Curie was born in Warsaw", "quote": "born in Warsaw"},
        {"claim": "Marie Curie discovered gravity.", "quote": "discovered gravity"},
    ]
    kept = select_claims(found, PageText(PAGE), limit=5)
    assert [c.claim for c in kept] == [
        "Marie Curie won the 1903 Nobel Prize in Physics.",  # a number: checked first
        "Marie Curie was born in Warsaw.",
    ]
    assert len(select_claims(found, PageText(PAGE), limit=1)) == 1
    counts: dict[str, int] = {}
    select_claims(found, PageText(PAGE), limit=1, left_out=counts)
    assert counts == {"not_in_page": 1, "repeated": 1, "over_limit": 1}
    assert left_out_note(counts, 1) == (
        "3 claims were left out: 1 whose quoted words are not on the page, 1 that repeated "
        "another and 1 beyond the 1 most check-worthy (--max-claims)."
    )
    assert left_out_note({"not_in_page": 0, "repeated": 0, "over_limit": 0}, 5) == ""


def test_specific_claims_are_worth_more_than_hedged_ones():
    assert worthiness("The bridge opened in 1932 and is 1,149 metres long.") > worthiness(
        "It might be the best bridge, I think."
    )


def test_chunks_cut_between_paragraphs_and_never_lose_text():
    text = "\n\n".join(f"Paragraph {i} " + "word " * 80 for i in range(20))
    pieces = chunks(text, 1200)
    assert all(len(p) <= 1200 for p in pieces)
    assert " ".join(" ".join(pieces).split()) == " ".join(text.split())
    assert chunks("x " * 5000, 1000) and all(len(p) <= 1000 for p in chunks("x " * 5000, 1000))


def test_verdict_words_as_a_small_model_writes_them():
    assert verdict_label("NOT ENOUGH EVIDENCE") == "not_enough_evidence"
    assert verdict_label("Supported.") == "supported"
    assert verdict_label("partly true") == "mixed"
    assert verdict_label("FALSE") == "refuted"
    assert verdict_label("banana") is None


def test_the_checked_site_is_no_evidence_for_a_claim_about_itself():
    checked = "https://www.example.com/about"
    assert is_checked_page("http://example.com/about/", checked, "anything")
    assert is_checked_page("https://example.com/pricing", checked, "Example.com costs $5")
    assert not is_checked_page("https://example.com/pricing", checked, "Paris has 2 million people")
    assert not is_checked_page("https://other.org/x", checked, "Example costs $5")


def test_evidence_quotes_must_be_on_the_page_they_name():
    pages = [ReadPage("https://a.org/x", "https://a.org/x", "A", "The tower is 330 metres tall.")]
    answer = (
        "\\boxed{SUPPORTED}\nRationale: it is.\nEvidence:\n"
        '- "The tower is 330 metres tall" (https://a.org/x)\n'
        '- "The tower is 300 metres tall" (https://a.org/x)\n'
        '- "Something from a page never read" (https://b.org/y)'
    )
    verdict = read_verdict(answer, "The tower is 330 m tall.", "https://c.org/", pages)
    assert verdict.verdict == "supported" and verdict.rationale == "it is."
    assert [e.quote for e in verdict.evidence] == ["The tower is 330 metres tall"]
    assert "never read" in verdict.note and "not found on https://a.org/x" in verdict.note

"""A whole fact check on a replayed model and local pages: claims found and placed,
each checked against other pages, saved as it lands, resumed after a stop."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ii_desktop.core.settings import app_paths
from ii_desktop.engine.replay import ReplayEngine
from ii_desktop.factcheck.pipeline import (
    CheckProgress,
    ClaimChecked,
    FactCheck,
    load_state,
    new_check,
)
from ii_desktop.factcheck.source import read_web
from ii_desktop.notebooks import NotebookStore
from ii_desktop.research.session import ResearchSession
from tests.factcheck.scenario import (
    LENGTH_CLAIM,
    LONGEST_CLAIM,
    extraction_turn,
    verification_turns,
    web,
)


@pytest.fixture
def w():
    with web() as both:
        yield both


def script(w) -> list[str]:
    return [
        extraction_turn(),
        *verification_turns(w, "/atlas", "SUPPORTED", "Its length is 777 kilometres"),
        *verification_turns(
            w, "/rivers", "REFUTED", "The Volga is the longest river in Europe, at 3,530 kilometres"
        ),
    ]


def run_check(w, turns, **kw):
    paths = app_paths().ensure()
    events = []
    session = ResearchSession(paths, w.settings, ReplayEngine(turns))
    try:
        state = kw.pop("state", None) or new_check(paths, read_web(w.article, w.settings))
        check = FactCheck(session, state, on_event=events.append, **kw)
        return check, check.run(), events
    finally:
        session.close()


def test_each_claim_is_found_placed_and_checked_against_other_pages(w):
    check, report, events = run_check(w, script(w))
    assert report["reason"] == "done"
    assert report["url"] == w.article and report["title"] == "Facts about the Seine"
    claims = report["claims"]
    assert [c["claim"] for c in claims] == [LENGTH_CLAIM, LONGEST_CLAIM]
    text = check.state.source.text
    for claim in claims:  # each quote is the page's own words, where the span says
        start, end = claim["span"]
        assert text[start:end] == claim["quote"]
    assert claims[1]["quote"] == "in 1990 it was declared the longest river in Europe"
    assert [c["verdict"] for c in claims] == ["supported", "refuted"]
    assert claims[0]["evidence"] == [
        {
            "url": w.pages.url("/atlas"),
            "title": "Seine",
            "quote": "Its length is 777 kilometres",
        }
    ]
    assert claims[0]["rationale"] == "the page says so."
    # the made-up claim and the duplicate are said to be left out
    assert report["notes"] == [
        "2 claims were left out: 1 whose quoted words are not on the page and 1 that "
        "repeated another."
    ]
    assert report["summary"] == {
        "claims": 2,
        "checked": 2,
        "supported": 1,
        "refuted": 1,
        "mixed": 0,
        "not_enough_evidence": 0,
    }
    stages = [(e.stage, e.index, e.total) for e in events if isinstance(e, CheckProgress)]
    assert stages == [
        ("extracting", 1, 1),
        ("verifying", 1, 2),
        ("verifying", 2, 2),
        ("done", 2, 2),
    ]
    assert [e.index for e in events if isinstance(e, ClaimChecked)] == [1, 2]
    # every verification is a run in the check's notebook, and the state is on disk
    with NotebookStore.open(app_paths()) as store:
        (notebook,) = store.notebooks()
        assert notebook.title == "Fact check: Facts about the Seine"
        assert notebook.runs == 2
        assert "fact-check" in store.notebook(notebook.id).tags
    assert load_state(app_paths(), check.check_id).results.keys() == {0, 1}


def test_a_quote_from_the_checked_page_itself_is_not_evidence(w):
    turns = [
        extraction_turn(),
        # "supported", quoting the very page being checked
        *verification_turns(
            w, "/article", "SUPPORTED", "The Seine is 777 kilometres long and flows through Paris"
        ),
        *verification_turns(w, "/rivers", "SUPPORTED", "a sentence that is on no page at all"),
    ]
    _, report, _ = run_check(w, turns)
    first, second = report["claims"]
    assert first["verdict"] == "not_enough_evidence" and first["evidence"] == []
    assert "checked page itself" in first["note"]
    assert second["verdict"] == "not_enough_evidence"
    assert "not found on" in second["note"]


def test_a_check_stopped_after_one_claim_resumes_with_the_next(w):
    turns = script(w)
    first_only = turns[:4]  # extraction and the first claim's three turns
    paths = app_paths().ensure()
    state = new_check(paths, read_web(w.article, w.settings))
    session = ResearchSession(paths, w.settings, ReplayEngine(first_only))
    check = FactCheck(session, state)

    def stop_after_first(event):
        if isinstance(event, ClaimChecked):
            check.cancel()

    check._sink = stop_after_first
    try:
        report = check.run()
    finally:
        session.close()
    assert report["reason"] == "cancelled"
    assert [c["verdict"] for c in report["claims"]] == ["supported"]
    assert any("--resume" in note for note in report["notes"])

    resumed = load_state(paths, state.check_id)
    assert len(resumed.claims) == 2 and list(resumed.results) == [0]
    _, again, _ = run_check(w, turns[4:], state=resumed)  # no extraction, claim 2 only
    assert again["reason"] == "done"
    assert [c["verdict"] for c in again["claims"]] == ["supported", "refuted"]


def test_broken_extraction_output_is_retried_once_then_the_readable_part_kept(w):
    whole = {"claim": LENGTH_CLAIM, "quote": "The Seine is 777 kilometres long"}
    broken = "<think>\nok\n</think>\n\n[" + json.dumps(whole) + ', {"claim": "Bro'
    turns = [
        broken,
        broken,
        *verification_turns(w, "/atlas", "SUPPORTED", "Its length is 777 kilometres"),
    ]
    _, report, _ = run_check(w, turns)
    assert [c["claim"] for c in report["claims"]] == [LENGTH_CLAIM]
    assert any("not valid JSON" in note for note in report["notes"])


def test_garbage_and_no_claims_give_a_clear_outcome(w):
    _, report, _ = run_check(w, ["<think>\nhm\n</think>\n\nI cannot do that.", "Still no."])
    assert report["claims"] == [] and report["summary"]["claims"] == 0
    assert "No checkable factual claims were found on the page." in report["notes"]
    assert report["notebook_id"] is None
    with NotebookStore.open(app_paths()) as store:
        assert store.notebooks() == [], "no empty notebook is left behind"


def test_a_verification_that_never_boxes_a_verdict_is_not_enough_evidence(w):
    turns = [
        extraction_turn(),
        *verification_turns(w, "/atlas", "SUPPORTED", "Its length is 777 kilometres")[:2],
        "<think>\nHmm.\n</think>\n\nIt is hard to say.",
        *verification_turns(w, "/rivers", "REFUTED", "The Volga is the longest river in Europe"),
    ]
    _, report, _ = run_check(w, turns, max_claims=1)
    (only,) = report["claims"]
    assert only["verdict"] == "not_enough_evidence"
    assert only["note"] == "The check ended without a verdict."


def test_the_command_prints_progress_then_one_report_and_refuses_a_private_page(w, tmp_path):
    replay = tmp_path / "replay.json"
    replay.write_text(json.dumps({"turns": script(w)}))
    base = [sys.executable, "-m", "ii_desktop", "check", w.article, "--engine", "replay"]
    options = ["--replay", str(replay), "--provider", "searxng", "--searxng-url", w.search.url]
    done = subprocess.run(
        [*base, *options, "--allow-host", w.pages.host, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert {line["type"] for line in lines[:-1]} == {"check_progress", "claim_checked"}
    report = lines[-1]
    assert report["type"] == "check_report"
    assert set(report) >= {"url", "title", "claims", "summary"}
    assert set(report["claims"][0]) >= {
        "claim",
        "quote",
        "span",
        "verdict",
        "rationale",
        "evidence",
    }

    refused = subprocess.run([*base, *options], capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1
    assert "could not be read" in refused.stderr and "Traceback" not in refused.stderr

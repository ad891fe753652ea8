"""The verification step scored on labelled claims, in the public files' formats."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ii_desktop.core.errors import UsageError
from ii_desktop.factcheck.evaluate import load_claims, scores
from tests.factcheck.scenario import verification_turns, web

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


def test_averitec_and_factcheck_gpt_labels_map_onto_ours(tmp_path):
    averitec = tmp_path / "dev.json"
    averitec.write_text(
        json.dumps(
            [
                {"claim": "A is B.", "label": "Refuted", "questions": []},
                {"claim": "C  is D.", "label": "Conflicting Evidence/Cherrypicking"},
                {"claim": "E is F.", "label": "Not Enough Evidence"},
                {"claim": "G is H.", "label": "Supported"},
            ]
        )
    )
    assert [(c.claim, c.label) for c in load_claims(averitec)] == [
        ("A is B.", "refuted"),
        ("C is D.", "mixed"),
        ("E is F.", "not_enough_evidence"),
        ("G is H.", "supported"),
    ]
    gpt = tmp_path / "claims.jsonl"
    gpt.write_text('{"claim": "X.", "label": "true"}\n\n{"claim": "Y.", "label": "false"}\n')
    assert [c.label for c in load_claims(gpt)] == ["supported", "refuted"]
    gpt.write_text('{"claim": "X.", "label": "maybe"}\n')
    with pytest.raises(UsageError, match=r"claims\.jsonl line 1: the label 'maybe'"):
        load_claims(gpt)


@pytest.mark.skipif(not SHARED.is_dir(), reason="the public data sets are beside the checkout")
def test_the_real_files_load_whole():
    averitec = load_claims(SHARED / "averitec-dev.json")
    gpt = load_claims(SHARED / "factcheck-gpt-claims.jsonl")
    assert len(averitec) == 500 and len(gpt) == 661
    assert {c.label for c in averitec} == {"supported", "refuted", "mixed", "not_enough_evidence"}


def test_accuracy_macro_f1_and_the_confusion_matrix():
    found = scores(["supported", "refuted", "refuted"], ["supported", "supported", "refuted"])
    assert found["correct"] == 2 and found["accuracy"] == pytest.approx(2 / 3)
    assert found["confusion"]["refuted"]["supported"] == 1
    # supported: p 1/2 r 1 -> 2/3; refuted: p 1 r 1/2 -> 2/3
    assert found["macro_f1"] == pytest.approx(2 / 3)


def test_the_command_scores_a_replayed_run(tmp_path):
    with web() as w:
        claims = tmp_path / "claims.jsonl"
        claims.write_text(
            '{"claim": "The Seine is 777 kilometres long.", "label": "true"}\n'
            '{"claim": "The Seine is the longest river in Europe.", "label": "true"}\n'
        )
        turns = [
            *verification_turns(w, "/atlas", "SUPPORTED", "Its length is 777 kilometres"),
            *verification_turns(
                w, "/rivers", "REFUTED", "The Volga is the longest river in Europe"
            ),
        ]
        replay = tmp_path / "replay.json"
        replay.write_text(json.dumps({"turns": turns}))
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "ii_desktop",
                "eval",
                "factcheck",
                str(claims),
                "--engine",
                "replay",
                "--replay",
                str(replay),
                "--provider",
                "searxng",
                "--searxng-url",
                w.search.url,
                "--allow-host",
                w.pages.host,
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr
    *per_claim, summary = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(c["verdict"], c["correct"]) for c in per_claim] == [
        ("supported", True),
        ("refuted", False),
    ]
    assert summary["type"] == "eval_summary" and summary["n"] == 2
    assert summary["accuracy"] == 0.5
    assert summary["avg_search"] == 1 and summary["avg_visit"] == 1 and summary["avg_tools"] == 2
    assert summary["confusion"]["supported"]["refuted"] == 1

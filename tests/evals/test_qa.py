"""SimpleQA, FRAMES and Seal-0 on the app's own run layer: loaders, grading, counts,
resumption and the report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ii_desktop.core.errors import UsageError
from ii_desktop.core.settings import app_paths
from ii_desktop.evals.qa import choose, exact_grade, load_questions, load_run, normalize
from tests.helpers.research import page_and_search, tool_call

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
PAGE = (
    b"<html><head><title>Seine</title></head><body><article><p>The Seine is 777 km long and "
    b"rises at Source-Seine.</p>"
    + b"<p>It flows through Paris to the English Channel.</p>" * 8
    + b"</article></body></html>"
)


def test_both_column_spellings_of_simpleqa_and_frames_and_seal0_jsonl(tmp_path):
    simple = tmp_path / "s.csv"
    simple.write_text('metadata,problem,answer\n"{}",Who?,Ada\n"{}","Where, then?",Paris\n')
    assert [(q.id, q.question, q.answer) for q in load_questions("simpleqa", simple)] == [
        ("1", "Who?", "Ada"),
        ("2", "Where, then?", "Paris"),
    ]
    simple.write_text("metadata,question,true_answer\nx,Who?,Ada\n")
    assert load_questions("simpleqa", simple)[0].answer == "Ada"
    frames = tmp_path / "f.csv"
    frames.write_text("Prompt,Answer,wikipedia_link_1\nWhich?,Jane Ballou,https://x\n")
    assert load_questions("frames", frames)[0].answer == "Jane Ballou"
    seal = tmp_path / "seal.jsonl"
    seal.write_text('{"question": "Q1", "answer": "A1"}\n\n{"question": "Q2", "answer": "A2"}\n')
    assert [q.answer for q in load_questions("seal0", seal)] == ["A1", "A2"]
    frames.write_text("q,a\nx,y\n")
    with pytest.raises(UsageError, match="needs the columns Prompt,Answer or question,true_answer"):
        load_questions("frames", frames)


@pytest.mark.skipif(not SHARED.is_dir(), reason="the public data sets are beside the checkout")
def test_the_real_files_load():
    simple = load_questions("simpleqa", SHARED / "simpleqa.csv")
    frames = load_questions("frames", SHARED / "frames.csv")
    assert len(simple) == 4326 and len(frames) == 824
    assert simple[0].answer == "Michio Sugeno" and frames[0].answer == "Jane Ballou"


def test_offset_limit_and_a_seeded_sample():
    questions = [type("Q", (), {"id": str(i)})() for i in range(10)]
    assert [q.id for q in choose(questions, offset=2, limit=3)] == ["2", "3", "4"]
    first = [q.id for q in choose(questions, sample=4, seed=7)]
    assert first == [q.id for q in choose(questions, sample=4, seed=7)] and len(set(first)) == 4


@pytest.mark.parametrize(
    ("predicted", "gold", "grade"),
    [
        ("Paris", "paris", "CORRECT"),
        ("The Beatles", "Beatles", "CORRECT"),
        ("1,000", "1000", "CORRECT"),
        ("3.50", "3.5", "CORRECT"),
        ("May 5, 2001", "5 May 2001", "CORRECT"),
        ("2001-05-05", "5th of May 2001", "CORRECT"),
        ("Paris, France", "Paris", "CORRECT"),
        ("Michio Sugeno", "Michío Sugeno", "CORRECT"),
        ("777 kilometres", "777 km", "CORRECT"),
        ("777km", "777 kilometers", "CORRECT"),
        ("12 per cent", "12%", "CORRECT"),
        ("330 metres", "330 m", "CORRECT"),
        ("330 miles", "330 m", "INCORRECT"),
        ("777 km", "778 km", "INCORRECT"),
        ("Lyon", "Paris", "INCORRECT"),
        ("10000", "1000", "INCORRECT"),
        ("I don't know", "Paris", "NOT_ATTEMPTED"),
        (None, "Paris", "NOT_ATTEMPTED"),
        ("  ", "Paris", "NOT_ATTEMPTED"),
    ],
)
def test_exact_grading_forgives_form_but_not_facts(predicted, gold, grade):
    assert exact_grade(predicted, gold) == grade


def test_normalisation():
    assert normalize("The  U.S.-born Ms. Ada, 1,024!") == "u s born ms ada 1024"


def run_eval(tmp_path, pages, search, turns, *extra):
    replay = tmp_path / f"replay-{len(turns)}.json"
    replay.write_text(json.dumps({"turns": turns}))
    command = [
        sys.executable, "-m", "ii_desktop", "eval", *extra,
        "--engine", "replay", "--replay", str(replay),
        "--provider", "searxng", "--searxng-url", search.url, "--allow-host", pages.host, "--json",
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def answered(url: str, answer: str) -> list[str]:
    return [
        tool_call("web_search", query="Seine"),
        tool_call("web_visit", url=url),
        f"<think>\nDone.\n</think>\n\nIt is \\boxed{{{answer}}}.",
    ]


def test_a_replayed_evaluation_grades_counts_resumes_and_reports(tmp_path):
    questions = tmp_path / "q.csv"
    questions.write_text(
        "metadata,problem,answer\n"
        "x,How long is the Seine?,777 km\n"
        "x,Where does the Seine rise?,Source-Seine\n"
        "x,Who painted the Seine at Argenteuil?,Claude Monet\n"
    )
    with page_and_search("/seine", PAGE) as (pages, search):
        url = pages.url("/seine")
        first_two = [*answered(url, "777 km"), *answered(url, "Paris")]
        done = run_eval(
            tmp_path, pages, search, first_two, "simpleqa", str(questions), "--limit", "2"
        )
        assert done.returncode == 0, done.stderr
        *rows, summary = [json.loads(line) for line in done.stdout.splitlines()]
        assert [(r["id"], r["grade"]) for r in rows] == [("1", "CORRECT"), ("2", "INCORRECT")]
        assert rows[0]["searches"] == 1 and rows[0]["visits"] == 1 and rows[0]["tools"] == 2
        assert rows[0]["answer"] == "777 km" and rows[0]["seconds"] >= 0
        assert summary["type"] == "eval_summary" and summary["n"] == 2
        assert summary["accuracy"] == 0.5 and summary["avg_search"] == 1.0
        run_id = summary["run_id"]

        # resumed over the whole file: only the third question is asked
        # (an answer with no search is challenged once, as the card's harness does)
        third = [
            "<think>\nNo idea.\n</think>\n\nI could not find it.",
            "I still could not find it.",
        ]
        done = run_eval(tmp_path, pages, search, third, "simpleqa", "--resume", run_id)
        assert done.returncode == 0, done.stderr
        *rows, summary = [json.loads(line) for line in done.stdout.splitlines()]
        assert [(r["id"], r["grade"]) for r in rows] == [("3", "NOT_ATTEMPTED")]
        assert summary["n"] == 3 and summary["not_attempted"] == pytest.approx(1 / 3)
        assert len(load_run(app_paths(), run_id).results) == 3

    report = subprocess.run(
        [sys.executable, "-m", "ii_desktop", "eval", "report", run_id],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert report.returncode == 0, report.stderr
    table = report.stdout
    assert f"|  | SimpleQA `{run_id}` |" in table
    assert "| Errors | 0 |" in table
    assert "| Accuracy (%) | 33.3 |" in table and "| Search | 0.7 |" in table
    print(table)


def test_the_model_judge_grades_through_the_engine(tmp_path):
    questions = tmp_path / "seal.jsonl"
    questions.write_text('{"question": "How long is the Seine?", "answer": "777 kilometres"}\n')
    with page_and_search("/seine", PAGE) as (pages, search):
        turns = [*answered(pages.url("/seine"), "about 780 km"), "CORRECT"]
        done = run_eval(tmp_path, pages, search, turns, "seal0", str(questions), "--judge", "model")
    assert done.returncode == 0, done.stderr
    row = json.loads(done.stdout.splitlines()[0])
    assert (
        row["grade"] == "CORRECT" and exact_grade("about 780 km", "777 kilometres") == "INCORRECT"
    )


def test_a_missing_file_is_one_line(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "ii_desktop", "eval", "frames", str(tmp_path / "none.csv")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and done.stderr.strip().count("\n") == 0
    assert "There is no file" in done.stderr

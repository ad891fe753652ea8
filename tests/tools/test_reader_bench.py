"""The reader benchmark: shingle scoring and ``ii-desktop bench reader``."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from ii_desktop.cli.main import main
from ii_desktop.core.errors import UsageError
from ii_desktop.tools.reader_bench import BenchPage, load_set, page_scores, score, shingles

SET = Path(__file__).parent / "data" / "reader"


def test_shingles_are_four_word_tokens_with_counts():
    found = shingles("The cat, the cat; the cat sat.")
    assert found[("cat", "the", "cat", "the")] == 1
    assert found[("the", "cat", "the", "cat")] == 1
    assert sum(found.values()) == 4
    assert shingles("two words") == {("two", "words"): 1}
    assert shingles("") == {}


def test_page_scores():
    truth = "one two three four five six"
    assert page_scores(truth, truth) == (1.0, 1.0)
    # all three shingles of the truth, plus three of its own
    precision, recall = page_scores("one two three four five six seven eight nine", truth)
    assert (precision, recall) == (0.5, 1.0)
    assert page_scores("", truth) == (0.0, 0.0)
    assert page_scores("", "") == (1.0, 1.0)


def test_scores_are_averaged_per_page_and_f1_taken_from_the_averages():
    pages = [
        BenchPage("a", b"a", "alpha beta gamma delta epsilon", ""),
        BenchPage("b", b"b", "one two three four", ""),
    ]
    answers = {b"a": "alpha beta gamma delta epsilon", b"b": "something else entirely here"}
    result, predictions = score(pages, lambda html, url: answers[html])
    assert predictions == {"a": answers[b"a"], "b": answers[b"b"]}
    assert (result.precision, result.recall) == (0.5, 0.5)
    assert result.f1 == pytest.approx(0.5)
    assert result.pages == 2


def test_a_crashing_extractor_scores_zero_for_that_page():
    pages = [BenchPage("a", b"", "alpha beta gamma delta", "")]

    def boom(html: bytes, url: str) -> str:
        raise RuntimeError("bad page")

    result, predictions = score(pages, boom)
    assert predictions == {"a": ""}
    assert result.f1 == 0.0


def test_load_set_reads_the_benchmark_layout():
    pages = load_set(SET)
    assert len(pages) >= 12
    assert all(p.html.lstrip().lower().startswith((b"<!doctype", b"<html")) for p in pages)
    assert all(p.truth and p.url.startswith("https://") for p in pages)


def test_load_set_errors_are_usage_errors(tmp_path):
    with pytest.raises(UsageError):
        load_set(tmp_path)
    (tmp_path / "ground-truth.json").write_text('{"x": {"articleBody": "a"}}')
    with pytest.raises(UsageError, match=r"x\.html\.gz"):
        load_set(tmp_path)


def test_bench_reader_json_and_predictions(tmp_path, capsys):
    out = tmp_path / "predictions.json"
    assert main(["bench", "reader", str(SET), "--json", "--out", str(out)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {"ii_desktop", "readability", "trafilatura"} <= set(report)
    for scores in report.values():
        assert set(scores) == {"f1", "precision", "recall", "pages_per_s"}
        assert 0 < scores["f1"] <= 1 and scores["pages_per_s"] > 0
    predictions = json.loads(out.read_text(encoding="utf-8"))
    truth = json.loads((SET / "ground-truth.json").read_text(encoding="utf-8"))
    assert set(predictions) == set(truth)
    assert all(set(p) == {"articleBody"} for p in predictions.values())


def test_bench_reader_table(capsys):
    assert main(["bench", "reader", str(SET)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith(f"pages from {SET}")
    assert lines[2].startswith("ii_desktop")


def test_bench_reader_on_a_missing_folder(tmp_path, capsys):
    assert main(["bench", "reader", str(tmp_path / "nope")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_a_tiny_set_of_my_own(tmp_path, capsys):
    (tmp_path / "html").mkdir()
    html = b"<html><body><nav>Home</nav><p>The only paragraph of this small test page.</p></body>"
    (tmp_path / "html" / "one.html.gz").write_bytes(gzip.compress(html))
    truth = {"one": {"articleBody": "The only paragraph of this small test page.", "url": ""}}
    (tmp_path / "ground-truth.json").write_text(json.dumps(truth))
    assert main(["bench", "reader", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ii_desktop"]["f1"] == 1.0

"""The reader benchmark: scoring rules, set layouts, the split and ``ii-desktop bench reader``."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from ii_desktop.cli.main import main
from ii_desktop.core.errors import UsageError
from ii_desktop.tools.reader_bench import (
    BenchPage,
    full_text_score,
    load_set,
    page_counts,
    page_scores,
    score,
    shingles,
    snippet_counts,
    snippet_score,
    split_part,
)

SET = Path(__file__).parent / "data" / "reader"
PUBLIC = Path("/work/shared/data/extraction")

ARTICLE = (
    "The river rose faster than anyone in the valley had expected this spring. "
    "Farmers moved their animals to the hills before the second bridge was closed."
)
OTHER = "Council members voted on Tuesday to repair the old harbour wall before winter storms."


def _page(body: str) -> bytes:
    return (
        "<html><head><title>t</title></head><body><nav><a href='/'>Home</a> "
        f"<a href='/news'>News</a></nav><article>{body}</article>"
        "<footer>Copyright 2024 The Valley Paper</footer></body></html>"
    ).encode()


def _write_set(folder: Path, labels: dict[str, object], pages: dict[str, bytes], name: str) -> Path:
    (folder / "html").mkdir(parents=True)
    for page_id, html in pages.items():
        (folder / "html" / f"{page_id}.html.gz").write_bytes(gzip.compress(html))
    (folder / name).write_text(json.dumps(labels), encoding="utf-8")
    return folder


@pytest.fixture
def sets(tmp_path: Path) -> Path:
    """A folder holding one tiny set of each layout."""
    root = tmp_path / "sets"
    pages = {"river": _page(f"<p>{ARTICLE}</p>"), "harbour": _page(f"<p>{OTHER}</p>")}
    truth = {
        "river": {"articleBody": ARTICLE, "url": "https://valley.example/river"},
        "harbour": {"articleBody": OTHER, "url": "https://valley.example/harbour"},
    }
    _write_set(root / "full", truth, pages, "ground-truth.json")
    snippets = {
        "river": {
            "url": "https://valley.example/river",
            "with": ["The river rose faster", "second bridge was closed."],
            "without": ["Copyright 2024"],
        },
        "harbour": {
            "url": "hard::harbour.html",
            "with": ["repair the old harbour wall"],
            "without": ["Home News"],
        },
    }
    _write_set(root / "snips", snippets, pages, "snippets.json")
    return root


# --- scoring rules -----------------------------------------------------------------------


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


def test_page_counts_are_normalised_to_sum_to_one():
    tp, fp, fn = page_counts(
        "one two three four five six seven eight nine", "one two three four five six"
    )
    assert (tp, fp, fn) == (0.5, 0.5, 0.0)
    assert page_counts("", "") == (0.0, 0.0, 0.0)


def test_a_prediction_equal_to_the_gold_scores_one():
    counts = [page_counts(ARTICLE, ARTICLE), page_counts(OTHER, OTHER)]
    assert full_text_score(counts) == (1.0, 1.0, 1.0)


def test_an_empty_gold_page_counts_only_against_precision():
    perfect = page_counts(ARTICLE, ARTICLE)
    # output on a page whose annotators kept nothing: precision 0 there, recall untouched
    assert full_text_score([perfect, page_counts(OTHER, "")]) == pytest.approx((0.5, 1.0, 2 / 3))
    # no output on it adds nothing to either mean
    assert full_text_score([perfect, page_counts("", "")]) == (1.0, 1.0, 1.0)
    # no output on a page with gold: recall 0 there, precision untouched
    assert full_text_score([perfect, page_counts("", OTHER)]) == pytest.approx((1.0, 0.5, 2 / 3))


def test_scores_are_averaged_per_page_and_f1_taken_from_the_averages():
    pages = [
        BenchPage("a", b"a", "alpha beta gamma delta epsilon", ""),
        BenchPage("b", b"b", "one two three four", ""),
    ]
    answers = {"a": "alpha beta gamma delta epsilon", "b": "something else entirely here"}
    result, predictions = score(pages, lambda html, url: answers[html])
    assert predictions == answers
    assert (result.precision, result.recall) == (0.5, 0.5)
    assert result.f1 == pytest.approx(0.5)
    assert result.pages == 2


def test_a_crashing_extractor_scores_zero_for_that_page():
    pages = [BenchPage("a", b"", "alpha beta gamma delta", "")]

    def boom(html: str, url: str) -> str:
        raise RuntimeError("bad page")

    result, predictions = score(pages, boom)
    assert predictions == {"a": ""}
    assert result.f1 == 0.0


def test_snippets_with_found_are_hits_and_without_found_lower_precision():
    page = BenchPage("p", b"", wanted=("first part", "second  part"), unwanted=("menu",))
    assert snippet_counts("the first part and the second\npart", page) == (2, 0, 0)
    assert snippet_score([(2, 0, 0)]) == (1.0, 1.0, 1.0)
    assert snippet_counts("first part, menu", page) == (1, 1, 1)
    precision, recall, f1 = snippet_score([(2, 0, 0), (1, 1, 1)])  # pooled over pages
    assert (precision, recall) == (0.75, 0.75)
    assert f1 == pytest.approx(0.75)
    assert snippet_score([(0, 0, 3)]) == (0.0, 0.0, 0.0)


def test_the_split_is_fixed_by_the_id_and_about_seventy_thirty():
    ids = [f"page-{n}" for n in range(2000)]
    first = [split_part(i) for i in ids]
    assert first == [split_part(i) for i in ids]
    assert set(first) == {"tune", "held-out"}
    assert 0.26 < first.count("held-out") / len(ids) < 0.34
    # fixed values: a change of the rule would silently move pages between the parts
    assert [split_part(i) for i in ("dev-1", "final-2", "bbc.co.uk_news_01", "c")] == [
        "tune",
        "tune",
        "held-out",
        "held-out",
    ]


# --- loading -----------------------------------------------------------------------------


def test_load_set_reads_the_full_text_layout():
    bench = load_set(SET)
    assert bench.kind == "full-text"
    assert len(bench.pages) >= 12
    assert all(p.html.lstrip().lower().startswith((b"<!doctype", b"<html")) for p in bench.pages)
    assert all(p.truth and p.url.startswith("https://") for p in bench.pages)


def test_load_set_reads_the_snippet_layout(sets):
    bench = load_set(sets / "snips")
    assert bench.kind == "snippets"
    by_id = {p.id: p for p in bench.pages}
    assert by_id["river"].wanted == ("The river rose faster", "second bridge was closed.")
    assert by_id["river"].unwanted == ("Copyright 2024",)
    assert by_id["harbour"].url == ""  # a label, not a URL


def test_load_set_split_and_limit(sets):
    parts = {p.id: p.part for p in load_set(sets / "full").pages}
    for part in ("tune", "held-out"):
        chosen = load_set(sets / "full", split=part).pages
        assert {p.id for p in chosen} == {i for i, p in parts.items() if p == part}
    assert [p.id for p in load_set(sets / "full", limit=1).pages] == ["harbour"]


def test_load_set_errors_are_usage_errors(tmp_path):
    with pytest.raises(UsageError):
        load_set(tmp_path)
    (tmp_path / "ground-truth.json").write_text('{"x": {"articleBody": "a"}}')
    with pytest.raises(UsageError, match=r"x\.html\.gz"):
        load_set(tmp_path)


# --- the command -------------------------------------------------------------------------


def _one_line_error(capsys: pytest.CaptureFixture[str], *words: str) -> None:
    # stderr may also hold the "scoring <set>..." progress line before the error
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    errors = [line for line in lines if not line.startswith("scoring ")]
    assert len(errors) == 1, lines
    assert errors[0].startswith("ii-desktop: ")
    for word in words:
        assert word in errors[0]


def test_bench_reader_json_and_predictions_on_both_layouts(sets, tmp_path, capsys):
    out = tmp_path / "predictions.json"
    assert main(["bench", "reader", str(sets), "--json", "--out", str(out)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"full", "snips"}
    assert report["full"]["kind"] == "full-text"
    assert report["snips"]["kind"] == "snippets"
    for entry in report.values():
        assert set(entry["parts"]) <= {"tune", "held-out", "all"}
        everything = entry["parts"]["all"]
        assert everything["pages"] == 2
        assert {"ii_desktop", "readability", "trafilatura"} <= set(everything)
        ours = everything["ii_desktop"]
        assert set(ours) == {"f1", "precision", "recall", "pages_per_s"}
        assert ours["f1"] == 1.0 and ours["pages_per_s"] > 0
    predictions = json.loads(out.read_text(encoding="utf-8"))
    assert set(predictions) == {"full/river", "full/harbour", "snips/river", "snips/harbour"}
    assert all(set(p) == {"articleBody"} for p in predictions.values())
    assert predictions["full/river"]["articleBody"] == ARTICLE


def test_out_for_one_set_uses_plain_ids(sets, tmp_path, capsys):
    out = tmp_path / "one.json"
    assert (
        main(["bench", "reader", str(sets / "full"), "--only", "ii_desktop", "--out", str(out)])
        == 0
    )
    predictions = json.loads(out.read_text(encoding="utf-8"))
    assert predictions == {"harbour": {"articleBody": OTHER}, "river": {"articleBody": ARTICLE}}


def test_bench_reader_table(capsys):
    assert main(["bench", "reader", str(SET)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("reader (full-text): ")
    assert lines[1].split()[:3] == ["part", "extractor", "F1"]
    assert lines[2].split()[:2] == ["tune", "ii_desktop"]
    labels = [line.split()[0] for line in lines[2:] if not line.startswith(" ")]
    assert labels == ["tune", "held-out", "all"]


def test_bench_reader_split_option(sets, capsys):
    assert main(["bench", "reader", str(sets / "full"), "--split", "tune", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["full"]["parts"]) <= {"tune"}


def test_bench_reader_on_a_missing_folder(tmp_path, capsys):
    assert main(["bench", "reader", str(tmp_path / "nope")]) == 2
    _one_line_error(capsys, "is not a folder")


def test_bench_reader_on_a_folder_without_sets(tmp_path, capsys):
    assert main(["bench", "reader", str(tmp_path)]) == 2
    _one_line_error(capsys, "holds no set")


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("ground-truth.json", "{not json", ["ground-truth.json"]),
        ("ground-truth.json", "[1, 2]", ["must map page ids"]),
        ("ground-truth.json", '{"river": "text"}', ["river", "not an object"]),
        ("snippets.json", '{"gone": {"with": ["a"]}}', ["gone.html.gz"]),
    ],
)
def test_a_garbled_set_gives_a_one_line_usage_error(tmp_path, capsys, name, content, words):
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "river.html.gz").write_bytes(gzip.compress(_page("<p>x</p>")))
    (tmp_path / name).write_text(content, encoding="utf-8")
    assert main(["bench", "reader", str(tmp_path)]) == 2
    _one_line_error(capsys, *words)


def test_a_corrupt_page_gives_a_one_line_usage_error(tmp_path, capsys):
    (tmp_path / "html").mkdir()
    data = gzip.compress(_page(f"<p>{ARTICLE}</p>"))
    (tmp_path / "html" / "river.html.gz").write_bytes(data[:12] + b"\xff" * 40 + data[52:])
    (tmp_path / "ground-truth.json").write_text('{"river": {"articleBody": "a"}}')
    assert main(["bench", "reader", str(tmp_path)]) == 2
    _one_line_error(capsys, "river.html.gz")


def test_bench_reader_help_is_fast_and_lists_the_layouts(capsys):
    with pytest.raises(SystemExit):
        main(["bench", "reader", "--help"])
    out = capsys.readouterr().out
    assert "ground-truth.json" in out and "snippets.json" in out and "held-out" in out


@pytest.mark.skipif(not PUBLIC.is_dir(), reason="the public extraction sets are not here")
def test_the_public_sets_when_present(capsys):
    assert main(["bench", "reader", str(PUBLIC), "--limit", "15", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {"cleaneval", "cleanportaleval", "trafilatura"} <= set(report)
    for entry in report.values():
        everything = entry["parts"]["all"]
        assert everything["pages"] == 15
        # 15 pages are too few for ours-beats-both to hold every time; the full run
        # (``ii-desktop bench reader``) is where that is measured
        assert everything["ii_desktop"]["f1"] > 0.75

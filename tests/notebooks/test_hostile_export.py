"""Exports of notebooks holding hostile text: no raw HTML, no script link, bounded work.

An answer is Markdown the model (or a shared file) wrote: the Markdown export keeps its
formatting but lets nothing through that a viewer would render as a tag or follow as a
``javascript:`` link. Every export takes time linear in the notebook, and the PDF's
printable HTML refuses a notebook too long to lay out before any layout starts. Every
export file is written through a temporary file of its own, never through a planted one.
"""

from __future__ import annotations

import re
import time

import pytest

from ii_desktop.agent.events import Answer, Reasoning, RunFinished, RunStarted, ToolCall
from ii_desktop.core.settings import app_paths
from ii_desktop.notebooks import NotebookStore, render_html, render_markdown
from ii_desktop.notebooks import export as export_module
from ii_desktop.notebooks.export import (
    PDF_TEXT_CHARS,
    TooLongForPdf,
    printable_html,
)
from ii_desktop.notebooks.markup import BLOCK_CHARS, LIST_ITEMS, markdown_to_html, safe_markdown
from ii_desktop.ui.sidebar_store import export_notebook
from tests.helpers.html import Elements
from tests.notebooks.runs import WIKI, eiffel_run, record
from tests.notebooks.test_notebook_cmd import run_cli

HOSTILE_ANSWER = "\n".join(
    [
        "Fine <script>alert(1)</script> and <img src=x onerror=alert(2)> here.",
        '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
        "[click](javascript:alert(3)) and <javascript:alert(4)> and [r][ref]",
        "[ref]: javascript:alert(5)",
        "![pixel](https://evil.example/pixel.png) and [data](data:text/html,<b>x</b>)",
        "x `` y ``<b onclick=alert(6)>`` z and \\`<i onclick=alert(7)>`",
        "[ok](https://ok.example/)(javascript:alert(8))",
        "[kram](https://ok.example/){: onclick=alert(9)}",
        "https://a.example/`x `<img src=x onerror=alert(9)>`",
        "line\r<svg onload=alert(10)>\r</details><script>alert(11)</script>",
        "```",
        "</details><script>alert(12)</script>",
        "```",
    ]
)
ALLOWED_TAGS = {
    "p", "a", "strong", "em", "code", "pre", "ul", "ol", "li", "blockquote", "hr", "br",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
    "details", "summary",  # the export's own folds
}  # fmt: skip


def _run(run_id: str, answer: str, reasoning: str = "", question: str = "q") -> list:
    events = [RunStarted(run_id, question, "normal")]
    if reasoning:
        events.append(Reasoning(run_id, reasoning))
    events += [Answer(run_id, answer), RunFinished(run_id, "answered", answer)]
    return events


def _notebook(store, *runs: list, title: str = "Shared"):
    notebook = store.create(title)
    for events in runs:
        record(store, notebook.id, events)
    return store.notebook(notebook.id)


def _rendered_tags(markdown: str) -> list[tuple[str, dict[str, str | None]]]:
    """The tags a CommonMark viewer that shows raw HTML makes of ``markdown``."""
    markdown_it = pytest.importorskip("markdown_it")
    parser = markdown_it.MarkdownIt("commonmark", {"html": True}).enable("table")
    parsed = Elements()
    parsed.feed(parser.render(markdown))
    return parsed.tags


def _assert_harmless(markdown: str) -> None:
    # outside fenced code (shown as written by every CommonMark viewer) no tag at all
    prose = re.sub(r"^(`{3,})[^\n]*\n.*?^\1$", "", markdown, flags=re.DOTALL | re.MULTILINE)
    prose = re.sub(r"(?<![`\\])(`+)(?!`)[^\n]*?(?<!`)\1(?!`)", "", prose)  # and code spans
    for needle in ("<script", "<img", "<meta", "<svg", "<b ", "<i ", "<java"):
        assert needle not in prose.lower(), needle
    assert not re.search(r"(?<!\\)\]\(\s*(javascript|data):", prose)  # "\]" is text
    tags = _rendered_tags(markdown)
    assert {t for t, _ in tags} <= ALLOWED_TAGS
    # the viewer's own attributes only: links, list starts, a code block's language
    assert all(set(attrs) <= {"href", "start", "class"} for _, attrs in tags)
    assert all(t == "code" for t, attrs in tags if "class" in attrs)
    hrefs = [a.get("href") or "" for t, a in tags if t == "a"]
    assert all(re.match(r"https?://", h) for h in hrefs), hrefs


def test_markdown_export_escapes_raw_html_and_script_links_in_answers(store):
    reasoning = "Think </details><script>alert(13)</script>\n```\n<img src=x onerror=alert(14)>"
    question = "Why <script>alert(15)</script>?"
    notebook = _notebook(store, _run("run-h", HOSTILE_ANSWER, reasoning, question))
    md = render_markdown(notebook, store.runs(notebook.id))
    _assert_harmless(md)
    # the hostile text is still there, as text
    assert "Fine &lt;script>alert(1)&lt;/script> and &lt;img src=x onerror=alert(2)>" in md
    assert "\\[click\\](javascript:alert(3))" in md
    assert "\\![pixel](https://evil.example/pixel.png)" in md  # a link, never an image
    assert "[ok](https://ok.example/)(javascript:alert(8))" in md  # the text after is text
    # code stays code: fenced anew, its text verbatim
    assert "````\n</details><script>alert(12)</script>\n````" not in md
    assert "```\n</details><script>alert(12)</script>\n```" in md


def test_markdown_export_keeps_an_answers_formatting_and_citations(store):
    answer = "\n".join(
        [
            "## Height",
            "",
            f"The tower is **330 metres** tall, *with* its antennas ({WIKI}).",
            "",
            "- first point",
            "- second `a < b` point",
            "",
            "1. one",
            "2. two",
            "",
            "| Part | Height |",
            "|---|---|",
            "| top | 330 m |",
            "",
            "```python",
            "if a < b and '<b>':",
            "    print('```')",
            "```",
        ]
    )
    events = [e for e in eiffel_run("run-f") if not isinstance(e, Answer | RunFinished)]
    events += [Answer("run-f", answer), RunFinished("run-f", "answered", answer)]
    notebook = _notebook(store, events)
    md = render_markdown(notebook, store.runs(notebook.id))
    assert f"**330 metres** tall, *with* its antennas [1]({WIKI})." in md
    assert "- first point\n- second `a < b` point" in md
    assert "1. one\n2. two" in md
    assert "| Part | Height |\n|---|---|\n| top | 330 m |" in md
    assert "````python\nif a < b and '<b>':\n    print('```')\n````" in md
    tags = [t for t, _ in _rendered_tags(md)]
    assert {"strong", "em", "ul", "ol", "table", "pre", "code", "h2"} <= set(tags)


def test_safe_markdown_leaves_no_way_to_raw_html_in_many_mixed_inputs():
    # pieces that each open some construct; mixed at random, none may yield a tag
    pieces = ["<", ">", "[", "]", "(", ")", "`", "``", "!", "\\", " ", "\n", "\r", "*", "#",
              "- ", "> ", "|", ":", '"', "{", "~~~", "```", "    ", "[r]: ", "https://ok.x/",
              "https://c.x/", "javascript:", "img src=x onerror=a", "script", "a"]  # fmt: skip
    rng = __import__("random").Random(7)
    cited = {"https://c.x/": 1}
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 40)))
        out = safe_markdown(text, cited.get)
        tags = _rendered_tags(out)
        assert {t for t, _ in tags} <= ALLOWED_TAGS, (text, out)
        hrefs = [a.get("href") or "" for t, a in tags if t == "a"]
        assert all(h.startswith("https://") for h in hrefs), (text, out)


def test_every_export_of_a_hostile_answer_takes_linear_time(store):
    # each of these took time growing with the square of its length (minutes at 1 MB);
    # four times the input must cost about four times the time, not sixteen
    def hostile(scale: int) -> list[str]:
        return [
            "**a " * 2_000 * scale,
            "[a" * 3_750 * scale,
            "# a" + " " * 750 * scale + "b",
            "`a``" * 2_000 * scale,
        ]

    def seconds(scale: int) -> float:
        answers = hostile(scale)
        notebook = _notebook(store, *(_run(f"run-{scale}-{i}", a) for i, a in enumerate(answers)))
        runs = store.runs(notebook.id)
        best = float("inf")
        for _ in range(2):
            started = time.perf_counter()
            render_markdown(notebook, runs)
            render_html(notebook, runs)
            printable_html(notebook, runs)
            best = min(best, time.perf_counter() - started)
        return best

    small, large = seconds(1), seconds(4)
    assert large < 9 * small + 0.05, (small, large)


def test_a_quote_nested_thousands_deep_renders_as_text():
    html = markdown_to_html(">" * 5_000 + " deep", lambda url: None)
    assert html.count("<blockquote>") == 8 and "&gt;&gt;&gt;" in html


def test_printable_html_cuts_long_texts_and_keeps_blocks_and_lists_short(store):
    long_line = "word " * (PDF_TEXT_CHARS // 4)  # one paragraph, over the cut
    many_items = "\n".join(f"- item {i}" for i in range(LIST_ITEMS * 3))
    notebook = _notebook(
        store,
        _run("run-long", long_line, reasoning="x" * (BLOCK_CHARS * 3), question="Q" * 50_000),
        _run("run-list", many_items),
    )
    page = printable_html(notebook, store.runs(notebook.id))
    assert "more characters: see the HTML or Markdown export" in page
    paragraphs = re.findall(r"<p>(.*?)</p>", page, re.DOTALL)
    assert paragraphs and max(len(p) for p in paragraphs) <= BLOCK_CHARS + 100
    assert max(len(line) for line in page.split("\n")) < BLOCK_CHARS + 500
    lists = re.findall(r"<ul>(.*?)</ul>", page, re.DOTALL)
    assert len(lists) >= 3 and max(chunk.count("<li>") for chunk in lists) <= LIST_ITEMS
    # the HTML export keeps everything
    whole = render_html(notebook, store.runs(notebook.id))
    assert long_line.strip() in whole and "Q" * 50_000 in whole


def test_printable_html_refuses_a_notebook_too_long_for_a_pdf(store, monkeypatch):
    notebook = _notebook(store, *(_run(f"run-{i}", f"Answer {i}. " * 50) for i in range(3)))
    runs = store.runs(notebook.id)
    monkeypatch.setattr(export_module, "PDF_RUNS_MAX", 2)
    with pytest.raises(TooLongForPdf, match=r"3 runs; a PDF takes at most 2\)"):
        printable_html(notebook, runs)
    monkeypatch.setattr(export_module, "PDF_RUNS_MAX", 100)
    monkeypatch.setattr(export_module, "PDF_LAYOUT_MAX", 3_000)
    with pytest.raises(TooLongForPdf) as info:
        printable_html(notebook, runs)
    assert "too long for a PDF" in info.value.message
    assert "Export it as HTML or Markdown instead" in info.value.message
    # the other formats are not bound
    assert "Answer 2." in render_html(notebook, runs) and "Answer 2." in render_markdown(
        notebook, runs
    )


def test_the_cli_refuses_a_pdf_too_long_before_any_layout(capsys, tmp_path, monkeypatch):
    with NotebookStore.open(app_paths().ensure()) as store:
        notebook = _notebook(store, *(_run(f"run-{i}", "An answer.") for i in range(3)))
    monkeypatch.setattr(export_module, "PDF_RUNS_MAX", 2)
    target = tmp_path / "out.pdf"
    code, out, err = run_cli(
        capsys, "notebook", "export", notebook.id, "--format", "pdf", "-o", str(target)
    )
    assert code == 1 and out == ""
    assert err.startswith("ii-desktop: This notebook is too long for a PDF (3 runs")
    assert "HTML or Markdown" in err and len(err.strip().splitlines()) == 1
    assert not target.exists() and list(tmp_path.iterdir()) == [tmp_path / "data"]


@pytest.mark.parametrize("fmt", ["md", "html", "json"])
def test_the_cli_export_never_writes_through_a_planted_part_file(capsys, tmp_path, fmt):
    with NotebookStore.open(app_paths().ensure()) as store:
        notebook = _notebook(store, eiffel_run("run-1"))
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    target = tmp_path / f"notes.{fmt}"
    target.with_name(target.name + ".part").symlink_to(victim)
    code, _out, err = run_cli(
        capsys, "notebook", "export", notebook.id, "--format", fmt, "-o", str(target)
    )
    assert code == 0, err
    assert victim.read_text() == "precious"
    assert "330 metres" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["md", "html", "json"])
def test_the_sidebar_export_never_writes_through_a_planted_part_file(store, tmp_path, fmt):
    notebook = _notebook(store, eiffel_run("run-1"))
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    target = tmp_path / f"notes.{fmt}"
    target.with_name(target.name + ".part").symlink_to(victim)
    assert export_notebook(store, notebook.id, fmt, target) == target
    assert victim.read_text() == "precious"
    assert "330 metres" in target.read_text(encoding="utf-8")


def test_tool_arguments_and_targets_stay_text_in_markdown(store):
    run_id = "run-tools"
    events = [
        RunStarted(run_id, "q", "normal"),
        ToolCall(run_id, "c1", "web_search", {"query": "<script>alert(1)</script> {: x=1}"}),
        Answer(run_id, "a"),
        RunFinished(run_id, "answered", "a"),
    ]
    notebook = _notebook(store, events, title="T {: onclick=alert(1)}")
    md = render_markdown(notebook, store.runs(notebook.id))
    _assert_harmless(md)
    assert "\\{: onclick=alert(1)}" in md

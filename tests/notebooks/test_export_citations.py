"""One numbering everywhere: show, Markdown, HTML; short answers; headings; plurals."""

from __future__ import annotations

import pytest

from ii_desktop.agent.events import (
    Answer,
    Reasoning,
    RunFinished,
    RunStarted,
    Source,
    ToolCall,
    ToolResult,
)
from ii_desktop.core.settings import app_paths
from ii_desktop.notebooks import NotebookStore, render_html, render_markdown
from ii_desktop.notebooks.export import printable_html
from ii_desktop.notebooks.markup import markdown_to_html
from tests.notebooks.runs import TOUR, WIKI, record
from tests.notebooks.test_notebook_cmd import run_cli

REPORT = "\n".join(
    [
        "# Tower report",
        "",
        f"It is 330 m [{WIKI}] and the official figure is 300 m [2].",
        "The distance is $\\boxed{777 km}$.",
        "",
        "## References",
        f"1. Eiffel Tower - Wikipedia: {WIKI}",
        f"2. Key figures - {TOUR}",
    ]
)


def _events(run_id: str, question: str, answer: str = REPORT) -> list:
    return [
        RunStarted(run_id, question, "report"),
        Source(run_id, 1, TOUR, "Key figures", "page"),
        Source(run_id, 2, WIKI, "Eiffel Tower - Wikipedia", "page"),
        ToolCall(run_id, "c1", "web_search", {"query": "tower"}),
        ToolResult(run_id, "c1", "web_search", True, "r", data={"results": [{"url": TOUR}]}),
        Answer(run_id, answer),
        RunFinished(run_id, "answered", answer, boxed="777 km"),
    ]


@pytest.fixture
def one_run(store):
    notebook = store.create("How tall?")
    record(store, notebook.id, _events("run-r", "How tall?"))
    return store.notebook(notebook.id), store.runs(notebook.id)


def test_markdown_numbers_as_the_run_does_and_lists_urls(one_run):
    md = render_markdown(*one_run)
    assert f"It is 330 m [2]({WIKI}) and the official figure is 300 m [1]({TOUR})." in md
    assert "[[" not in md and "1. [1]" not in md
    assert f"- \\[2\\] Eiffel Tower - Wikipedia — {WIKI}" in md  # the report's own list
    assert f"- [1] Key figures — [{TOUR}]({TOUR}) (read, cited)" in md


def test_html_numbers_as_the_run_does_with_plain_links(one_run):
    page = render_html(*one_run)
    assert f'It is 330 m <a href="{WIKI}">[2]</a>' in page
    assert f'300 m <a href="{TOUR}">[1]</a>' in page
    assert "<sup" not in page and "[[" not in page
    assert f'[2] Eiffel Tower - Wikipedia — <a href="{WIKI}">{WIKI}</a>' in page


def test_boxed_answers_show_as_a_short_answer(one_run):
    md = render_markdown(*one_run)
    assert "**Short answer:** 777 km" in md and "The distance is **777 km**." in md
    assert "boxed" not in md and "$" not in md
    page = render_html(*one_run)
    assert "<strong>Short answer:</strong> 777 km" in page and "boxed" not in page


def test_headings_nest_below_the_question_and_a_lone_run_keeps_one_title(store, one_run):
    md = render_markdown(*one_run)
    assert md.count("How tall?") == 1  # the title, not repeated as the run's heading
    assert "\n## Tower report\n" in md and "\n## References\n" not in md
    notebook = store.create("Towers")
    record(store, notebook.id, _events("run-a", "First?"))
    record(store, notebook.id, _events("run-b", "Second?"))
    runs = store.runs(notebook.id)
    md = render_markdown(store.notebook(notebook.id), runs)
    assert "## First?\n" in md and "### Tower report\n" in md and "#### References" in md
    page = render_html(store.notebook(notebook.id), runs)
    assert "<h3>Tower report</h3>" in page and "<h1>Tower report" not in page


def test_one_result_is_said_in_the_singular(one_run):
    assert "1 result from search" in render_markdown(*one_run)
    assert "1 results" not in render_html(*one_run)


def test_markdown_links_with_titles_render_whole():
    html = markdown_to_html('[a](https://x.example/ "t") and ~~old~~ and <b>x</b>')
    assert '<a href="https://x.example/" title="t">a</a>' in html
    assert "<s>old</s>" in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "href" not in markdown_to_html("[a](javascript:alert(1)) [b](data:x) [c](rel.html)")
    assert '<a href="mailto:a@b.example">' in markdown_to_html("[m](mailto:a@b.example)")
    assert '<a href="#top">' in markdown_to_html("[t](#top)")


def test_printable_reasoning_has_no_shaded_lines_and_fonts_fall_back(store):
    notebook = store.create("R")
    events = _events("run-p", "Q?")
    events.insert(1, Reasoning("run-p", "a\n\nb"))
    record(store, notebook.id, events)
    page = printable_html(store.notebook(notebook.id), store.runs(notebook.id))
    assert '<p class="reasoning">a</p>\n<p class="reasoning">b</p>' in page
    assert '"PingFang SC"' in page and "sans-serif" in page and "monospace" in page


def test_show_uses_the_same_numbers_and_the_short_answer(capsys):
    with NotebookStore.open(app_paths().ensure()) as store:
        notebook = store.create("How tall?")
        record(store, notebook.id, _events("run-s", "How tall?"))
    code, out, _ = run_cli(capsys, "notebook", "show", notebook.id)
    assert code == 0
    assert "It is 330 m [2] and the official figure is 300 m [1]." in out
    assert f"[2] Eiffel Tower - Wikipedia — {WIKI}" in out
    assert "Short answer: 777 km" in out and "boxed" not in out
    assert "1 run\n" in out


def test_exports_show_each_citation_check(tmp_path):
    """A cited page's supporting passage is under its source; a weak one is said."""
    from ii_desktop.agent.events import Answer, RunFinished, RunStarted, Source
    from ii_desktop.core.settings import app_paths
    from ii_desktop.notebooks import NotebookStore, start_recording
    from ii_desktop.notebooks.export import render_html, render_markdown
    from tests.notebooks.runs import visit_call

    recorder = start_recording(app_paths().ensure(), "Bridges of Paris?")
    run_id = recorder.run_id
    strong, weak = "https://example.org/seine", "https://example.org/bridges"
    answer = f"The Seine is 777 km long [{strong}]. Paris has 45 bridges [{weak}]."
    for event in [
        RunStarted(run_id, "Bridges of Paris?", "normal"),
        *visit_call(run_id, "c1", strong, text="The Seine is 777 km long.", title="Seine"),
        *visit_call(run_id, "c2", weak, text="Paris has many bridges.", title="Bridges"),
        Source(run_id, 1, strong, "Seine", "page"),
        Source(run_id, 2, weak, "Bridges", "page"),
        Answer(run_id, answer),
        RunFinished(
            run_id,
            "answered",
            answer,
            citations=[
                {"url": strong, "n": 1, "verified": True, "support": "strong",
                 "passage": "The Seine is 777 km long."},
                {"url": weak, "n": 2, "verified": True, "support": "weak",
                 "passage": "Paris has many bridges."},
            ],
        ),
    ]:  # fmt: skip
        recorder(event)
    recorder.close()
    with NotebookStore.open(app_paths()) as store:
        (notebook,) = store.notebooks()
        book, runs = store.notebook(notebook.id), store.runs(notebook.id)
    md = render_markdown(book, runs)
    assert (
        "- [1] Seine — [https://example.org/seine](https://example.org/seine) (read, cited)" in md
    )
    assert "  “The Seine is 777 km long.”" in md
    assert "(read, cited, may not support what cites it)" in md
    page = render_html(book, runs)
    assert "“Paris has many bridges.”" in page and "may not support what cites it" in page


def test_a_printable_blockquote_keeps_a_bar_beside_it():
    from ii_desktop.notebooks.markup import markdown_to_html

    page = markdown_to_html("> quoted <b>words</b>", printable=True)
    assert page.startswith('<table class="quote"') and 'bgcolor="#d2d2d7"' in page
    assert "&lt;b&gt;words&lt;/b&gt;" in page  # still inert
    assert "<blockquote>" in markdown_to_html("> quoted"), "the web export keeps its border"

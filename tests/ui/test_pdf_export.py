"""PDF export: Qt lays out the notebook's printable HTML offscreen, with no network."""

from __future__ import annotations

import argparse
import re
import time
import unicodedata
from pathlib import Path

import pytest

from ii_desktop.agent.events import Answer, RunFinished, RunStarted
from ii_desktop.cli import notebook_cmd
from ii_desktop.core.settings import app_paths
from ii_desktop.notebooks import NotebookStore, render_html
from ii_desktop.notebooks import export as export_module
from ii_desktop.notebooks.export import (
    ITEM_CHARS,
    PDF_LAYOUT_MAX,
    TooLongForPdf,
    printable_html,
)
from ii_desktop.ui.pdf_export import write_pdf
from ii_desktop.ui.sidebar_store import export_notebook
from tests.notebooks.runs import budget_run, eiffel_messages, eiffel_run, record
from tests.notebooks.test_notebook_cmd import run_cli

pytestmark = pytest.mark.gui


def pdf_text(path: Path, last: int = 0) -> str:
    """The PDF's text (of its ``last`` pages only, if given), read back by a PDF parser
    (pypdf if installed, else Qt's own)."""
    try:
        from pypdf import PdfReader
    except ImportError:
        reader = None
    else:
        reader = PdfReader(str(path))
    if reader is not None:
        pages = list(reader.pages)[-last:] if last else reader.pages
        text = "\n".join(page.extract_text() or "" for page in pages)
    else:
        from PySide6.QtPdf import QPdfDocument

        document = QPdfDocument()
        assert document.load(str(path)) == QPdfDocument.Error.None_
        count = document.pageCount()
        first = max(0, count - last) if last else 0
        text = "\n".join(document.getAllText(i).text() for i in range(first, count))
        document.close()
    # ligatures (ﬀ) and the tab/space choice of text extraction are not content
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text))


@pytest.fixture
def notebook_id():
    with NotebookStore.open(app_paths().ensure()) as store:
        notebook = store.create("Towers")
        record(store, notebook.id, eiffel_run("run-eiffel"), eiffel_messages())
        record(store, notebook.id, budget_run("run-budget"))
        return notebook.id


def test_pdf_holds_the_notebook(qapp, tmp_path, notebook_id):
    with NotebookStore.open(app_paths()) as store:
        html = render_html(store.notebook(notebook_id), store.runs(notebook_id), printable=True)
    path = tmp_path / "towers.pdf"
    write_pdf(html, path, "Towers")
    data = path.read_bytes()
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    assert not path.with_name("towers.pdf.part").exists()
    text = pdf_text(path)
    assert "The Eiffel Tower is 330 metres (1,083 ft) tall including its antennas" in text
    assert "How tall is the Eiffel Tower?" in text
    assert "I could not read the archive." in text
    assert "Eiffel Tower - Wikipedia" in text  # the sources list
    assert "Wikipedia looks reliable" in text  # reasoning, unfolded for print


def test_cli_exports_pdf(qapp, tmp_path, notebook_id, capsys):
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir")
    notebook_cmd.register(parser.add_subparsers())
    path = tmp_path / "out.pdf"
    args = parser.parse_args(
        ["notebook", "export", notebook_id, "--format", "pdf", "-o", str(path)]
    )
    assert args.handler(args) == 0
    assert path.read_bytes().startswith(b"%PDF-")
    assert "330 metres" in pdf_text(path)


def test_unwritable_pdf_path_raises_oserror(qapp, tmp_path):
    with pytest.raises(OSError):
        write_pdf("<p>x</p>", tmp_path / "no-such-folder" / "x.pdf")


# --- bounds and the file written ---------------------------------------------------------


def test_html_too_long_for_a_pdf_is_refused_before_any_layout(qapp, tmp_path, monkeypatch):
    import ii_desktop.ui.pdf_export as pdf_export

    def no_layout(*args):
        raise AssertionError("laid out")

    monkeypatch.setattr(pdf_export, "QTextDocument", no_layout)
    path = tmp_path / "long.pdf"
    html = "<p>" + "x " * (PDF_LAYOUT_MAX // 2) + "</p>"
    with pytest.raises(TooLongForPdf, match=r"too long for a PDF .* HTML or Markdown"):
        write_pdf(html, path)
    items = "<li>x</li>" * (PDF_LAYOUT_MAX // ITEM_CHARS)  # short HTML, costly to lay out
    with pytest.raises(TooLongForPdf):
        write_pdf(f"<ul>{items}</ul>", path)
    assert not path.exists() and not list(tmp_path.glob("*.part"))


def test_a_long_single_paragraph_answer_lays_out_in_bounded_time(qapp, tmp_path):
    # one block of 300,000 characters took Qt time growing with its square
    with NotebookStore.open(app_paths().ensure()) as store:
        notebook = store.create("Long")
        answer = "x" * 300_000
        record(store, notebook.id, [
            RunStarted("run-long", "q", "normal"),
            Answer("run-long", answer),
            RunFinished("run-long", "answered", answer),
        ])  # fmt: skip
        html = printable_html(store.notebook(notebook.id), store.runs(notebook.id))
    path = tmp_path / "long.pdf"
    started = time.monotonic()
    write_pdf(html, path, "Long")
    assert time.monotonic() - started < 6.0
    assert path.read_bytes().startswith(b"%PDF-")
    assert "see the HTML or Markdown export" in pdf_text(path, last=2)


def _planted(tmp_path: Path, name: str) -> tuple[Path, Path]:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    target = tmp_path / name
    target.with_name(name + ".part").symlink_to(victim)
    return target, victim


def test_write_pdf_never_writes_through_a_planted_part_file(qapp, tmp_path):
    target, victim = _planted(tmp_path, "towers.pdf")
    write_pdf("<p>The tower is 330 metres tall.</p>", target, "Towers")
    assert victim.read_text() == "precious"
    assert target.read_bytes().startswith(b"%PDF-") and "330 metres" in pdf_text(target)


def test_cli_and_sidebar_pdf_exports_never_write_through_a_planted_part_file(
    qapp, tmp_path, notebook_id, capsys
):
    target, victim = _planted(tmp_path, "cli.pdf")
    code, _out, err = run_cli(
        capsys, "notebook", "export", notebook_id, "--format", "pdf", "-o", str(target)
    )
    assert code == 0, err
    assert victim.read_text() == "precious" and "330 metres" in pdf_text(target)
    target = tmp_path / "sidebar.pdf"
    target.with_name("sidebar.pdf.part").symlink_to(victim)
    with NotebookStore.open(app_paths()) as store:
        export_notebook(store, notebook_id, "pdf", target)
    assert victim.read_text() == "precious" and "330 metres" in pdf_text(target)


def test_the_sidebar_says_a_notebook_is_too_long_for_a_pdf(qtbot, tmp_path, monkeypatch):
    from tests.ui.test_sidebar import WAIT_MS, make_notebooks, open_sidebar

    (paris,) = make_notebooks(("Paris", 3))
    sidebar = open_sidebar(qtbot)
    monkeypatch.setattr(export_module, "PDF_RUNS_MAX", 2)
    target = tmp_path / "paris.pdf"
    with qtbot.waitSignal(sidebar.problem, timeout=WAIT_MS) as problem:
        sidebar.export_to(paris, "pdf", target)
    message = problem.args[0]
    assert message.startswith("This notebook is too long for a PDF (3 runs")
    assert "Export it as HTML or Markdown instead" in message
    assert not target.exists()


def test_a_heading_never_ends_a_page(qapp):
    from PySide6.QtCore import QSizeF
    from PySide6.QtGui import QTextDocument

    from ii_desktop.ui.pdf_export import KEEP_BELOW, keep_headings_with_next

    document = QTextDocument()
    paragraphs = "".join(f"<p>Paragraph {i} of the answer.</p>" for i in range(200))
    headings = "".join(
        f"<h2>Part {i}</h2><ul><li>one</li><li>two</li></ul>" + paragraphs[: 900 + 37 * i]
        for i in range(12)
    )
    document.setHtml(headings)
    document.setPageSize(QSizeF(600, 800))
    assert keep_headings_with_next(document) > 0
    layout = document.documentLayout()
    block = document.begin()
    while block.isValid():
        if block.blockFormat().headingLevel():
            assert layout.blockBoundingRect(block).top() % 800 <= 800 * KEEP_BELOW + 1
        block = block.next()

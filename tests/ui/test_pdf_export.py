"""PDF export: Qt lays out the notebook's printable HTML offscreen, with no network."""

from __future__ import annotations

import argparse
import re
import unicodedata
from pathlib import Path

import pytest

from ii_desktop.cli import notebook_cmd
from ii_desktop.core.settings import app_paths
from ii_desktop.notebooks import NotebookStore, render_html
from ii_desktop.ui.pdf_export import write_pdf
from tests.notebooks.runs import budget_run, eiffel_messages, eiffel_run, record

pytestmark = pytest.mark.gui


def pdf_text(path: Path) -> str:
    """The PDF's text, read back by a PDF parser (pypdf if installed, else Qt's own)."""
    try:
        from pypdf import PdfReader
    except ImportError:
        reader = None
    else:
        reader = PdfReader(str(path))
    if reader is not None:
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
    else:
        from PySide6.QtPdf import QPdfDocument

        document = QPdfDocument()
        assert document.load(str(path)) == QPdfDocument.Error.None_
        text = "\n".join(document.getAllText(i).text() for i in range(document.pageCount()))
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

"""A notebook as PDF: its printable HTML laid out by QTextDocument into a QPdfWriter.

Works headless: without a running Qt application one is made on the offscreen platform,
so ``ii-desktop notebook export --format pdf`` needs no display. Nothing is fetched: the
HTML is self-contained and QTextDocument loads no remote resources. HTML longer than
Qt lays out in bounded time and memory is refused before any layout starts.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QMarginsF
from PySide6.QtGui import QGuiApplication, QPageLayout, QPageSize, QPdfWriter, QTextDocument

from ii_desktop.core.files import write_atomically
from ii_desktop.notebooks.export import check_printable

RESOLUTION_DPI = 300
MARGIN_MM = 18.0
BASE_POINT_SIZE = 10.5

_app: QGuiApplication | None = None


def _ensure_app() -> None:
    """QTextDocument needs fonts, and so a QGuiApplication; reuse the app's if one runs."""
    global _app
    if QGuiApplication.instance() is not None:
        return
    # no window is ever shown: the offscreen platform works without a display
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _app = QGuiApplication(["ii-desktop-pdf"])


def render_pdf(html: str, title: str = "") -> bytes:
    """The PDF of ``html``, made in memory (its size grows with the HTML's, which
    ``check_printable`` bounds); raises TooLongForPdf for HTML over that bound."""
    check_printable(html)  # before Qt spends any time or memory on it
    _ensure_app()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(RESOLUTION_DPI)
    writer.setTitle(title)
    writer.setCreator("ii-desktop")
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM),
            QPageLayout.Unit.Millimeter,
        )
    )
    document = QTextDocument()
    font = document.defaultFont()
    font.setPointSizeF(BASE_POINT_SIZE)
    document.setDefaultFont(font)
    document.setHtml(html)
    document.print_(writer)
    del writer  # the PDF is complete only once the writer is gone
    pdf = bytes(buffer.data().data())
    buffer.close()
    return pdf


def write_pdf(html: str, path: Path, title: str = "") -> None:
    """Render ``html`` to a PDF at ``path``, written whole or not at all through
    ``write_atomically`` (a file or link already beside ``path`` is never written to).

    Raises TooLongForPdf (an AppError) for HTML too long to lay out, and OSError when
    the file cannot be written.
    """
    path = Path(path)
    if not path.parent.is_dir():  # said before the layout, not after it
        raise FileNotFoundError(2, "No such file or directory", str(path.parent))
    pdf = render_pdf(html, title)
    if not pdf:
        raise OSError(f"could not write {path}")
    write_atomically(path, pdf)

"""A notebook as PDF: its printable HTML laid out by QTextDocument into a QPdfWriter.

Works headless: without a running Qt application one is made on the offscreen platform,
so ``ii-desktop notebook export --format pdf`` needs no display. Nothing is fetched: the
HTML is self-contained and QTextDocument loads no remote resources. HTML longer than
Qt lays out in bounded time and memory is refused before any layout starts.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)

from ii_desktop.core.files import write_atomically
from ii_desktop.notebooks.export import check_printable

RESOLUTION_DPI = 300
MARGIN_MM = 22.0
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


SCREEN_DPI = 96  # QTextDocument lays out in screen pixels; print_ scales to the writer
FOOTER_PX = 28  # below the text, for the page number
KEEP_BELOW = 0.82  # a heading starting lower than this share of a page moves to the next


def keep_headings_with_next(document: QTextDocument) -> int:
    """Move each heading that would end a page to the top of the next one (Qt's HTML
    has no ``page-break-after: avoid``); returns how many moved. Needs a page size."""
    height = document.pageSize().height()
    if not 0 < height < 10**7:
        return 0
    layout = document.documentLayout()
    moved = 0
    block = document.begin()
    while block.isValid():
        fmt = block.blockFormat()
        if fmt.headingLevel() > 0 and block.next().isValid():
            top = layout.blockBoundingRect(block).top()
            if top % height > height * KEEP_BELOW:
                fmt.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
                QTextCursor(block).setBlockFormat(fmt)
                moved += 1
        block = block.next()
    return moved


def _print(document: QTextDocument, writer: QPdfWriter) -> None:
    """Lay ``document`` out in pages of the writer's printable area (less a footer for
    the page number), keep headings with what follows, and paint page by page."""
    paint = writer.pageLayout().paintRectPixels(writer.resolution()).size()
    scale = writer.resolution() / SCREEN_DPI
    width, height = paint.width() / scale, paint.height() / scale - FOOTER_PX
    document.setPageSize(QSizeF(width, height))
    keep_headings_with_next(document)
    painter = QPainter(writer)
    try:
        painter.scale(scale, scale)
        font = document.defaultFont()
        # in the painter's (screen pixel) units: a point size would be scaled twice
        font.setPixelSize(round(BASE_POINT_SIZE * 0.85 * SCREEN_DPI / 72))
        count = document.pageCount()
        for page in range(count):
            if page:
                writer.newPage()
            painter.save()
            painter.translate(0, -page * height)
            document.drawContents(painter, QRectF(0, page * height, width, height))
            painter.restore()
            if count > 1:
                painter.setFont(font)
                painter.setPen(QColor("#6e6e73"))
                footer = QRectF(0, height, width, FOOTER_PX)
                painter.drawText(
                    footer,
                    int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom),
                    f"{page + 1} / {count}",
                )
    finally:
        painter.end()


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
    # paginated here, so headings can be kept with what follows them
    _print(document, writer)
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

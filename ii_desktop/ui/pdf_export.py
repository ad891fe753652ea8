"""A notebook as PDF: its printable HTML laid out by QTextDocument into a QPdfWriter.

Works headless: without a running Qt application one is made on the offscreen platform,
so ``ii-desktop notebook export --format pdf`` needs no display. Nothing is fetched: the
HTML is self-contained and QTextDocument loads no remote resources.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QMarginsF
from PySide6.QtGui import QGuiApplication, QPageLayout, QPageSize, QPdfWriter, QTextDocument

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


def write_pdf(html: str, path: Path, title: str = "") -> None:
    """Render ``html`` to a PDF at ``path``, written to a temporary file then moved in.

    Raises OSError when the file cannot be written.
    """
    _ensure_app()
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    writer = QPdfWriter(str(tmp))
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
    del writer  # the file is complete only once the writer is gone
    if not tmp.is_file() or tmp.stat().st_size == 0:
        tmp.unlink(missing_ok=True)
        raise OSError(f"could not write {path}")
    os.replace(tmp, path)

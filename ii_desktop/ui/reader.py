"""The reader: a page as the model read it, from the run or from the notebook (offline)."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QDialog, QLabel, QTabWidget, QTextBrowser, QVBoxLayout, QWidget

from ii_desktop.ui.markdown_stream import MARKDOWN


class ReaderDialog(QDialog):
    """Shows ``page``: ``url``, ``title``, ``markdown`` (for people) and ``text`` (exactly
    what the model was given)."""

    def __init__(self, page: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = str(page.get("title") or page.get("url") or "Page")
        self.setWindowTitle(title)
        self.resize(760, 640)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 16)
        heading = QLabel(
            f"<b>{html.escape(title)}</b><br><span>{html.escape(str(page.get('url', '')))}</span>"
        )
        heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        heading.setWordWrap(True)
        layout.addWidget(heading)
        tabs = QTabWidget()
        self.page_view = QTextBrowser()
        self.page_view.setOpenExternalLinks(True)
        markdown = str(page.get("markdown") or "")
        text = str(page.get("text") or "")
        if markdown:
            self.page_view.document().setMarkdown(markdown, MARKDOWN)
        else:
            self.page_view.setPlainText(text or "This page's text is not saved in the notebook.")
        tabs.addTab(self.page_view, "Page")
        self.model_view = QTextBrowser()
        self.model_view.setPlainText(text or "Not available.")
        for view in (self.page_view, self.model_view):
            view.document().setDocumentMargin(12)
            view.moveCursor(QTextCursor.MoveOperation.Start)  # open at the top of the page
            QTimer.singleShot(0, lambda v=view: v.verticalScrollBar().setValue(0))
        tabs.addTab(self.model_view, "As the model read it")
        layout.addWidget(tabs)

"""Text views that grow with their content, and Markdown rendered while it streams.

``MarkdownStream`` renders an answer that arrives in pieces without ever re-rendering
the whole of it: text up to the last finished block (a blank line outside a code
fence) is converted once and stays; only the unfinished tail is replaced on each
update. Updates are coalesced by the caller (every 40 ms), so the cost per update is
the size of the tail, not of the answer.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor, QTextDocument, QTextOption
from PySide6.QtWidgets import QFrame, QSizePolicy, QTextBrowser, QWidget

MAX_COMMIT_CHARS = 800  # finished Markdown converted per update, so a burst is spread out
MARKDOWN = (
    QTextDocument.MarkdownFeature.MarkdownDialectGitHub
    | QTextDocument.MarkdownFeature.MarkdownNoHTML  # a page must not inject markup
)


class GrowingBrowser(QTextBrowser):
    """A read-only text view as tall as its document, for use inside a scroll area."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setOpenLinks(False)
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.document().setDocumentMargin(0)
        self.document().documentLayout().documentSizeChanged.connect(self._fit)
        self._height = 0

    def _fit(self, size: object = None) -> None:
        margins = self.contentsMargins()
        height = int(self.document().size().height()) + margins.top() + margins.bottom() + 4
        if height != self._height:
            self._height = height
            self.setFixedHeight(height)

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        width = self.viewport().width()
        # a height change (the document grew) must not relayout the whole document
        if self.document().textWidth() != width:
            self.document().setTextWidth(width)
            self._fit()


def split_finished(text: str) -> int:
    """Where the finished blocks of ``text`` end: after the last blank line that is not
    inside a code fence (0 when no block is finished yet)."""
    return BlockScanner().finished(text)


class BlockScanner:
    """``split_finished`` for a text that grows: each call scans only the lines added
    since the last one, so a long streamed answer costs the same per update at its end
    as at its start. A text that is not an extension of the last one is scanned afresh."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._text = ""
        self._pos = 0  # end of the last complete line scanned
        self._in_fence = False
        self._ends: list[int] = []  # where each blank line outside a fence ends

    def _scan(self, text: str) -> None:
        if not text.startswith(self._text[: self._pos]):
            self._reset()
        self._text = text
        while True:
            newline = text.find("\n", self._pos)
            if newline < 0:
                break
            stripped = text[self._pos : newline].strip()
            self._pos = newline + 1
            if stripped.startswith(("```", "~~~")):
                self._in_fence = not self._in_fence
            elif not stripped and not self._in_fence:
                self._ends.append(self._pos)

    def finished(self, text: str) -> int:
        self._scan(text)
        # a blank line ends a block only once something follows it
        i = bisect.bisect_left(self._ends, len(text))
        return self._ends[i - 1] if i else 0

    def commit_point(self, text: str, start: int, limit: int) -> int:
        """Where to end a commit that begins at the finished position ``start``: the
        last block end within ``limit`` characters, else the first one after them (a
        block longer than the limit still goes in whole); ``start`` when none is finished."""
        end = self.finished(text)
        if end - start <= limit:
            return max(end, start)
        i = bisect.bisect_right(self._ends, start + limit)
        within = self._ends[i - 1] if i else 0
        if within > start:
            return within
        return self._ends[bisect.bisect_right(self._ends, start)]


class MarkdownStream:
    """Appends streamed Markdown to a ``QTextBrowser``; see the module docstring.

    ``transform`` rewrites Markdown before it is rendered (citation links)."""

    def __init__(
        self, view: QTextBrowser, transform: Callable[[str], str] = lambda text: text
    ) -> None:
        self.view = view
        self.transform = transform
        self.text = ""
        self._rendered = ""  # text of the committed blocks
        self._tail_start = 0  # document position where the tail begins
        self._tail = ""
        self._blocks = BlockScanner()

    def set_text(self, text: str) -> None:
        """Show ``text`` (which usually extends what is shown) with as little work as
        possible: committed blocks are kept when ``text`` still starts with them."""
        if not text.startswith(self._rendered):
            self.reset()
        self.text = text
        self._update()

    def append(self, piece: str) -> None:
        self.set_text(self.text + piece)

    def reset(self) -> None:
        self.view.document().clear()
        self.text = self._rendered = self._tail = ""
        self._tail_start = 0

    def finish(self, changed_links: bool) -> None:
        """The text is final: render what is left, or everything again when the links
        changed (the run's citations resolved differently than while streaming)."""
        if changed_links or not self.text.startswith(self._rendered) or len(self.text) < 20_000:
            # an answer of ordinary length is redrawn whole once (a few ms), which also
            # evens out the block spacing that appending leaves; long ones keep their draft
            self.render_all()
            return
        self._update()  # while ``behind``, the caller keeps calling ``catch_up``

    def render_all(self) -> None:
        """Render the whole text once more (the answer is final, or the sources changed)."""
        doc = self.view.document()
        doc.setMarkdown(self.transform(self.text), MARKDOWN)
        self._rendered = self.text
        self._tail = ""
        self._tail_start = self._end()

    def _end(self) -> int:
        return max(0, self.view.document().characterCount() - 1)

    @property
    def behind(self) -> bool:
        """More finished text than one update renders is waiting (call ``catch_up``)."""
        return self._blocks.finished(self.text) > len(self._rendered) + MAX_COMMIT_CHARS

    def catch_up(self) -> None:
        self._update()

    def _update(self) -> None:
        start = len(self._rendered)
        # a burst: whole blocks up to the limit now, the rest on later updates
        cut = self._blocks.commit_point(self.text, start, MAX_COMMIT_CHARS)
        cursor = QTextCursor(self.view.document())
        cursor.beginEditBlock()
        try:
            if cut > start:
                self._replace_tail(cursor, self.text[start:cut])
                self._rendered = self.text[:cut]
                self._tail_start = self._end()
                self._tail = ""
            if self.behind:
                return  # the tail waits until the finished blocks are all in
            tail = self.text[len(self._rendered) :]
            if tail != self._tail:
                self._replace_tail(cursor, tail)
                self._tail = tail
        finally:
            cursor.endEditBlock()

    def _replace_tail(self, cursor: QTextCursor, markdown: str) -> None:
        cursor.setPosition(self._tail_start)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        if markdown.strip():
            if self._tail_start > 0:
                cursor.insertBlock()
            cursor.insertMarkdown(self.transform(markdown.strip("\n")), MARKDOWN)


class PlainStream:
    """Appends plain text (reasoning) at the end of a document: no Markdown, no reflow."""

    def __init__(self, view: QTextBrowser) -> None:
        self.view = view
        self.text = ""

    def append(self, piece: str) -> None:
        if not self.text:
            piece = piece.lstrip("\n")
        if not piece:
            return
        self.text += piece
        cursor = QTextCursor(self.view.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(piece)

    def set_text(self, text: str) -> None:
        self.text = text.strip("\n")
        self.view.setPlainText(self.text)

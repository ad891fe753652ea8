"""The sidebar's rows and icons: what each list item holds and how it is painted.

A row is a notebook (its title, when it was last used, how many questions, its tags) or
a search hit (the notebook's title and a snippet of the match). ``notebook_item`` and
``hit_item`` fill a ``QListWidgetItem``'s data roles; ``NotebookDelegate`` paints them
as two lines with a rounded selection, as a Mac source list does; ``line_icon`` draws
the search field's and the "+" button's icons.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QIcon,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import (
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
)

from ii_desktop.notebooks import NotebookSummary, SearchHit
from ii_desktop.ui.sidebar_words import (
    fit_tags,
    focus_snippet,
    notebook_detail,
    plain_snippet,
    tag_words,
)
from ii_desktop.ui.theme import Colors, colors, is_dark

# Item data. Qt.UserRole holds the notebook id, as every caller expects.
ID_ROLE = Qt.ItemDataRole.UserRole
KIND_ROLE = ID_ROLE + 1  # "notebook" | "hit"
UPDATED_ROLE = ID_ROLE + 2  # float timestamp (notebooks)
COUNT_ROLE = ID_ROLE + 3  # number of questions (notebooks)
TAGS_ROLE = ID_ROLE + 4  # list[str] (notebooks)
SNIPPET_ROLE = ID_ROLE + 5  # str (hits)
RUN_ROLE = ID_ROLE + 6  # run id (hits)
URL_ROLE = ID_ROLE + 7  # page URL (page hits)


# --- items -----------------------------------------------------------------------------


def best_hits(hits: Sequence[SearchHit]) -> list[SearchHit]:
    """One row per notebook: its best match (the store ranks them)."""
    seen: dict[str, SearchHit] = {}
    for hit in hits:
        seen.setdefault(hit.notebook_id, hit)
    return list(seen.values())


def notebook_item(n: NotebookSummary) -> QListWidgetItem:
    """A notebook's row: its title, when it was used, its questions and tags."""
    item = QListWidgetItem(n.title)
    item.setData(ID_ROLE, n.id)
    item.setData(KIND_ROLE, "notebook")
    item.setData(UPDATED_ROLE, n.updated)
    item.setData(COUNT_ROLE, n.runs)
    item.setData(TAGS_ROLE, list(n.tags))
    detail = notebook_detail(n.updated, n.runs)
    tags = tag_words(n.tags)
    words = f"{n.title}, {detail}" + (f", tags {', '.join(n.tags)}" if n.tags else "")
    item.setData(Qt.ItemDataRole.AccessibleTextRole, words)
    item.setToolTip(f"{n.title}\n{detail}" + (f"\n{tags}" if tags else ""))
    return item


def hit_item(hit: SearchHit, query: str) -> QListWidgetItem:
    """A search hit's row: its notebook's title and the snippet around the match."""
    snippet = plain_snippet(hit.snippet)
    item = QListWidgetItem(hit.title)
    item.setData(ID_ROLE, hit.notebook_id)
    item.setData(KIND_ROLE, "hit")
    item.setData(SNIPPET_ROLE, focus_snippet(snippet, query))
    item.setData(RUN_ROLE, hit.run_id)
    item.setData(URL_ROLE, hit.url)
    where = f", in the page {hit.url}" if hit.where == "page" and hit.url else ""
    item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{hit.title}{where}: {snippet}")
    item.setToolTip(f"{hit.title}\n{snippet}" + (f"\n{hit.url}" if hit.url else ""))
    return item


# --- drawing ---------------------------------------------------------------------------


def _alpha(color: str, alpha: float) -> QColor:
    c = QColor(color)
    c.setAlphaF(alpha)
    return c


def _selection_colors(c: Colors, focused: bool) -> tuple[QColor, QColor, QColor, QColor]:
    """(background, title, detail, tags) of a selected row."""
    if focused:
        text = QColor(c.accent_text)
        return QColor(c.accent), text, _alpha(c.accent_text, 0.82), _alpha(c.accent_text, 0.92)
    # the list does not have the keyboard: a quiet grey, as Finder and Mail do
    background = _alpha(c.text, 0.16 if is_dark() else 0.10)
    return background, QColor(c.text), QColor(c.muted), QColor(c.accent)


def line_icon(kind: str, color: str, size: int = 16) -> QIcon:
    """A crisp line icon ("search" or "plus") drawn for the screen's pixel ratio."""
    app = QGuiApplication.instance()
    ratio = app.devicePixelRatio() if isinstance(app, QGuiApplication) else 1.0
    pixmap = QPixmap(round(size * ratio), round(size * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(QColor(color), 1.6 if kind == "search" else 1.8)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    if kind == "search":
        painter.drawEllipse(QRectF(2.5, 2.5, 8.5, 8.5))
        painter.drawLine(QPointF(10.2, 10.2), QPointF(13.5, 13.5))
    else:
        mid = size / 2
        painter.drawLine(QPointF(mid, 3.5), QPointF(mid, size - 3.5))
        painter.drawLine(QPointF(3.5, mid), QPointF(size - 3.5, mid))
    painter.end()
    return QIcon(pixmap)


class NotebookDelegate(QStyledItemDelegate):
    """Two lines per row, a rounded selection inset from the edges, no grid, no focus rect."""

    INSET_X = 8  # between the list's edge and the selection
    INSET_Y = 1  # between two rows' selections
    PAD_X = 10
    PAD_Y = 6
    LINE_GAP = 2
    RADIUS = 6.0

    def _fonts(self, option: QStyleOptionViewItem) -> tuple[QFont, QFont]:
        title = QFont(option.font)
        title.setWeight(QFont.Weight.DemiBold)
        detail = QFont(option.font)
        size = option.font.pointSizeF()
        if size > 0:
            detail.setPointSizeF(max(size - 1.5, 8.0))
        return title, detail

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        title, detail = self._fonts(option)
        height = (
            2 * (self.INSET_Y + self.PAD_Y)
            + QFontMetrics(title).height()
            + self.LINE_GAP
            + QFontMetrics(detail).height()
        )
        return QSize(max(option.rect.width(), 120), height)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        c = colors()
        title_font, detail_font = self._fonts(option)
        rect = option.rect.adjusted(self.INSET_X, self.INSET_Y, -self.INSET_X, -self.INSET_Y)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        widget = option.widget
        focused = widget is not None and widget.hasFocus()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if selected:
            background, title_color, detail_color, tag_color = _selection_colors(c, focused)
            path = QPainterPath()
            path.addRoundedRect(QRectF(rect), self.RADIUS, self.RADIUS)
            painter.fillPath(path, background)
        else:
            title_color, detail_color, tag_color = QColor(c.text), QColor(c.muted), QColor(c.accent)

        text = rect.adjusted(self.PAD_X, self.PAD_Y, -self.PAD_X, -self.PAD_Y)
        title_metrics, detail_metrics = QFontMetrics(title_font), QFontMetrics(detail_font)
        title_rect = QRect(text.left(), text.top(), text.width(), title_metrics.height())
        detail_rect = QRect(
            text.left(),
            title_rect.bottom() + 1 + self.LINE_GAP,
            text.width(),
            detail_metrics.height(),
        )
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        elide = Qt.TextElideMode.ElideRight

        painter.setFont(title_font)
        painter.setPen(title_color)
        title = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        painter.drawText(title_rect, align, title_metrics.elidedText(title, elide, text.width()))

        painter.setFont(detail_font)
        painter.setPen(detail_color)
        if index.data(KIND_ROLE) == "hit":
            snippet = str(index.data(SNIPPET_ROLE) or "")
            painter.drawText(
                detail_rect, align, detail_metrics.elidedText(snippet, elide, text.width())
            )
        else:
            meta = notebook_detail(
                float(index.data(UPDATED_ROLE) or 0), int(index.data(COUNT_ROLE) or 0)
            )
            meta = detail_metrics.elidedText(meta, elide, text.width())
            painter.drawText(detail_rect, align, meta)
            used = detail_metrics.horizontalAdvance(meta + "  ")
            tags = fit_tags(
                index.data(TAGS_ROLE) or (),
                text.width() - used,
                detail_metrics.horizontalAdvance,
            )
            if tags:
                painter.setPen(tag_color)
                painter.drawText(detail_rect.adjusted(used, 0, 0, 0), align, tags)
        painter.restore()

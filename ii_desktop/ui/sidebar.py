"""The notebook sidebar: every notebook by recency, full-text search, and what to do with one.

A Mac-style source list: a search field and a "+" button above a list of notebooks, the
most recently used first, each with its title and a dimmed line (when it was last used,
how many questions it holds, its tags). Typing in the search field searches questions,
answers and the pages runs read; clearing it brings the notebooks back.

Every store call (listing, search, rename, tags, delete, export, import) runs off the
GUI thread through ``run_in_background``; results come back on the GUI thread. The
store is opened on first use and closed when the sidebar goes away (unless one was
passed in, which the caller owns).

Errors reach the user in plain words, never as a traceback: an action started from a
menu or dialog (``rename_selected``, ``import_notebook``...) is answered in a message
box; the direct methods (``rename``, ``import_from``...) and list loads emit ``problem``
for the window's banner.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    QStandardPaths,
    Qt,
    QThread,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QIcon,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ii_desktop.core.errors import AppError
from ii_desktop.core.settings import AppPaths
from ii_desktop.notebooks import (
    NotebookNotFound,
    NotebookStore,
    NotebookSummary,
    SearchHit,
    StoreUnavailable,
    export_json,
    import_file,
    render_html,
    render_markdown,
)
from ii_desktop.ui import widgets
from ii_desktop.ui.background import run_in_background
from ii_desktop.ui.theme import Colors, colors, is_dark

log = logging.getLogger(__name__)

SEARCH_DELAY_MS = 200
SEARCH_LIMIT = 50
CLOCK_MS = 60_000
EXPORT_FORMATS = ("md", "html", "pdf", "json")
EMPTY_HINT = "No notebooks yet. Ask a question to start one."
NO_MATCHES = "No matches for “{query}”."
LOAD_FAILED_HINT = "The notebooks could not be opened."

# Item data. Qt.UserRole holds the notebook id, as every caller expects.
ID_ROLE = Qt.ItemDataRole.UserRole
KIND_ROLE = ID_ROLE + 1  # "notebook" | "hit"
UPDATED_ROLE = ID_ROLE + 2  # float timestamp (notebooks)
COUNT_ROLE = ID_ROLE + 3  # number of questions (notebooks)
TAGS_ROLE = ID_ROLE + 4  # list[str] (notebooks)
SNIPPET_ROLE = ID_ROLE + 5  # str (hits)
RUN_ROLE = ID_ROLE + 6  # run id (hits)
URL_ROLE = ID_ROLE + 7  # page URL (page hits)

_FILTERS = {
    "md": "Markdown (*.md)",
    "html": "Web page (*.html)",
    "pdf": "PDF document (*.pdf)",
    "json": "ii-desktop notebook (*.json)",
}
_FORMAT_WORDS = {"md": "Markdown", "html": "HTML", "pdf": "PDF", "json": "JSON (for import)"}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)?")
_BARE_URL = re.compile(r"https?://(?:www\.)?([^/\s)]+)[^\s)]*")
_MD_MARKS = re.compile(r"\*\*|__|`+|(?:^|(?<=\s))#{1,6}\s|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)")
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


# --- words -------------------------------------------------------------------------------


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def relative_time(timestamp: float, now: float | None = None) -> str:
    """When, as a sidebar says it: "Today 14:05", "Yesterday", "3 Mar", "3 Mar 2023"."""
    when = datetime.fromtimestamp(timestamp)
    today = datetime.fromtimestamp(now) if now is not None else datetime.now()
    days = (today.date() - when.date()).days
    if days == 0:
        return f"Today {when:%H:%M}"
    if days == 1:
        return "Yesterday"
    day = f"{when.day} {_MONTHS[when.month - 1]}"
    return day if when.year == today.year else f"{day} {when.year}"


def notebook_detail(updated: float, runs: int, now: float | None = None) -> str:
    """The dimmed line under a notebook's title, without its tags."""
    questions = plural(runs, "question") if runs else "no questions"
    return f"{relative_time(updated, now)} · {questions}"


def plain_snippet(snippet: str) -> str:
    """A search snippet as words: Markdown marks dropped, links as their text or host."""
    text = _MD_LINK.sub(r"\1", snippet)
    text = _BARE_URL.sub(lambda m: m.group(1), text)
    text = _MD_MARKS.sub("", text)
    return " ".join(text.split())


def tag_words(tags: Sequence[str]) -> str:
    return " ".join(f"#{t}" for t in tags)


def fit_tags(tags: Sequence[str], room: float, width: Callable[[str], float]) -> str:
    """As many whole "#tags" as fit in ``room``, and "+N" for the rest ("" if none fit)."""
    shown: list[str] = []
    for n, tag in enumerate(tags):
        rest = len(tags) - n - 1
        candidate = " ".join([*shown, f"#{tag}"]) + (f" +{rest}" if rest else "")
        if width(candidate) > room:
            break
        shown.append(f"#{tag}")
    if not shown:
        return ""
    hidden = len(tags) - len(shown)
    return " ".join(shown) + (f" +{hidden}" if hidden else "")


def focus_snippet(snippet: str, query: str, lead: int = 24, keep: int = 48) -> str:
    """The snippet started a little before its first match, so a narrow row shows the
    match; at least ``keep`` characters are kept where the snippet has them."""
    words = [w for w in re.findall(r"\w+", query.lower()) if w]
    lowered = snippet.lower()
    found = [m.start() for w in words if (m := re.search(rf"\b{re.escape(w)}", lowered))]
    if not found or min(found) <= lead:
        return snippet
    start = snippet.rfind(" ", 0, min(min(found) - lead // 2, len(snippet) - keep))
    if start <= 0:
        return snippet
    return "…" + snippet[start + 1 :].lstrip("…")


def parse_tags(text: str) -> list[str]:
    """Comma-separated tags as typed; a leading "#" (as the list shows them) is dropped."""
    tags = (" ".join(part.split()).lstrip("#").strip() for part in text.split(","))
    return sorted({t for t in tags if t})


def export_file_name(title: str, fmt: str) -> str:
    """A file name for a notebook's export: its title without what file systems refuse."""
    name = " ".join(_UNSAFE_NAME.sub(" ", title).split()).strip(". ")[:80].strip()
    return f"{name or 'Notebook'}.{fmt}"


def _reason(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied"
    return exc.strerror or str(exc) or type(exc).__name__


def describe_error(exc: BaseException, doing: str) -> str:
    """A message a user can read for anything that went wrong while ``doing``."""
    if isinstance(exc, NotebookNotFound):  # its message names a CLI command
        return f"Could not {doing}: it no longer exists (deleted in another window?)."
    if isinstance(exc, AppError):
        return exc.message
    if isinstance(exc, OSError):
        return f"Could not {doing}: {_reason(exc)}."
    log.error("could not %s", doing, exc_info=(type(exc), exc, exc.__traceback__))
    return f"Could not {doing}: something unexpected went wrong ({type(exc).__name__})."


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".part")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise AppError(f"Could not write {path}: {_reason(exc)}.") from None


class _QtThread(QThread):
    """One call on a thread Qt started itself. Qt's per-thread font cache is torn down
    cleanly at such a thread's end; at the end of a Python thread that laid out a long
    document it warns ("QBasicTimer::start: ... event dispatcher has already been
    destroyed")."""

    def __init__(self, fn: Callable[[], None]) -> None:
        super().__init__()
        self._fn = fn
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._fn()
        except BaseException as exc:  # raised again by on_qt_thread
            self.error = exc


def on_qt_thread(fn: Callable[[], None]) -> None:
    """Run ``fn`` on a QThread and wait for it (from a worker thread, not the GUI's)."""
    thread = _QtThread(fn)
    thread.start()
    thread.wait()
    error, thread.error = thread.error, None
    if error is not None:
        raise error


def _write_pdf(html: str, path: Path, title: str) -> None:
    from ii_desktop.ui.pdf_export import write_pdf

    if not path.parent.is_dir():
        raise AppError(f"Could not write {path}: the folder {path.parent} does not exist.")
    try:
        on_qt_thread(lambda: write_pdf(html, path, title))
    except OSError as exc:
        reason = _reason(exc) if exc.errno is not None else "the PDF could not be written"
        raise AppError(f"Could not write {path}: {reason}.") from None


def export_notebook(store: NotebookStore, notebook_id: str, fmt: str, path: Path) -> Path:
    """Write one notebook to ``path`` as the CLI's ``notebook export`` does."""
    notebook = store.notebook(notebook_id)
    if fmt == "json":
        _write_text(path, export_json(store, notebook.id))
        return path
    runs = store.runs(notebook.id)
    if fmt == "md":
        _write_text(path, render_markdown(notebook, runs))
    elif fmt == "html":
        _write_text(path, render_html(notebook, runs))
    else:
        _write_pdf(render_html(notebook, runs, printable=True), path, notebook.title)
    return path


# --- the store, shared with the worker threads ---------------------------------------------


class _StoreHolder:
    """Opens the store on first use (on a worker thread) and closes it once."""

    def __init__(self, paths: AppPaths, store: NotebookStore | None) -> None:
        self._paths = paths
        self._store = store
        self._owned = store is None
        self._lock = threading.Lock()
        self._closed = False
        self.notice: str | None = None

    def get(self) -> NotebookStore:
        with self._lock:
            if self._closed:
                raise StoreUnavailable("The notebook list was closed.")
            if self._store is None:
                self._store = NotebookStore.open(self._paths.ensure())
                self.notice = self._store.notice
            return self._store

    def take_notice(self) -> str | None:
        with self._lock:
            notice, self.notice = self.notice, None
            return notice

    def close(self) -> None:
        with self._lock:
            self._closed = True
            store, self._store = self._store, None
        if store is not None and self._owned:
            store.close()


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


def _icon(kind: str, color: str, size: int = 16) -> QIcon:
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


# --- the sidebar -----------------------------------------------------------------------


class NotebookSidebar(QWidget):
    """The notebooks of the data folder, searchable, with their actions.

    Args:
        paths: Where the notebooks live.
        parent: The Qt parent.
        store: A store to use instead of opening one; the caller keeps and closes it.

    Signals:
        notebook_selected(str): The user picked a notebook (click, Return, or an import).
        new_notebook_requested(): The "+" button (or its menu entry) was chosen.
        notebook_deleted(str): A notebook was deleted; its id.
        exported(str): A notebook was written to this path.
        problem(str): Something went wrong, in plain words, for the window's banner.
        refreshed(): A list load (notebooks or search hits) finished and is shown.
    """

    notebook_selected = Signal(str)
    new_notebook_requested = Signal()
    notebook_deleted = Signal(str)
    exported = Signal(str)
    problem = Signal(str)
    refreshed = Signal()

    def __init__(
        self, paths: AppPaths, parent: QWidget | None = None, store: NotebookStore | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("sidebar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._paths = paths
        self._holder = _StoreHolder(paths, store)
        holder = self._holder  # the lambda must not keep the widget alive
        self.destroyed.connect(lambda *_: threading.Thread(target=holder.close).start())
        self._loading = False  # a list load is running
        self._again = False  # and another was asked for meanwhile
        self._query = ""
        self._pending_select: str | None = None
        self._pending_open: str | None = None  # emit notebook_selected once it is listed
        self._known: dict[str, NotebookSummary] = {}
        self._loaded_once = False
        self._export_dir = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation
        ) or str(Path.home())
        self._build()
        self.refresh()

    # --- building ----------------------------------------------------------------------

    def _build(self) -> None:
        self.search_field = QLineEdit()
        self.search_field.setPlaceholderText("Search notebooks")
        self.search_field.setClearButtonEnabled(True)
        self.search_field.setAccessibleName("Search notebooks")
        self.search_field.setAccessibleDescription(
            "Searches the questions, answers and pages of every notebook"
        )
        self._search_icon = self.search_field.addAction(
            QIcon(), QLineEdit.ActionPosition.LeadingPosition
        )
        self.search_field.textChanged.connect(self._on_search_text)
        self.search_field.installEventFilter(self)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._run_search)

        shortcut = QKeySequence("Ctrl+N").toString(QKeySequence.SequenceFormat.NativeText)
        self.new_button = QToolButton()
        self.new_button.setAccessibleName("New notebook")
        self.new_button.setToolTip(f"New notebook ({shortcut})")
        self.new_button.setIconSize(QSize(16, 16))
        self.new_button.setAutoRaise(True)
        self.new_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.new_button.clicked.connect(self.new_notebook_requested)

        self.section_label = QLabel("Notebooks")
        self.section_label.setObjectName("muted")
        font = QFont(self.section_label.font())
        font.setWeight(QFont.Weight.DemiBold)
        if font.pointSizeF() > 0:
            font.setPointSizeF(max(font.pointSizeF() - 1.5, 8.0))
        self.section_label.setFont(font)

        self.notebook_list = QListWidget()
        self.notebook_list.setAccessibleName("Notebooks")
        self.notebook_list.setItemDelegate(NotebookDelegate(self.notebook_list))
        self.notebook_list.setUniformItemSizes(True)
        self.notebook_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.notebook_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.notebook_list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.notebook_list.setFrameShape(QListWidget.Shape.NoFrame)
        self.notebook_list.setAttribute(Qt.WidgetAttribute.WA_MacShowFocusRect, False)
        self.notebook_list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.notebook_list.customContextMenuRequested.connect(self._show_context_menu)
        self.notebook_list.itemClicked.connect(self._on_item_clicked)
        self.notebook_list.installEventFilter(self)

        self.empty_hint = QLabel(_two_lines(EMPTY_HINT))
        self.empty_hint.setObjectName("muted")
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setWordWrap(True)
        self.empty_hint.setContentsMargins(24, 0, 24, 48)

        self._stack = QStackedWidget()
        self._stack.addWidget(self.notebook_list)
        self._stack.addWidget(self.empty_hint)

        top = QHBoxLayout()
        top.setContentsMargins(10, 12, 8, 6)
        top.setSpacing(4)
        top.addWidget(self.search_field, stretch=1)
        top.addWidget(self.new_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 6)
        layout.setSpacing(0)
        layout.addLayout(top)
        header = QHBoxLayout()
        header.setContentsMargins(18, 6, 18, 4)
        header.addWidget(self.section_label)
        layout.addLayout(header)
        layout.addWidget(self._stack, stretch=1)
        self.setMinimumWidth(200)
        self._apply_colors()
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_scheme_changed)

        # "Today 14:05" becomes "Yesterday" at midnight without a reload
        self._clock = QTimer(self)
        self._clock.setInterval(CLOCK_MS)
        self._clock.timeout.connect(self.notebook_list.viewport().update)
        self._clock.start()

    def _on_scheme_changed(self, *_: object) -> None:
        self._apply_colors()
        self.notebook_list.viewport().update()

    def _apply_colors(self) -> None:
        """Icons and the slim scroll bar follow the light or dark colours."""
        c = colors()
        self._search_icon.setIcon(_icon("search", c.muted))
        self.new_button.setIcon(_icon("plus", c.muted))
        handle = "rgba(255, 255, 255, 0.28)" if is_dark() else "rgba(0, 0, 0, 0.22)"
        sheet = (
            "QScrollBar:vertical { background: transparent; width: 10px; margin: 2px; }"
            f"QScrollBar::handle:vertical {{ background: {handle}; border-radius: 3px;"
            " min-height: 28px; }"
            "QScrollBar::add-line:vertical, QScrollBar::sub-line:vertical { height: 0; }"
            "QScrollBar::add-page:vertical, QScrollBar::sub-page:vertical"
            " { background: transparent; }"
        )
        if self.notebook_list.styleSheet() != sheet:
            self.notebook_list.setStyleSheet(sheet)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.StyleChange, QEvent.Type.PaletteChange):
            self._apply_colors()
            self.notebook_list.viewport().update()
        super().changeEvent(event)

    # --- public: state -------------------------------------------------------------------

    def focus_search(self) -> None:
        """Put the keyboard in the search field with its text selected (⌘F)."""
        self.search_field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_field.selectAll()

    def current_notebook_id(self) -> str | None:
        item = self.notebook_list.currentItem()
        return None if item is None else str(item.data(ID_ROLE))

    def set_current(self, notebook_id: str | None) -> None:
        """Select a notebook in the list (the one the window shows) without emitting."""
        if notebook_id is None:
            self._pending_select = None
            self._select_quietly(None)
            return
        item = self._item(notebook_id)
        if item is None:
            self._pending_select = notebook_id  # it may be in the next load
            return
        self.notebook_list.setCurrentItem(item)
        self.notebook_list.scrollToItem(item)

    def notebook_ids(self) -> list[str]:
        """The ids the list shows, top to bottom."""
        return [
            str(self.notebook_list.item(i).data(ID_ROLE)) for i in range(self.notebook_list.count())
        ]

    @property
    def searching(self) -> bool:
        return bool(self._query)

    # --- loading -----------------------------------------------------------------------

    def refresh(self, select_id: str | None = None) -> None:
        """Reload the list (or the search hits) in the background; select ``select_id``.

        One load runs at a time: asked again meanwhile, the sidebar loads once more when
        it ends and shows only that newer result."""
        if select_id is not None:
            self._pending_select = select_id
        if self._loading:
            self._again = True
            return
        self._start_load()

    def _start_load(self) -> None:
        self._loading = True
        query, holder = self._query, self._holder

        def load() -> tuple[list[NotebookSummary], list[SearchHit] | None, str | None]:
            store = holder.get()
            notebooks = store.notebooks()
            hits = store.search(query, SEARCH_LIMIT) if query else None
            return notebooks, hits, holder.take_notice()

        run_in_background(
            load,
            self._alive(lambda result: self._on_loaded(query, result)),
            self._alive(self._on_load_failed),
            name="ii-sidebar-load",
        )

    def _load_ended(self) -> bool:
        """Whether the load that just ended is the one to show (not outdated)."""
        self._loading = False
        if self._again:
            self._again = False
            self._start_load()
            return False
        return True

    def _alive(self, fn: Callable[[Any], None]) -> Callable[[Any], None]:
        """``fn``, dropped once the widget is gone (results may arrive after it closed)."""

        def call(value: Any) -> None:
            if shiboken6.isValid(self):
                fn(value)

        return call

    def _on_loaded(
        self,
        query: str,
        result: tuple[list[NotebookSummary], list[SearchHit] | None, str | None],
    ) -> None:
        notebooks, hits, notice = result
        if notice:
            self.problem.emit(notice)
        if not self._load_ended():
            return  # a newer load is on its way
        self._known = {n.id: n for n in notebooks}
        keep = self._pending_select or self.current_notebook_id()
        self._pending_select = None
        self._loaded_once = True
        if hits is None:
            self._fill([self._notebook_item(n) for n in notebooks])
            self.section_label.setText("Notebooks")
            self.empty_hint.setText(_two_lines(EMPTY_HINT))
        else:
            self._fill([self._hit_item(h, query) for h in self._best_hits(hits)])
            count = self.notebook_list.count()
            self.section_label.setText(f"{plural(count, 'notebook')} found" if count else "Search")
            self.empty_hint.setText(NO_MATCHES.format(query=query))
        self._select_quietly(keep)
        self._show_list_or_hint()
        opening, self._pending_open = self._pending_open, None
        if opening is not None and self.current_notebook_id() == opening:
            self.notebook_selected.emit(opening)
        self.refreshed.emit()

    def _on_load_failed(self, exc: BaseException) -> None:
        if not self._load_ended():
            return
        self.problem.emit(describe_error(exc, "load the notebooks"))
        if not self._loaded_once:
            self.empty_hint.setText(LOAD_FAILED_HINT)
            self._stack.setCurrentWidget(self.empty_hint)
        self.refreshed.emit()

    @staticmethod
    def _best_hits(hits: Sequence[SearchHit]) -> list[SearchHit]:
        """One row per notebook: its best match (the store ranks them)."""
        seen: dict[str, SearchHit] = {}
        for hit in hits:
            seen.setdefault(hit.notebook_id, hit)
        return list(seen.values())

    def _notebook_item(self, n: NotebookSummary) -> QListWidgetItem:
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

    def _hit_item(self, hit: SearchHit, query: str) -> QListWidgetItem:
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

    def _fill(self, items: list[QListWidgetItem]) -> None:
        view = self.notebook_list
        view.setUpdatesEnabled(False)
        blocked = view.blockSignals(True)
        try:
            view.clear()
            for item in items:
                view.addItem(item)
        finally:
            view.blockSignals(blocked)
            view.setUpdatesEnabled(True)

    def _select_quietly(self, notebook_id: str | None) -> None:
        item = self._item(notebook_id) if notebook_id else None
        view = self.notebook_list
        if item is None:
            view.setCurrentItem(None)
            view.clearSelection()
            return
        view.setCurrentItem(item)
        view.scrollToItem(item)

    def _show_list_or_hint(self) -> None:
        empty = self.notebook_list.count() == 0
        self._stack.setCurrentWidget(self.empty_hint if empty else self.notebook_list)
        self.section_label.setVisible(not empty or self.searching)

    def _item(self, notebook_id: str | None) -> QListWidgetItem | None:
        for i in range(self.notebook_list.count()):
            item = self.notebook_list.item(i)
            if item.data(ID_ROLE) == notebook_id:
                return item
        return None

    def _title(self, notebook_id: str) -> str:
        known = self._known.get(notebook_id)
        if known is not None:
            return known.title
        item = self._item(notebook_id)
        return item.text() if item is not None else "this notebook"

    # --- search ------------------------------------------------------------------------

    def _on_search_text(self, text: str) -> None:
        if text.strip():
            self._search_timer.start()
            return
        self._search_timer.stop()
        if self._query:
            self._query = ""
            self.refresh()

    def _run_search(self) -> None:
        query = self.search_field.text().strip()
        if query == self._query:
            return
        self._query = query
        self.refresh()

    # --- picking -------------------------------------------------------------------------

    def _on_item_clicked(self, item: QListWidgetItem) -> None:
        self.notebook_selected.emit(str(item.data(ID_ROLE)))

    def open_selected(self) -> None:
        """Open the selected notebook (as Return does)."""
        notebook_id = self.current_notebook_id()
        if notebook_id is not None:
            self.notebook_selected.emit(notebook_id)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if watched is self.notebook_list and self._list_key(event):
                return True
            if watched is self.search_field and self._search_key(event):
                return True
        return super().eventFilter(watched, event)

    def _list_key(self, event: QKeyEvent) -> bool:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.open_selected()
            return True
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_selected()
            return True
        return False

    def _search_key(self, event: QKeyEvent) -> bool:
        key = event.key()
        view = self.notebook_list
        if key == Qt.Key.Key_Down and view.count():
            if view.currentItem() is None:
                view.setCurrentRow(0)
            view.setFocus(Qt.FocusReason.TabFocusReason)
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and view.count():
            if view.currentItem() is None:
                view.setCurrentRow(0)
            self.open_selected()
            return True
        if key == Qt.Key.Key_Escape and self.search_field.text():
            self.search_field.clear()
            return True
        return False

    # --- context menu ------------------------------------------------------------------

    def context_menu(self, notebook_id: str | None) -> QMenu:
        """The menu for a notebook (or, for None, for the list's empty space)."""
        menu = QMenu(self)
        if notebook_id is not None:
            menu.addAction("Open", lambda: self.notebook_selected.emit(notebook_id))
            menu.addSeparator()
            menu.addAction("Rename…", lambda: self._ask_rename(notebook_id))
            menu.addAction("Edit Tags…", lambda: self._ask_tags(notebook_id))
            export = menu.addMenu("Export")
            for fmt in EXPORT_FORMATS:
                export.addAction(
                    f"{_FORMAT_WORDS[fmt]}…",
                    lambda fmt=fmt: self._ask_export(notebook_id, fmt),
                )
            menu.addSeparator()
            menu.addAction("Delete…", lambda: self._ask_delete(notebook_id))
            menu.addSeparator()
        menu.addAction("New Notebook", self.new_notebook_requested.emit)
        menu.addAction("Import Notebook…", self.import_notebook)
        return menu

    def _show_context_menu(self, pos: QPoint) -> None:
        item = self.notebook_list.itemAt(pos)
        menu = self.context_menu(None if item is None else str(item.data(ID_ROLE)))
        menu.exec(self.notebook_list.viewport().mapToGlobal(pos))
        menu.deleteLater()

    # --- dialogs -------------------------------------------------------------------------

    def _box(self, title: str) -> Callable[[str], None]:
        return lambda message: QMessageBox.warning(self, title, message)

    def _emit_problem(self, message: str) -> None:
        self.problem.emit(message)

    def rename_selected(self) -> None:
        notebook_id = self.current_notebook_id()
        if notebook_id is not None:
            self._ask_rename(notebook_id)

    def _ask_rename(self, notebook_id: str) -> None:
        old = self._title(notebook_id)
        title, ok = QInputDialog.getText(
            self, "Rename Notebook", "Title:", QLineEdit.EchoMode.Normal, old
        )
        if ok and title.strip() != old:
            self._rename(notebook_id, title, self._box("Could not rename the notebook"))

    def tag_selected(self) -> None:
        notebook_id = self.current_notebook_id()
        if notebook_id is not None:
            self._ask_tags(notebook_id)

    def _ask_tags(self, notebook_id: str) -> None:
        known = self._known.get(notebook_id)
        current = ", ".join(known.tags) if known else ""
        text, ok = QInputDialog.getText(
            self,
            "Edit Tags",
            f"Tags for “{self._title(notebook_id)}”, separated by commas:",
            QLineEdit.EchoMode.Normal,
            current,
        )
        if ok:
            self._set_tags(notebook_id, parse_tags(text), self._box("Could not change the tags"))

    def delete_selected(self) -> None:
        notebook_id = self.current_notebook_id()
        if notebook_id is not None:
            self._ask_delete(notebook_id)

    def _ask_delete(self, notebook_id: str) -> None:
        if self.confirm_delete(notebook_id):
            self._delete(notebook_id, self._box("Could not delete the notebook"))

    def confirm_delete(self, notebook_id: str) -> bool:
        """Ask before deleting; True when the user said yes."""
        known = self._known.get(notebook_id)
        what = f"Delete “{self._title(notebook_id)}”?"
        if known is None or known.runs:
            questions = "questions" if known is None else plural(known.runs, "question")
            text = f"Its {questions} and saved pages are removed. This cannot be undone."
        else:
            text = "This cannot be undone."
        return widgets.confirm(self, what, text, "Delete", destructive=True)

    def export_selected(self, fmt: str) -> None:
        notebook_id = self.current_notebook_id()
        if notebook_id is not None:
            self._ask_export(notebook_id, fmt)

    def _ask_export(self, notebook_id: str, fmt: str) -> None:
        _check_format(fmt)
        title = self._title(notebook_id)
        suggested = str(Path(self._export_dir) / export_file_name(title, fmt))
        path, _ = QFileDialog.getSaveFileName(self, f"Export “{title}”", suggested, _FILTERS[fmt])
        if not path:
            return
        target = Path(path)
        if not target.suffix:
            target = target.with_suffix(f".{fmt}")
        self._export_dir = str(target.parent)
        self._export(notebook_id, fmt, target, self._box("Could not export the notebook"))

    def import_notebook(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Import Notebook",
            self._export_dir,
            "Notebook export (*.json);;All files (*)",
        )
        if path:
            self._export_dir = str(Path(path).parent)
            self._import(Path(path), self._box("Could not import the notebook"))

    # --- actions (direct) ----------------------------------------------------------------

    def rename(self, notebook_id: str, title: str) -> None:
        """Give a notebook a new title; ``problem`` says why not (an empty title...)."""
        self._rename(notebook_id, title, self._emit_problem)

    def set_tags(self, notebook_id: str, tags: Sequence[str]) -> None:
        """Make the notebook's tags exactly ``tags`` (an empty list removes them all)."""
        self._set_tags(notebook_id, parse_tags(",".join(tags)), self._emit_problem)

    def delete(self, notebook_id: str, confirm: bool = False) -> None:
        """Delete a notebook; with ``confirm`` the user is asked first."""
        if confirm:
            self._ask_delete(notebook_id)
        else:
            self._delete(notebook_id, self._emit_problem)

    def export_to(self, notebook_id: str, fmt: str, path: str | os.PathLike[str]) -> None:
        """Write a notebook as md, html, pdf or json; ``exported`` or ``problem`` follows."""
        _check_format(fmt)
        self._export(notebook_id, fmt, Path(path), self._emit_problem)

    def import_from(self, path: str | os.PathLike[str]) -> None:
        """Import a JSON export as a new notebook, select it and open it."""
        self._import(Path(path), self._emit_problem)

    # --- actions (in the background) ----------------------------------------------------

    def _work(
        self,
        fn: Callable[[NotebookStore], Any],
        on_done: Callable[[Any], None],
        report: Callable[[str], None],
        doing: str,
    ) -> None:
        holder = self._holder

        def failed(exc: BaseException) -> None:
            report(describe_error(exc, doing))
            if isinstance(exc, NotebookNotFound):
                self.refresh()  # its row is out of date

        run_in_background(
            lambda: fn(holder.get()),
            self._alive(on_done),
            self._alive(failed),
            name="ii-sidebar-action",
        )

    def _rename(self, notebook_id: str, title: str, report: Callable[[str], None]) -> None:
        self._work(
            lambda store: store.rename(notebook_id, title).id,
            lambda renamed: self.refresh(select_id=renamed),
            report,
            "rename the notebook",
        )

    def _set_tags(self, notebook_id: str, tags: list[str], report: Callable[[str], None]) -> None:
        def change(store: NotebookStore) -> str:
            notebook = store.notebook(notebook_id)
            gone = sorted(set(notebook.tags) - set(tags))
            new = sorted(set(tags) - set(notebook.tags))
            if gone:
                store.tag(notebook.id, gone, remove=True)
            if new:
                store.tag(notebook.id, new)
            return notebook.id

        self._work(
            change,
            lambda changed: self.refresh(select_id=changed),
            report,
            "change the tags",
        )

    def _delete(self, notebook_id: str, report: Callable[[str], None]) -> None:
        was_current = self.current_notebook_id() == notebook_id
        ids = self.notebook_ids()
        following: str | None = None
        if notebook_id in ids:
            row = ids.index(notebook_id)
            rest = ids[row + 1 :] + ids[:row][::-1]  # the next one, else the one above
            following = rest[0] if rest else None

        def done(deleted: str) -> None:
            self.notebook_deleted.emit(deleted)
            if was_current and following is not None and self.current_notebook_id() == deleted:
                # the window showed the deleted notebook: the next one takes its place
                self._pending_open = following
                self.refresh(select_id=following)
            else:
                self.refresh()

        self._work(lambda store: store.delete(notebook_id).id, done, report, "delete the notebook")

    def _export(
        self, notebook_id: str, fmt: str, path: Path, report: Callable[[str], None]
    ) -> None:
        self._work(
            lambda store: str(export_notebook(store, notebook_id, fmt, path)),
            self.exported.emit,
            report,
            f"export the notebook to {path}",
        )

    def _import(self, path: Path, report: Callable[[str], None]) -> None:
        def done(notebook_id: str) -> None:
            if self._query:  # the new notebook may not match: show every notebook
                self.search_field.blockSignals(True)
                self.search_field.clear()
                self.search_field.blockSignals(False)
                self._search_timer.stop()
                self._query = ""
            self._pending_open = notebook_id
            self.refresh(select_id=notebook_id)

        self._work(
            lambda store: import_file(store, path).id,
            done,
            report,
            f"import {path}",
        )


def _two_lines(sentences: str) -> str:
    """Two sentences on two lines: a narrow column then breaks where a reader pauses."""
    return sentences.replace(". ", ".\n", 1)


def _check_format(fmt: str) -> None:
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; one of {', '.join(EXPORT_FORMATS)}")


__all__ = [
    "EMPTY_HINT",
    "EXPORT_FORMATS",
    "NotebookDelegate",
    "NotebookSidebar",
    "describe_error",
    "export_file_name",
    "fit_tags",
    "focus_snippet",
    "notebook_detail",
    "parse_tags",
    "plain_snippet",
    "relative_time",
]

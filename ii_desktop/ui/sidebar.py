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

This module holds the widget: building it, loading the list, search and the keyboard.
The notebook actions are in ``sidebar_actions``, the rows and their painting in
``sidebar_rows``, the words in ``sidebar_words``, the store and exports in
``sidebar_store``; the names callers use are re-exported here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, QObject, QSize, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QGuiApplication, QIcon, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ii_desktop.core.settings import AppPaths
from ii_desktop.core.text import plural
from ii_desktop.notebooks import NotebookStore, NotebookSummary, SearchHit
from ii_desktop.ui.background import run_in_background
from ii_desktop.ui.sidebar_actions import NotebookActions
from ii_desktop.ui.sidebar_rows import (
    ID_ROLE,
    KIND_ROLE,
    SNIPPET_ROLE,
    NotebookDelegate,
    best_hits,
    hit_item,
    line_icon,
    notebook_item,
)
from ii_desktop.ui.sidebar_store import EXPORT_FORMATS, StoreHolder, export_file_name
from ii_desktop.ui.sidebar_words import (
    describe_error,
    fit_tags,
    focus_snippet,
    notebook_detail,
    parse_tags,
    plain_snippet,
    relative_time,
    two_lines,
)
from ii_desktop.ui.theme import colors, is_dark

SEARCH_DELAY_MS = 200
SEARCH_LIMIT = 50
CLOCK_MS = 60_000
EMPTY_HINT = "No notebooks yet. Ask a question to start one."
NO_MATCHES = "No matches for “{query}”."
LOAD_FAILED_HINT = "The notebooks could not be opened."


class NotebookSidebar(NotebookActions, QWidget):
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
        self._holder = StoreHolder(paths, store)
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

        self.empty_hint = QLabel(two_lines(EMPTY_HINT))
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
        self._search_icon.setIcon(line_icon("search", c.muted))
        self.new_button.setIcon(line_icon("plus", c.muted))
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
            self._fill([notebook_item(n) for n in notebooks])
            self.section_label.setText("Notebooks")
            self.empty_hint.setText(two_lines(EMPTY_HINT))
        else:
            self._fill([hit_item(h, query) for h in best_hits(hits)])
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


__all__ = [
    "EMPTY_HINT",
    "EXPORT_FORMATS",
    "ID_ROLE",
    "KIND_ROLE",
    "LOAD_FAILED_HINT",
    "SNIPPET_ROLE",
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

"""The conversation: a notebook's runs, oldest at the top, the live one at the bottom.

Long notebooks open fast because only the latest ``PAGE`` runs are built; earlier ones
are built a page at a time when the user scrolls to the top or asks for them. Saved
runs are drawn from their folded log (``RunLog``) in one go, not replayed event by event.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ii_desktop.agent.events import Source, Stats
from ii_desktop.notebooks.records import RunRecord
from ii_desktop.notebooks.runlog import RunLog
from ii_desktop.ui.run_view import RunView

PAGE = 8


def view_from_record(record: RunRecord, fold_reasoning: bool = True) -> RunView:
    """A finished (or interrupted) run drawn from its notebook record."""
    log: RunLog = record.log
    view = RunView(record.question, record.mode, fold_reasoning)
    view.run_id = record.id
    if log.reasoning:
        view.reasoning.set_text(log.reasoning)
        view.thinking_button.show()
        view.thinking_button.setChecked(not fold_reasoning)
        view.reasoning_view.setVisible(not fold_reasoning)
    for source in log.source_list():
        view.apply(Source(record.id, source.n, source.url, source.title, source.kind), live=False)
    for activity in log.tools.values():
        from ii_desktop.agent.events import ToolCall, ToolResult

        view.apply(
            ToolCall(record.id, activity.call_id, activity.name, activity.arguments), live=False
        )
        if activity.ok is not None:
            view.apply(
                ToolResult(
                    record.id,
                    activity.call_id,
                    activity.name,
                    activity.ok,
                    "",
                    activity.error,
                    None,
                    activity.reused,
                    dict(activity.data),
                ),
                live=False,
            )
    if isinstance(log.stats, Stats):
        view.apply(log.stats, live=False)
    if log.finished is not None:
        view.apply(log.finished, live=False)
    else:
        view.show_interrupted(
            "interrupted" if record.status in ("interrupted", "running") else record.status,
            record.answer,
        )
    return view


class ConversationView(QScrollArea):
    """See the module docstring.

    Signals:
        source_opened(dict), regenerate_requested(str, str), edit_requested(str, str):
            forwarded from the run views.
    """

    source_opened = Signal(dict)
    regenerate_requested = Signal(str, str)
    edit_requested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAccessibleName("Conversation")
        self.body = QWidget()
        self.body.setObjectName("page")
        self.column = QVBoxLayout(self.body)
        self.column.setContentsMargins(28, 20, 28, 20)
        self.column.setSpacing(14)
        self.more_button = QPushButton("Show earlier questions")
        self.more_button.setAccessibleName("Show earlier questions")
        self.more_button.clicked.connect(self.show_more)
        self.more_button.hide()
        self.column.addWidget(self.more_button, 0, Qt.AlignmentFlag.AlignHCenter)
        self.empty_label = QLabel()
        self.empty_label.setObjectName("muted")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.column.addWidget(self.empty_label)
        self.column.addStretch(1)
        self.setWidget(self.body)
        self.views: list[RunView] = []
        self._hidden: list[RunRecord] = []
        self.fold_reasoning = True
        self._follow = True
        self.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.verticalScrollBar().rangeChanged.connect(self._range_changed)
        self.set_empty_text(
            "Ask a research question below. The model searches the web, reads pages and "
            "answers with numbered sources."
        )

    def set_empty_text(self, text: str) -> None:
        self.empty_label.setText(text)
        self.empty_label.setVisible(not self.views)

    # --- content ----------------------------------------------------------------------

    def clear(self) -> None:
        for view in self.views:
            view.setParent(None)
            view.deleteLater()
        self.views = []
        self._hidden = []
        self.more_button.hide()
        self.empty_label.show()

    def show_records(self, records: Sequence[RunRecord]) -> None:
        """Show a notebook's runs: the latest page now, earlier ones on demand."""
        self.clear()
        records = list(records)
        self._hidden = records[:-PAGE] if len(records) > PAGE else []
        self.body.setUpdatesEnabled(False)
        try:
            for record in records[-PAGE:]:
                self._insert(view_from_record(record, self.fold_reasoning))
        finally:
            self.body.setUpdatesEnabled(True)
        self.more_button.setVisible(bool(self._hidden))
        self._follow = True
        QTimer.singleShot(0, self.scroll_to_end)

    def show_more(self) -> None:
        if not self._hidden:
            return
        page, self._hidden = self._hidden[-PAGE:], self._hidden[:-PAGE]
        bar = self.verticalScrollBar()
        before = bar.maximum() - bar.value()
        self.body.setUpdatesEnabled(False)
        try:
            for i, record in enumerate(page):
                self._insert(view_from_record(record, self.fold_reasoning), at=i)
        finally:
            self.body.setUpdatesEnabled(True)
        self.more_button.setVisible(bool(self._hidden))
        QTimer.singleShot(0, lambda: bar.setValue(bar.maximum() - before))

    def add_live(self, question: str, mode: str) -> RunView:
        view = RunView(question, mode, self.fold_reasoning)
        self._insert(view)
        self._follow = True
        QTimer.singleShot(0, self.scroll_to_end)
        return view

    def _insert(self, view: RunView, at: int | None = None) -> None:
        view.source_opened.connect(self.source_opened)
        view.regenerate_requested.connect(self.regenerate_requested)
        view.edit_requested.connect(self.edit_requested)
        # layout: [more button, empty label, views..., stretch]
        index = 2 + (len(self.views) if at is None else at)
        self.column.insertWidget(index, view)
        if at is None:
            self.views.append(view)
        else:
            self.views.insert(at, view)
        self.empty_label.hide()

    # --- scrolling ------------------------------------------------------------------

    def _scrolled(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._follow = value >= bar.maximum() - 24
        if value == bar.minimum() and self._hidden and bar.maximum() > 0:
            self.show_more()

    def _range_changed(self, low: int, high: int) -> None:
        if self._follow:
            self.verticalScrollBar().setValue(high)

    def scroll_to_end(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def restyle(self) -> None:
        for view in self.views:
            view.restyle()

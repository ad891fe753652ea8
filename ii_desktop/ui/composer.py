"""The question box: Enter sends, Shift+Enter starts a new line, a mode and Send/Stop."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

MODES = (("normal", "Answer"), ("short", "Short answer"), ("report", "Report"))


class QuestionEdit(QPlainTextEdit):
    """Multi-line; Enter (or Cmd+Return) sends, Shift+Enter inserts a line break."""

    send = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.send.emit()
            return
        super().keyPressEvent(event)


class Composer(QFrame):
    """Signals: submitted(question, mode), stop_requested()."""

    submitted = Signal(str, str)
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(6)
        self.edit = QuestionEdit()
        self.edit.setPlaceholderText(
            "Ask a research question…   (Enter to send, Shift+Enter for a new line)"
        )
        self.edit.setAccessibleName("Question")
        self.edit.setFrameShape(QFrame.Shape.NoFrame)
        self.edit.setStyleSheet("border: none; background: transparent;")
        self.edit.setFixedHeight(64)
        self.edit.setTabChangesFocus(True)  # Tab moves on, as in any form; never a trap
        self.edit.send.connect(self._send)
        layout.addWidget(self.edit)
        row = QHBoxLayout()
        from ii_desktop.ui.widgets import ComboBox

        self.mode: QComboBox = ComboBox()
        self.mode.setAccessibleName("Answer mode")
        for key, label in MODES:
            self.mode.addItem(label, key)
        row.addWidget(self.mode)
        row.addStretch(1)
        self.send_button = QPushButton("Ask")
        self.send_button.setObjectName("primary")
        self.send_button.setAccessibleName("Ask")
        self.send_button.setToolTip("Ask (Return)")
        self.send_button.clicked.connect(self._send_or_stop)
        row.addWidget(self.send_button)
        layout.addLayout(row)
        self._running = False
        self._ready = True

    @property
    def question(self) -> str:
        return self.edit.toPlainText().strip()

    def set_question(self, text: str, mode: str | None = None) -> None:
        self.edit.setPlainText(text)
        if mode is not None:
            index = self.mode.findData(mode)
            if index >= 0:
                self.mode.setCurrentIndex(index)
        self.edit.setFocus()

    def set_running(self, running: bool) -> None:
        self._running = running
        self.send_button.setText("Stop" if running else "Ask")
        self.send_button.setToolTip("Stop (⌘.)" if running else "Ask (Return)")
        self.send_button.setAccessibleName(self.send_button.text())
        self._update_enabled()

    def set_ready(self, ready: bool) -> None:
        self._ready = ready
        self._update_enabled()

    def _update_enabled(self) -> None:
        self.send_button.setEnabled(self._running or self._ready)

    def _send_or_stop(self) -> None:
        if self._running:
            self.stop_requested.emit()
        else:
            self._send()

    def _send(self) -> None:
        question = self.question
        if self._running or not question or not self._ready:
            return
        self.submitted.emit(question, str(self.mode.currentData()))
        self.edit.clear()

"""Asking the user before a run opens a URL the model was not shown.

A run's thread calls ``ConsentBroker.ask`` and waits; the question is shown on the GUI
thread, with the full URL, and the answer goes back: open it once, always open its host,
or not at all (the default, and what an unanswered question becomes after a while).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from ii_desktop.tools.provenance import HOST, ONCE, REFUSE

ANSWER_WAIT_S = 180.0  # a question left unanswered this long is a refusal


@dataclass
class _Question:
    url: str
    answered: threading.Event = field(default_factory=threading.Event)
    answer: str = REFUSE


def ask_user(parent: QWidget | None, url: str) -> str:
    """The dialog: the whole URL, what the risk is, and three plainly named choices."""
    host = urlsplit(url).hostname or url
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Open a page the model was not shown?")
    box.setText("The model wants to open a page it was not shown.")
    box.setInformativeText(
        f"{url}\n\nThis address did not appear in your question, the search results or "
        "the pages read. A page can ask the model to visit such an address to carry your "
        "notes away, so open it only if you expect it."
    )
    once = box.addButton("Open Once", QMessageBox.ButtonRole.AcceptRole)
    always = box.addButton(f"Always Open {host}", QMessageBox.ButtonRole.AcceptRole)
    refuse = box.addButton("Don't Open", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(refuse)
    box.setEscapeButton(refuse)
    box.exec()
    clicked = box.clickedButton()
    return ONCE if clicked is once else HOST if clicked is always else REFUSE


class ConsentBroker(QObject):
    """Carries consent questions from run threads to the GUI thread and back.

    Signals:
        trusted(str): the user chose to always open this host.
    """

    trusted = Signal(str)
    _asked = Signal(object)

    def __init__(
        self,
        parent: QWidget,
        prompt: Callable[[QWidget | None, str], str] = ask_user,
        wait_s: float = ANSWER_WAIT_S,
    ) -> None:
        super().__init__(parent)
        self._window = parent
        self.prompt = prompt
        self.wait_s = wait_s
        self._pending: list[_Question] = []
        self._lock = threading.Lock()
        self._asked.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def ask(self, url: str) -> str:
        """From a run's thread: the user's answer (``ONCE``, ``HOST`` or ``REFUSE``)."""
        question = _Question(url)
        with self._lock:
            self._pending.append(question)
        self._asked.emit(question)
        question.answered.wait(self.wait_s)
        with self._lock:
            if question in self._pending:
                self._pending.remove(question)
        return question.answer if question.answered.is_set() else REFUSE

    def on_trust(self, host: str) -> None:
        """From a run's thread: remember the host (on the GUI thread)."""
        self.trusted.emit(host)

    def refuse_all(self) -> None:
        """The window closes: every question still waiting is answered no."""
        with self._lock:
            pending, self._pending = self._pending, []
        for question in pending:
            question.answer = REFUSE
            question.answered.set()

    @Slot(object)
    def _show(self, question: _Question) -> None:
        if question.answered.is_set():
            return
        answer = REFUSE
        try:
            answer = self.prompt(self._window, question.url)
        finally:  # a failing dialog is a refusal, and the run never waits forever
            if not question.answered.is_set():
                question.answer = answer
                question.answered.set()

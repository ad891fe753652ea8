"""The confirmation dialog: buttons named for what they do, Cancel the safe default."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton, QWidget

from ii_desktop.ui.widgets import confirm

pytestmark = pytest.mark.gui


def _answer(qtbot, press):
    """Call ``press(box)`` on the dialog once it is open."""
    seen = {}

    def act():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, act)
            return
        seen["buttons"] = [b.text() for b in box.findChildren(QPushButton)]
        seen["default"] = box.defaultButton().text()
        seen["title"] = box.text()
        press(box)

    QTimer.singleShot(20, act)
    return seen


@pytest.mark.parametrize(
    ("press", "expected"),
    [
        (lambda box: next(b for b in box.buttons() if b.text() == "Delete").click(), True),
        (lambda box: next(b for b in box.buttons() if b.text() == "Cancel").click(), False),
        (lambda box: box.defaultButton().click(), False),  # Return takes the safe default
        (lambda box: QApplication.sendEvent(box, _escape()), False),
    ],
)
def test_confirm_names_its_buttons_and_cancel_is_the_default(qtbot, press, expected):
    parent = QWidget()
    qtbot.addWidget(parent)
    seen = _answer(qtbot, press)
    chosen = confirm(
        parent, "Delete “Paris”?", "This cannot be undone.", "Delete", destructive=True
    )
    assert chosen is expected
    assert sorted(seen["buttons"]) == ["Cancel", "Delete"]
    assert seen["default"] == "Cancel"
    assert seen["title"] == "Delete “Paris”?"


def _escape():
    from PySide6.QtGui import QKeyEvent

    return QKeyEvent(QKeyEvent.Type.KeyPress, Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier)


@pytest.mark.parametrize(
    ("button", "expected"),
    [("Open Once", "once"), ("Always Open collector.example", "host"), ("Don't Open", "refuse")],
)
def test_the_consent_dialog_shows_the_whole_url_and_names_its_choices(qtbot, button, expected):
    from ii_desktop.ui.consent import ask_user

    url = "https://collector.example/c?data=my+private+notes"
    seen = {}

    def act():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, act)
            return
        seen["buttons"] = sorted(b.text() for b in box.buttons())
        seen["default"] = box.defaultButton().text()
        seen["text"] = box.informativeText()
        next(b for b in box.buttons() if b.text() == button).click()

    QTimer.singleShot(20, act)
    parent = QWidget()
    qtbot.addWidget(parent)
    assert ask_user(parent, url) == expected
    assert seen["buttons"] == sorted(["Open Once", "Always Open collector.example", "Don't Open"])
    assert seen["default"] == "Don't Open"
    assert url in seen["text"]

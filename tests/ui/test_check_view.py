"""The fact-check window: a dropped page checked in place, claim by claim."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QTextCursor

from ii_desktop.core.settings import EngineSettings, Settings, app_paths, save_settings
from ii_desktop.engine.replay import ReplayEngine
from ii_desktop.ui import widgets
from ii_desktop.ui.check_view import CheckWindow
from ii_desktop.ui.main_window import MainWindow
from tests.factcheck.scenario import (
    LENGTH_CLAIM,
    LONGEST_CLAIM,
    extraction_turn,
    verification_turns,
    web,
)


@pytest.fixture(autouse=True)
def never_block_on_close(monkeypatch):
    monkeypatch.setattr(widgets, "confirm", lambda *a, **k: True)


@pytest.fixture
def w():
    with web() as both:
        yield both


def window_for(qtbot, w, script, delay=0.0):
    save_settings(
        app_paths(), Settings(engine=EngineSettings(model_path="replay"), tools=w.settings)
    )
    window = MainWindow(
        app_paths(), engine_factory=lambda s, p: (ReplayEngine(list(script), delay=delay), None)
    )
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.session is not None, timeout=10000)
    return window


def checks(window) -> list[CheckWindow]:
    return [c for c in window.findChildren(CheckWindow) if c.isVisible()]


def script(w):
    return [
        extraction_turn(),
        *verification_turns(w, "/atlas", "SUPPORTED", "Its length is 777 kilometres"),
        *verification_turns(w, "/rivers", "REFUTED", "The Volga is the longest river in Europe"),
    ]


def test_a_dropped_page_is_checked_in_place(qtbot, w):
    window = window_for(qtbot, w, script(w))
    window.open_dropped([w.article], [])
    qtbot.waitUntil(lambda: bool(checks(window)))
    (view,) = checks(window)
    qtbot.waitUntil(lambda: view.report is not None, timeout=30000)
    assert view.title.text() == "Facts about the Seine"
    assert "2 of 2 claims checked" in view.summary.text()
    assert "1 supported" in view.summary.text() and "1 refuted" in view.summary.text()
    listed = view.claim_list.toPlainText()
    assert listed.index("Supported") < listed.index(LENGTH_CLAIM) < listed.index("Refuted")
    assert listed.index("Refuted") < listed.index(LONGEST_CLAIM)
    assert "Show evidence (1)" in listed and "Its length is 777" not in listed
    view._link(QUrl("toggle:0"))  # the evidence opens in place
    assert "“Its length is 777 kilometres”" in view.claim_list.toPlainText()
    assert "Seine · 127.0.0.1" in view.claim_list.toPlainText()
    # the claim's words on the page carry its verdict's colour
    start, end = view.claims[0]["span"]
    cursor = QTextCursor(view.page.document())
    cursor.setPosition(start + 1)
    assert cursor.charFormat().background().color().alpha() == 60
    # choosing a claim selects its words on the page
    view._link(QUrl("claim:1"))
    start, end = view.claims[1]["span"]
    assert view.page.textCursor().selectedText() == view.text[start:end]
    assert view.cancel_button.text() == "Close"
    # the check's notebook is in the sidebar
    qtbot.waitUntil(lambda: window.sidebar_has_items(), timeout=10000)


def test_stop_keeps_the_verdicts_that_landed(qtbot, w):
    window = window_for(qtbot, w, script(w), delay=0.02)
    window.open_dropped([w.article], [])
    qtbot.waitUntil(lambda: bool(checks(window)))
    (view,) = checks(window)
    qtbot.waitUntil(lambda: len(view.results) == 1, timeout=30000)
    view.cancel()
    qtbot.waitUntil(lambda: view.report is not None, timeout=30000)
    assert view.report["reason"] == "cancelled"
    assert "1 of 2 claims checked" in view.summary.text()
    assert view.stage.text().startswith("Stopped.") and "--resume" in view.stage.text()


def test_a_page_that_cannot_be_read_says_so_in_the_window(qtbot, w):
    window = window_for(qtbot, w, [])
    window.open_dropped([w.pages.url("/missing")], [])
    qtbot.waitUntil(lambda: bool(checks(window)))
    (view,) = checks(window)
    qtbot.waitUntil(lambda: view.cancel_button.text() == "Close", timeout=30000)
    assert view.summary.text() == "The check could not run."
    assert "could not be read" in view.stage.text() and "404" in view.stage.text()


def test_closing_the_window_mid_check_stops_it_quietly(qtbot, w):
    window = window_for(qtbot, w, script(w), delay=0.05)
    window.open_dropped([w.article], [])
    qtbot.waitUntil(lambda: bool(checks(window)))
    (view,) = checks(window)
    qtbot.waitUntil(lambda: view.check is not None, timeout=30000)
    check = view.check
    view.close()
    qtbot.waitUntil(lambda: check.cancelled, timeout=5000)
    qtbot.waitUntil(lambda: not window.session.running(), timeout=30000)

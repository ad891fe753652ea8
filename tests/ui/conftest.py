"""Window tests leave nothing running into the next test: background work started by a
window (an engine being built or closed, a notebook check) is waited for at teardown."""

from __future__ import annotations

import threading
import time

import pytest

SETTLE_S = 30.0


def _leftovers(before: set[threading.Thread]) -> list[threading.Thread]:
    return [
        t
        for t in threading.enumerate()
        if t not in before and t.is_alive() and t.name.startswith(("ii-background", "ii-engine"))
    ]


@pytest.fixture(autouse=True)
def settle_background_work():
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + SETTLE_S
    for thread in _leftovers(before):
        thread.join(max(0.0, deadline - time.monotonic()))
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is not None:  # results of that work reach their (closed) windows now, not later
        app.processEvents()

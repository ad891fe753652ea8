"""The Qt binding this project installs survives the calls a streaming window makes.

PySide6 6.12.0 on CPython 3.11 drops a reference to ``None`` on every call of a Qt
method that returns nothing; after a few thousand calls the interpreter aborts
("none_dealloc"). A streaming answer makes such calls by the thousand, so the
dependency bounds exclude that pair, and this test would abort if it came back.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.gui

CALLS = 30_000

SCRIPT = textwrap.dedent(
    f"""
    import sys
    from PySide6.QtGui import QTextCursor, QTextDocument
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    doc = QTextDocument()
    cursor = QTextCursor(doc)
    for i in range({CALLS}):
        app.processEvents()
        cursor.beginEditBlock()
        cursor.insertText("x")
        cursor.setPosition(0)
        cursor.endEditBlock()
    print("survived", doc.characterCount())
    """
)


def test_many_void_qt_calls_do_not_abort_the_interpreter():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, env=env
    )
    assert proc.returncode == 0, proc.stderr[-1500:]
    assert f"survived {CALLS + 1}" in proc.stdout

"""The app window: its state with and without a model, remembered geometry, clean shutdown."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from PySide6.QtCore import QSize

from ii_desktop.core.settings import app_paths
from ii_desktop.ui.main_window import DEFAULT_SIZE, MainWindow, default_size

pytestmark = pytest.mark.gui


def open_window(qtbot) -> MainWindow:
    window = MainWindow(app_paths())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_window_shows_with_title_and_default_size(qtbot):
    window = open_window(qtbot)
    assert window.isVisible()
    assert window.windowTitle() == "ii-desktop"
    assert window.size() == default_size(window.screen().availableGeometry().size())


def test_default_size_shrinks_only_for_small_screens():
    assert default_size(QSize(2560, 1440)) == DEFAULT_SIZE
    assert default_size(QSize(1000, 700)) == QSize(900, 630)


def test_geometry_is_saved_on_close_and_restored(qtbot, data_dir):
    window = open_window(qtbot)
    # Smaller than the offscreen screen (800x800), which restoring clamps to.
    window.resize(640, 480)
    qtbot.waitUntil(lambda: window.size() == QSize(640, 480))
    window.close()
    assert (data_dir / "window.ini").exists()

    again = open_window(qtbot)
    assert again.size() == QSize(640, 480)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_gui_process_stays_up_and_exits_cleanly_on_signal(tmp_path, signum):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "II_DESKTOP_DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ii_desktop"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(3)
        assert proc.poll() is None, proc.communicate()[1]
        proc.send_signal(signum)
        _, stderr = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert (tmp_path / "window.ini").exists()

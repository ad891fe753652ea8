"""Start the Qt application and run it until the window closes or the process is told to stop."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from ii_desktop.core.resources import app_icon
from ii_desktop.core.settings import APP_NAME, AppPaths
from ii_desktop.ui.main_window import MainWindow

# Qt's event loop runs in C++ and Python only runs signal handlers between bytecodes,
# so a timer hands control back to the interpreter often enough for Ctrl-C to land.
SIGNAL_POLL_MS = 200
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
EXIT_AFTER_PAINT_ENV = "II_DESKTOP_EXIT_AFTER_PAINT"  # bench ui: launch time, then quit


def run_app(paths: AppPaths, argv: Sequence[str] | None = None) -> int:
    """Show the main window and run the event loop until it closes.

    Args:
        paths: Where the app's data lives.
        argv: Arguments for Qt; by default only the program name, because the
            command line has already been parsed by the CLI.

    Returns:
        The event loop's exit code (0 after a normal close, SIGINT or SIGTERM).
    """
    QApplication.setApplicationName(APP_NAME)
    QApplication.setOrganizationName(APP_NAME)
    app = QApplication.instance() or QApplication(list(argv or sys.argv[:1]))
    icon = app_icon()  # found in a checkout and inside a bundle alike
    if icon is not None:
        app.setWindowIcon(QIcon(str(icon)))

    window = MainWindow(paths)
    window.show()
    opener = FileOpenHandler(window)
    app.installEventFilter(opener)
    if os.environ.get(EXIT_AFTER_PAINT_ENV):
        _report_first_paint(window, app)

    def stop() -> None:
        window.close()  # saves the window geometry
        app.quit()

    poll = QTimer()
    poll.setInterval(SIGNAL_POLL_MS)
    poll.timeout.connect(lambda: None)
    poll.start()

    previous = _install_stop_handlers(stop)
    try:
        return app.exec()
    finally:
        poll.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _install_stop_handlers(stop: Callable[[], None]) -> dict[int, Any]:
    """Make SIGINT and SIGTERM close the app; returns the handlers they replace."""

    def on_signal(signum: int, frame: FrameType | None) -> None:
        # Deferred to the event loop, so a signal that arrives before exec() starts
        # still quits once the loop runs instead of being lost.
        QTimer.singleShot(0, stop)

    return {signum: signal.signal(signum, on_signal) for signum in STOP_SIGNALS}


class _FirstPaint(QObject):
    def __init__(self, app: QApplication) -> None:
        super().__init__()
        self.app = app
        self.done = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self.done and event.type() == QEvent.Type.Paint:
            self.done = True
            print("first-paint", flush=True)
            QTimer.singleShot(0, self.app.quit)
        return False


def _report_first_paint(window: QObject, app: QApplication) -> None:
    """Print ``first-paint`` when the window first paints, then quit (``bench ui``)."""
    watcher = _FirstPaint(app)
    window.installEventFilter(watcher)
    _watchers.append(watcher)


_watchers: list[_FirstPaint] = []


class FileOpenHandler(QObject):
    """macOS hands files and links dropped on the Dock icon to the app as
    ``QFileOpenEvent``; they go to the window like a drop on it."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FileOpen:
            from PySide6.QtGui import QFileOpenEvent

            from ii_desktop.ui.drops import urls_from_drop

            if isinstance(event, QFileOpenEvent):
                web, files = urls_from_drop([event.url()], "")
                QTimer.singleShot(0, lambda: self.window.open_dropped(web, files))
                return True
        return False

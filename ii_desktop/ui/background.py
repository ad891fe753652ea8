"""Work off the GUI thread: the window never waits on the engine, a tool or the disk.

``run_in_background(fn, on_done, on_error)`` runs ``fn()`` on a worker thread and
calls ``on_done(result)`` (or ``on_error(exc)``) back on the GUI thread through a
queued signal. Results for a receiver that was destroyed meanwhile are dropped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

log = logging.getLogger(__name__)


class _Relay(QObject):
    finished = Signal(object, object)  # result, exception

    def __init__(self, on_done: Callable[[Any], None], on_error: Callable[[BaseException], None]):
        super().__init__()
        self._on_done = on_done
        self._on_error = on_error
        self.finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @Slot(object, object)
    def _deliver(self, result: Any, error: BaseException | None) -> None:
        try:
            if error is not None:
                self._on_error(error)
            else:
                self._on_done(result)
        finally:
            _pending.discard(self)
            self.deleteLater()


_pending: set[_Relay] = set()


def _log_error(exc: BaseException) -> None:
    log.error("background work failed: %s", exc)


def run_in_background(
    fn: Callable[[], Any],
    on_done: Callable[[Any], None] = lambda result: None,
    on_error: Callable[[BaseException], None] = _log_error,
    name: str = "ii-background",
) -> threading.Thread:
    """Run ``fn`` on a daemon thread; its outcome comes back on the GUI thread."""
    relay = _Relay(on_done, on_error)
    _pending.add(relay)

    def work() -> None:
        try:
            result = fn()
        except BaseException as exc:  # delivered to on_error on the GUI thread
            relay.finished.emit(None, exc)
            return
        relay.finished.emit(result, None)

    thread = threading.Thread(target=work, name=name, daemon=True)
    thread.start()
    return thread

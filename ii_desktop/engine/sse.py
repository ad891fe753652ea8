"""Bounded reading of a server-sent event stream.

A model server is trusted with the answer, not with the machine: whatever it sends, the
reader holds at most one line of bounded size, stops after a byte allowance per turn, and
a turn ends at a wall-clock deadline even while the server keeps the connection busy.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

_EOL = re.compile(rb"\r\n|\r|\n")


@dataclass(frozen=True)
class TurnLimits:
    """What one turn may take from a model server. Past any of these the turn ends with
    an error saying which; real answers stay far inside every one."""

    # wall clock from the request to the stream's end, whatever arrives meanwhile
    deadline: float = 600.0
    # everything received in one turn, keep-alives included (a real turn is a few MB)
    max_bytes: int = 64 << 20
    # one SSE line; a real chunk is a few hundred bytes
    max_line_bytes: int = 1 << 20
    # text (reasoning, answer and tool calls) allowed per requested token: a token is
    # about 4 characters, so a server that honours max_tokens is never cut short
    chars_per_token: float = 8.0
    max_tool_calls: int = 32  # per turn; the model makes a few
    # one call's name and arguments; a search query or a web address is far less
    max_call_chars: int = 64 * 1024


class StreamLimitError(Exception):
    """A bound on what the server may send was passed; the message says so in plain words."""


def size_text(n: int) -> str:
    """A byte count as people read it: 64 MB, 512 KB, 900 bytes."""
    for unit, scale in (("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} bytes"


def duration_text(seconds: float) -> str:
    if seconds >= 60:
        minutes = seconds / 60
        return f"{minutes:.3g} minute" + ("" if minutes == 1 else "s")
    return f"{seconds:.3g} second" + ("" if seconds == 1 else "s")


class LineReader:
    """Cuts received bytes into lines (ended by ``\\n``, ``\\r\\n`` or ``\\r``, as SSE
    allows), counting every byte. Only the new bytes are scanned, so a line sent a byte
    at a time costs no more than one sent at once."""

    def __init__(self, where: str, max_line_bytes: int, max_bytes: int) -> None:
        self.where = where
        self.max_line_bytes = max_line_bytes
        self.max_bytes = max_bytes
        self.received = 0
        self._line = bytearray()
        self._after_cr = False

    def feed(self, data: bytes) -> list[str]:
        self.received += len(data)
        if self.received > self.max_bytes:
            raise StreamLimitError(
                f"The model server at {self.where} sent more than "
                f"{size_text(self.max_bytes)} for one answer, far more than an answer "
                "needs, so the answer was stopped. Check the server's logs and settings, "
                "then try again."
            )
        if self._after_cr and data.startswith(b"\n"):
            data = data[1:]  # the second half of a \r\n split across reads
        self._after_cr = False
        lines = []
        start = 0
        for match in _EOL.finditer(data):
            self._append(data[start : match.start()])
            lines.append(self._take())
            start = match.end()
            self._after_cr = start == len(data) and match.group() == b"\r"
        self._append(data[start:])
        return lines

    def finish(self) -> list[str]:
        """The last line, when the stream ended without a line break."""
        return [self._take()] if self._line else []

    def _append(self, data: bytes) -> None:
        if len(self._line) + len(data) > self.max_line_bytes:
            raise StreamLimitError(
                f"The model server at {self.where} sent a line of more than "
                f"{size_text(self.max_line_bytes)} without a line break, which no real "
                "answer does, so the answer was stopped. Check that the base URL points "
                "to an OpenAI-compatible server, then try again."
            )
        self._line += data

    def _take(self) -> str:
        line = self._line.decode("utf-8", "replace")
        self._line = bytearray()
        return line


class Deadline:
    """A wall-clock limit on one turn, besides the idle timeout: a server that sends
    keep-alives (or anything else) forever still cannot hold the turn open. When it
    passes, the hooks run on a timer thread so a read blocked on a quiet server wakes."""

    def __init__(self, where: str, seconds: float) -> None:
        self.where = where
        self.seconds = seconds
        self._ends = time.monotonic() + seconds
        self._fired = threading.Event()
        self._hooks: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    @property
    def passed(self) -> bool:
        return self._fired.is_set() or time.monotonic() >= self._ends

    @property
    def fired(self) -> bool:
        """The timer ran its hooks, so an I/O error that followed was caused by them."""
        return self._fired.is_set()

    def message(self) -> str:
        return (
            f"The model server at {self.where} was still sending after "
            f"{duration_text(self.seconds)}, the limit for one answer, so the answer was "
            "stopped. Try again; if the server is just slow, ask for shorter answers."
        )

    def check(self) -> None:
        if self.passed:
            raise StreamLimitError(self.message())

    def on_pass(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` when the deadline passes (at once if it already has)."""
        with self._lock:
            self._hooks.append(hook)
            fired = self._fired.is_set()
        if fired:
            hook()

    def stop(self) -> None:
        self._timer.cancel()

    def _fire(self) -> None:
        with self._lock:
            self._fired.set()
            hooks = list(self._hooks)
        for hook in hooks:
            try:
                hook()
            except Exception:  # a hook only hurries the reader; the next check still ends it
                pass

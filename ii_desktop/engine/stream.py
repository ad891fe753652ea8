"""Turning split model output into engine events, coalesced for cheap delivery."""

from __future__ import annotations

import time

from ii_desktop.core.events import AnswerDelta, ReasoningDelta, ToolCallText
from ii_desktop.engine.handle import GenerationHandle
from ii_desktop.engine.split import Piece

FLUSH_INTERVAL = 0.03  # seconds between text events while streaming


class TextEvents:
    """Joins consecutive text pieces of one kind; emits at most every FLUSH_INTERVAL."""

    def __init__(self, handle: GenerationHandle, interval: float) -> None:
        self.handle = handle
        self.interval = interval
        self.kind: str | None = None
        self.parts: list[str] = []
        self.last = time.perf_counter()
        self.saw_tool_call = False

    def add(self, pieces: list[Piece], now: float) -> None:
        for piece in pieces:
            if piece.kind == "tool_call":
                self.flush()
                self.saw_tool_call = True
                self.handle.emit(ToolCallText(self.handle.request_id, piece.text, piece.complete))
            else:
                if piece.kind != self.kind:
                    self.flush()
                    self.kind = piece.kind
                self.parts.append(piece.text)
        if now - self.last >= self.interval:
            self.flush()
            self.last = now

    def flush(self) -> None:
        if not self.parts:
            return
        text = "".join(self.parts)
        self.parts = []
        rid = self.handle.request_id
        event = ReasoningDelta(rid, text) if self.kind == "reasoning" else AnswerDelta(rid, text)
        self.handle.emit(event)

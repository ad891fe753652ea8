"""Split streamed model output into reasoning, answer text and tool-call blocks.

Text arrives in arbitrary pieces (a marker such as ``</think>`` may be split across
tokens), so the splitter holds back any tail that could still become a marker.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

THINK_START = "<think>"
THINK_END = "</think>"
TOOL_START = "<tool_call>"
TOOL_END = "</tool_call>"

Kind = Literal["reasoning", "answer", "tool_call"]


@dataclass(frozen=True)
class Piece:
    kind: Kind
    text: str
    complete: bool = True  # for tool_call: closed by its end marker


def _partial_marker_tail(text: str, markers: tuple[str, ...]) -> int:
    """Length of the longest suffix of ``text`` that is a proper prefix of a marker."""
    best = 0
    for marker in markers:
        for n in range(min(len(marker) - 1, len(text)), best, -1):
            if text.endswith(marker[:n]):
                best = n
                break
    return best


class StreamSplitter:
    """Feed text pieces in order; get ``Piece`` objects out.

    Reasoning and answer text come out as soon as they cannot be part of a marker.
    A tool call comes out whole, when its end marker arrives (or at ``finish``,
    marked incomplete). Newlines at the start of each block are dropped.
    """

    def __init__(self, in_reasoning: bool = False) -> None:
        self._state: Kind = "reasoning" if in_reasoning else "answer"
        self._buf = ""
        self._tool = ""
        self._block_started = False

    @property
    def state(self) -> Kind:
        return self._state

    def feed(self, text: str) -> list[Piece]:
        self._buf += text
        return list(self._drain(final=False))

    def finish(self) -> list[Piece]:
        pieces = list(self._drain(final=True))
        if self._state == "tool_call":
            text = (self._tool + self._buf).strip("\n")
            pieces.append(Piece("tool_call", text, complete=False))
            self._tool = ""
        elif self._buf:
            pieces.extend(self._emit_text(self._buf))
        self._buf = ""
        return pieces

    def _emit_text(self, text: str) -> Iterator[Piece]:
        if not self._block_started:
            text = text.lstrip("\n")
            if text:
                self._block_started = True
        if text:
            yield Piece(self._state, text)

    def _drain(self, final: bool) -> Iterator[Piece]:
        while self._buf:
            if self._state == "tool_call":
                end = self._buf.find(TOOL_END)
                if end < 0:
                    keep = 0 if final else _partial_marker_tail(self._buf, (TOOL_END,))
                    self._tool += self._buf[: len(self._buf) - keep]
                    self._buf = self._buf[len(self._buf) - keep :]
                    return
                self._tool += self._buf[:end]
                self._buf = self._buf[end + len(TOOL_END) :]
                yield Piece("tool_call", self._tool.strip("\n"))
                self._tool = ""
                self._switch("answer")
                continue

            if self._state == "reasoning":
                markers: tuple[str, ...] = (THINK_END, TOOL_START)
            else:
                markers = (THINK_START, TOOL_START)
            hits = [(self._buf.find(m), m) for m in markers]
            hits = [(i, m) for i, m in hits if i >= 0]
            if not hits:
                keep = 0 if final else _partial_marker_tail(self._buf, markers)
                out = self._buf[: len(self._buf) - keep]
                self._buf = self._buf[len(self._buf) - keep :]
                yield from self._emit_text(out)
                return
            index, marker = min(hits)
            before = self._buf[:index]
            self._buf = self._buf[index + len(marker) :]
            yield from self._emit_text(before)
            if marker == THINK_START:
                self._switch("reasoning")
            elif marker == THINK_END:
                self._switch("answer")
            else:  # TOOL_START, from the answer or (malformed) from reasoning
                self._switch("tool_call")

    def _switch(self, state: Kind) -> None:
        self._state = state
        self._block_started = False

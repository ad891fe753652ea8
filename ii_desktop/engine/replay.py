"""An engine that plays scripted model output: for tests, demos and bug reports.

A replay file is ``{"turns": ["<raw assistant text of turn 1>", ...]}`` in the model's
raw format (``<think>…</think>``, ``<tool_call>`` blocks, answer text). Each generation
request consumes the next turn, streamed in small chunks through the same splitter and
event path as the real engines. A turn may also be ``{"text": "...", "finish": "length"}``
to replay a generation that ran out of tokens.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ii_desktop.core.errors import UsageError
from ii_desktop.core.events import GenerationDone, GenerationStats
from ii_desktop.engine.base import estimate_tokens
from ii_desktop.engine.handle import EventCallback, GenerationHandle
from ii_desktop.engine.request import GenerationRequest
from ii_desktop.engine.split import StreamSplitter
from ii_desktop.engine.stream import TextEvents

CHUNK_CHARS = 7


def load_replay_turns(path: str | Path) -> list[Turn]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"Cannot read the replay file {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise UsageError(f"The replay file {path} is not valid JSON: {exc}") from None
    turns = data.get("turns") if isinstance(data, dict) else None
    if not isinstance(turns, list) or not all(_valid_turn(t) for t in turns):
        raise UsageError(f'The replay file {path} must hold {{"turns": ["...", ...]}}.')
    return turns


Turn = str | dict[str, str]


def _valid_turn(turn: object) -> bool:
    if isinstance(turn, str):
        return True
    return (
        isinstance(turn, dict)
        and isinstance(turn.get("text"), str)
        and turn.get("finish", "stop") in ("stop", "length")
    )


class ReplayEngine:
    def __init__(
        self,
        turns: list[Turn],
        delay: float = 0.0,
        chunk_chars: int = CHUNK_CHARS,
        context_length: int | None = None,
    ) -> None:
        if delay < 0:
            raise UsageError("--replay-delay must be 0 or more seconds")
        self._turns = list(turns)
        self._next = 0
        self._lock = threading.Lock()
        self.delay = delay
        self.chunk_chars = max(1, chunk_chars)
        self._context_length = context_length
        self.requests: list[GenerationRequest] = []  # what was asked, for inspection

    @classmethod
    def from_file(cls, path: str | Path, delay: float = 0.0) -> ReplayEngine:
        return cls(load_replay_turns(path), delay=delay)

    @property
    def context_length(self) -> int | None:
        return self._context_length

    @property
    def remaining(self) -> int:
        return len(self._turns) - self._next

    def count_prompt_tokens(self, request: GenerationRequest) -> int | None:
        return estimate_tokens(request)

    def end_run(
        self, conversation_id: str, history: Sequence[dict[str, Any]] | None = None
    ) -> None:
        return None  # no cache of ours to prepare

    def generate(
        self, request: GenerationRequest, on_event: EventCallback | None = None
    ) -> GenerationHandle:
        handle = GenerationHandle(request, on_event)
        with self._lock:
            self.requests.append(request)
            turn = self._turns[self._next] if self._next < len(self._turns) else None
            self._next += 1
        threading.Thread(target=self._play, args=(handle, turn), daemon=True).start()
        return handle

    def _play(self, handle: GenerationHandle, scripted: Turn | None) -> None:
        rid = handle.request_id
        if scripted is None:
            given = len(self._turns)
            message = (
                f"The replay has no more turns ({given} {'was' if given == 1 else 'were'} given)."
            )
            handle.emit(GenerationDone(rid, "error", "", message))
            return
        if isinstance(scripted, str):
            turn, end = scripted, "stop"
        else:
            turn, end = scripted["text"], scripted.get("finish", "stop")
        started = time.perf_counter()
        splitter = StreamSplitter()
        events = TextEvents(handle, interval=0.0)
        played: list[str] = []
        finish = end
        for i in range(0, len(turn), self.chunk_chars):
            if handle.cancel_requested:
                finish = "cancelled"
                break
            if self.delay and i:
                time.sleep(self.delay)
            chunk = turn[i : i + self.chunk_chars]
            played.append(chunk)
            events.add(splitter.feed(chunk), time.perf_counter())
        events.add(splitter.finish(), time.perf_counter())
        events.flush()
        elapsed = time.perf_counter() - started
        raw = "".join(played)
        prompt = estimate_tokens(handle.request)
        generated = max(1, len(raw) // 4)
        handle.emit(
            GenerationStats(
                request_id=rid,
                conversation_id=handle.request.conversation_id,
                prompt_tokens=prompt,
                reused_tokens=0,
                prefilled_tokens=prompt,
                generated_tokens=generated,
                prefill_seconds=0.0,
                time_to_first_token=0.0,
                decode_seconds=round(elapsed, 6),
                prefill_tps=0.0,
                decode_tps=round(generated / elapsed, 2) if elapsed > 0 else 0.0,
                peak_memory_bytes=0,
                cache_source="replay",
                finish_reason=finish,
            )
        )
        handle.emit(GenerationDone(rid, finish, raw))

    def close(self) -> None:
        return None

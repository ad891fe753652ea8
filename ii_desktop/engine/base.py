"""The interface every engine offers the research agent: local MLX, a remote
OpenAI-compatible server, or a replay of scripted output. Plain Python; no mlx."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from ii_desktop.engine.handle import EventCallback, GenerationHandle
from ii_desktop.engine.request import GenerationRequest


class Engine(Protocol):
    @property
    def context_length(self) -> int | None:
        """Tokens the model can attend to, or None when unknown."""
        ...

    def generate(
        self, request: GenerationRequest, on_event: EventCallback | None = None
    ) -> GenerationHandle:
        """Start one assistant turn; events stream to the handle (or ``on_event``) and the
        last one is always ``GenerationDone``."""
        ...

    def count_prompt_tokens(self, request: GenerationRequest) -> int | None:
        """Tokens the rendered prompt of ``request`` takes (an estimate where exact
        counting is impossible), or None when unknown."""
        ...

    def end_run(
        self, conversation_id: str, history: Sequence[dict[str, Any]] | None = None
    ) -> None:
        """The caller's run in this conversation has ended; an engine with a KV cache may
        now prepare it for the next question, whose prompt starts with ``history`` (when
        given; else with the last request's messages and reply)."""
        ...

    def close(self) -> object: ...


def estimate_tokens(request: GenerationRequest) -> int:
    """A cautious count for engines without a tokenizer: about 3.5 ASCII characters per
    token, and one token per other character (CJK text runs near one per character)."""
    total = 8.0
    texts = [str(m.get("content") or "") for m in request.messages]
    texts += [str(t) for t in request.tools or ()]
    for text in texts:
        ascii_chars = sum(1 for ch in text if ord(ch) < 128)
        total += ascii_chars / 3.5 + (len(text) - ascii_chars) + 4
    return int(total)

"""What a caller asks the engine for. Plain data; no mlx."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ii_desktop.core.errors import UsageError
from ii_desktop.core.settings import (
    DEFAULT_MAX_TOKENS,
    DEFAULT_REPETITION_PENALTY,
    DEFAULT_TEMPERATURE,
    DEFAULT_TOP_K,
    DEFAULT_TOP_P,
)


@dataclass(frozen=True)
class Sampling:
    """Sampling settings; defaults are the model card's. ``temperature`` 0 is greedy."""

    temperature: float = DEFAULT_TEMPERATURE
    top_p: float = DEFAULT_TOP_P
    top_k: int = DEFAULT_TOP_K
    repetition_penalty: float = DEFAULT_REPETITION_PENALTY
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.temperature < 0:
            raise UsageError("The temperature (--temperature) must be 0 or more.")
        if not 0 < self.top_p <= 1:
            raise UsageError("Top-p must be more than 0 and at most 1.")
        if self.top_k < 0:
            raise UsageError("Top-k must be 0 (off) or more.")
        if self.repetition_penalty <= 0:
            raise UsageError("The repetition penalty must be more than 0.")

    @classmethod
    def greedy(cls, seed: int | None = 0) -> Sampling:
        return cls(temperature=0.0, top_p=1.0, top_k=0, repetition_penalty=1.0, seed=seed)


LogitsProcessor = Callable[[Any, Any], Any]


@dataclass
class GenerationRequest:
    """One assistant turn for one conversation.

    ``messages`` are chat messages (role/content dicts) rendered with the model's own
    template. ``prewarm_history``: when the run has ended, rewrite the conversation's
    cache into the form the next question's prompt will have. ``run_ends_on_answer``:
    a turn without a tool call ends the run (one-turn callers). A research loop, which
    may retry or challenge such a turn, passes False and calls the engine's
    ``end_run`` once its run is over.
    """

    conversation_id: str
    messages: Sequence[dict[str, Any]]
    tools: Sequence[dict[str, Any]] | None = None
    sampling: Sampling = field(default_factory=Sampling)
    max_tokens: int = DEFAULT_MAX_TOKENS
    enable_thinking: bool = True
    prewarm_history: bool = True
    run_ends_on_answer: bool = True
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    # extra mlx-lm logits processors (benchmarks use one to script the output)
    logits_processors: Sequence[LogitsProcessor] = ()

    def __post_init__(self) -> None:
        if not self.messages:
            raise UsageError("There is nothing to send to the model: the conversation is empty.")
        if self.max_tokens < 1:
            raise UsageError("The tokens per turn limit (--max-tokens) must be at least 1.")

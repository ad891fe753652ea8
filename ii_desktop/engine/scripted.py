"""A logits processor that makes the model write a given token sequence.

Benchmarks and tests use it to give a random-weight model realistic replies (with
reasoning, tool calls and answers) while every token still goes through the real
sampler, cache and streaming path.
"""

from __future__ import annotations

from typing import Any

import mlx.core as mx


class ScriptedOutput:
    """Forces ``tokens`` one per decode step, then ``end_token`` forever."""

    def __init__(self, tokens: list[int], end_token: int, vocab_size: int) -> None:
        self.sequence = [*tokens, end_token]
        self.step = 0
        self._ids = mx.arange(vocab_size)
        # evaluate now: a lazy array built on one thread cannot be run on another
        mx.eval(self._ids)

    def __call__(self, history: Any, logits: mx.array) -> mx.array:
        target = self.sequence[min(self.step, len(self.sequence) - 1)]
        self.step += 1
        forced = mx.where(self._ids == target, mx.array(0.0), mx.array(-1e9)).astype(logits.dtype)
        # ``logits * 0`` keeps the model's forward pass in the sampled token's graph: without
        # it nothing evaluates the model (or the KV cache it writes) during decode, and the
        # whole deferred chain is paid later, at the next prefill
        return forced[None] + logits * 0


class BanTokens:
    """Makes the given tokens impossible (used to keep a run going to max tokens)."""

    def __init__(self, tokens: list[int], vocab_size: int) -> None:
        mask = mx.zeros((vocab_size,))
        mask[mx.array(tokens)] = -1e9
        mx.eval(mask)  # see ScriptedOutput
        self._mask = mask

    def __call__(self, history: Any, logits: mx.array) -> mx.array:
        return logits + self._mask.astype(logits.dtype)

"""The repetition penalty as the model card's runtime applies it.

vLLM (the card's serving runtime) penalises every token that appears anywhere in the
prompt or in the output so far: a positive logit is divided by the penalty, a negative
one multiplied by it. mlx-lm's processor only looks at the last 20 tokens passed to
that call, which in an engine that reuses its KV cache is little more than the reply
itself. This processor keeps a mask of every token seen, prompt included.
"""

from __future__ import annotations

from typing import Any

import mlx.core as mx


class RepetitionPenalty:
    """A logits processor: ``penalty`` on each token in ``prompt`` or generated since."""

    def __init__(self, penalty: float, prompt: list[int], vocab_size: int) -> None:
        if penalty <= 0:
            raise ValueError("the repetition penalty must be positive")
        self.penalty = penalty
        seen = [t for t in set(prompt) if 0 <= t < vocab_size]
        mask = mx.zeros((vocab_size,), dtype=mx.bool_)
        if seen:
            mask[mx.array(seen)] = True
        mx.eval(mask)  # a lazy array built on one thread cannot be run on another
        self._mask = mask
        self._steps = 0

    def __call__(self, tokens: Any, logits: mx.array) -> mx.array:
        # ``tokens`` ends with the token about to be fed back: the previous step's output
        # (the first call sees the prompt's last token, already in the mask)
        if self._steps and tokens is not None and tokens.size:
            self._mask[tokens[-1:]] = True
        self._steps += 1
        p = self.penalty
        penalised = mx.where(logits > 0, logits / p, logits * p)
        return mx.where(self._mask, penalised, logits)

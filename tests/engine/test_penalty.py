"""The repetition penalty covers the prompt and the output, as vLLM applies it."""

from __future__ import annotations

import mlx.core as mx
import pytest

from ii_desktop.engine.penalty import RepetitionPenalty
from ii_desktop.engine.request import GenerationRequest, Sampling
from tests.helpers.engine import start_engine, user

pytestmark = pytest.mark.mlx


def test_prompt_and_generated_tokens_are_penalised_both_signs():
    penalty = RepetitionPenalty(2.0, prompt=[1, 3, 3], vocab_size=6)
    logits = mx.array([[1.0, 2.0, -2.0, 4.0, 5.0, -6.0]])
    # first step: the prompt's tokens only (positive divided, negative multiplied)
    assert penalty(mx.array([3]), logits).tolist() == [[1.0, 1.0, -2.0, 2.0, 5.0, -6.0]]
    # the model then wrote token 5: from now on it is penalised too
    assert penalty(mx.array([3, 5]), logits).tolist() == [[1.0, 1.0, -2.0, 2.0, 5.0, -12.0]]
    assert penalty(mx.array([3, 5, 2]), logits).tolist() == [[1.0, 1.0, -4.0, 2.0, 5.0, -12.0]]


def test_tokens_far_back_in_a_long_prompt_are_still_penalised():
    prompt = [7] + [1] * 5000  # token 7 is 5,000 tokens back: mlx-lm's window is 20
    penalty = RepetitionPenalty(1.5, prompt, vocab_size=10)
    out = penalty(mx.array([1]), mx.full((1, 10), 3.0))
    assert out[0, 7].item() == pytest.approx(2.0) and out[0, 8].item() == 3.0


def test_the_engine_penalises_the_whole_conversation(tiny_model_dir):
    engine = start_engine(tiny_model_dir)
    try:
        messages = [user("Paris London Tokyo river city capital the of and " * 20)]

        def generated(penalty):
            sampling = Sampling(temperature=0.0, top_p=1.0, top_k=0, repetition_penalty=penalty)
            request = GenerationRequest(
                f"p{penalty}", messages, sampling=sampling, max_tokens=40, prewarm_history=False
            )
            handle = engine.generate(request)
            handle.wait(60)
            held = engine.conversation_tokens(f"p{penalty}")
            return held[handle.stats.prompt_tokens :]

        free = generated(1.0)
        assert len(set(free)) < len(free) / 2  # greedy and unpenalised, it loops
        penalised = generated(2.0)
        assert len(penalised) == 40 and len(set(penalised)) == 40

        # the processor the engine builds covers every token of the conversation
        request = GenerationRequest("x", messages, sampling=Sampling(repetition_penalty=1.1))
        tokens = engine.run_on_thread(lambda e: e.render(request)[1]).result()
        (processor,) = engine.run_on_thread(lambda e: e._processors(request, tokens)).result()
        mask = processor._mask.tolist()
        assert {i for i, seen in enumerate(mask) if seen} == set(tokens)
    finally:
        engine.close()


def test_asking_for_more_context_than_the_mode_allows_says_so(tiny_model_dir):
    engine = start_engine(tiny_model_dir, context_length=100000)
    try:
        info = engine.info
        assert info.context_length == 40960
        assert any("100,000" in n and "long-context" in n for n in info.notes)
    finally:
        engine.close()
    engine = start_engine(tiny_model_dir, context_length=8192)
    try:
        assert engine.info.notes == ()
    finally:
        engine.close()

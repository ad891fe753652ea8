"""The MLX engine on the tiny model: loading, streaming, cancellation, bad input."""

from __future__ import annotations

import json
import shutil
import threading

import mlx.core as mx
import pytest
from mlx_lm.models.rope_utils import YarnRoPE

from ii_desktop.core.errors import (
    ModelFormatError,
    ModelNotFound,
    TemplateError,
)
from ii_desktop.core.events import (
    AnswerDelta,
    GenerationDone,
    GenerationStats,
    PrefillProgress,
    ReasoningDelta,
    ToolCallText,
    event_from_json,
)
from ii_desktop.engine.request import GenerationRequest, Sampling
from ii_desktop.engine.scripted import BanTokens
from ii_desktop.engine.worker import MLXEngine
from ii_desktop.tools.base import WEB_SEARCH_SCHEMA
from tests.helpers.engine import SYSTEM, assistant, run, start_engine, tokens_held, user

pytestmark = pytest.mark.mlx

TOOLS = [WEB_SEARCH_SCHEMA]


@pytest.fixture
def engine(tiny_model_dir):
    eng = start_engine(tiny_model_dir)
    yield eng
    eng.close()


def test_load_reports_model_and_settings(tiny_model_dir):
    engine = start_engine(tiny_model_dir, context_length=2048, kv_bits=8)
    try:
        info = engine.info
        assert info.name == tiny_model_dir.name
        assert info.context_length == 2048
        assert info.kv_bits == 8
        assert info.layers == 2
        assert info.supports_tools
        assert len(info.fingerprint) == 32
    finally:
        engine.close()


def test_long_context_mode_applies_yarn_with_original_positions(tiny_model_dir):
    engine = start_engine(tiny_model_dir, long_context=True)
    try:
        assert engine.info.context_length == 131072

        def compare(e):
            # mlx arrays belong to the engine thread's stream: compare them there
            rope = e._model.layers[0].self_attn.rope
            card = YarnRoPE(
                64, scaling_factor=1.5, original_max_position_embeddings=98304, base=1000000.0
            )
            fallback = YarnRoPE(64, scaling_factor=1.5, base=1000000.0)  # mlx-lm's 4096
            return (
                isinstance(rope, YarnRoPE),
                mx.allclose(rope._freqs, card._freqs).item(),
                mx.allclose(rope._freqs, fallback._freqs).item(),
            )

        assert engine.run_on_thread(compare).result() == (True, True, False)
    finally:
        engine.close()


def test_default_mode_uses_plain_rope(engine):
    rope = engine.run_on_thread(lambda e: e._model.layers[0].self_attn.rope).result()
    assert not isinstance(rope, YarnRoPE)
    assert engine.info.context_length == 40960


def test_streams_reasoning_answer_and_tool_calls_split(engine):
    reply = (
        "<think>\nI should search for this first.\n</think>\n\nLet me check.\n<tool_call>\n"
        '{"name": "web_search", "arguments": {"query": "capital of France"}}\n</tool_call>'
    )
    handle, events = run(engine, "split", [user("Capital of France?")], reply, tools=TOOLS)
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    answer = "".join(e.text for e in events if isinstance(e, AnswerDelta))
    calls = [e for e in events if isinstance(e, ToolCallText)]
    assert reasoning == "I should search for this first.\n"
    assert answer.strip() == "Let me check."
    assert len(calls) == 1 and calls[0].complete
    assert json.loads(calls[0].text)["arguments"] == {"query": "capital of France"}
    assert handle.final.finish_reason == "stop"
    assert handle.final.raw_text == reply
    assert isinstance(events[-1], GenerationDone)
    assert isinstance(events[-2], GenerationStats)
    # every event is one JSON object that reads back as itself
    for event in events:
        assert event_from_json(event.to_json()) == event


def test_events_come_from_the_engine_thread(engine):
    seen = []
    done = threading.Event()

    def on_event(event):
        seen.append(threading.current_thread().name)
        if isinstance(event, GenerationDone):
            done.set()

    engine.generate(GenerationRequest("thread", [user("hi")], max_tokens=5), on_event=on_event)
    assert done.wait(60)
    assert set(seen) == {"ii-engine"}


def test_seed_makes_sampling_reproducible(engine):
    sampling = Sampling(seed=7)
    a, _ = run(engine, "seed-a", [user("Tell me about rivers.")], max_tokens=30, sampling=sampling)
    b, _ = run(engine, "seed-b", [user("Tell me about rivers.")], max_tokens=30, sampling=sampling)
    c, _ = run(
        engine, "seed-c", [user("Tell me about rivers.")], max_tokens=30, sampling=Sampling(seed=8)
    )
    assert a.final.raw_text == b.final.raw_text
    assert a.final.raw_text != c.final.raw_text


def test_max_tokens_ends_with_length(engine):
    eos = engine.run_on_thread(lambda e: sorted(e._tokenizer.eos_token_ids)).result()
    vocab = engine.run_on_thread(lambda e: e._model.args.vocab_size).result()
    handle = engine.generate(
        GenerationRequest(
            "len",
            [user("hi")],
            max_tokens=7,
            sampling=Sampling.greedy(),
            logits_processors=[BanTokens(eos, vocab)],
        )
    )
    assert handle.wait(60).finish_reason == "length"
    assert handle.stats.generated_tokens == 7


def test_cancel_during_decode_stops_promptly_and_cache_stays_usable(tiny_model_dir):
    engine = start_engine(tiny_model_dir)
    try:
        cancelled_at = []

        def on_event(event):
            if isinstance(event, (AnswerDelta, ReasoningDelta)) and not cancelled_at:
                cancelled_at.append(event)
                handle.cancel()

        engine.flush_interval = 0.0  # an event per token, so cancel lands mid-decode
        handle = engine.generate(
            GenerationRequest(
                "cancel", [user("Write a long essay.")], max_tokens=2000, sampling=Sampling.greedy()
            ),
            on_event=on_event,
        )
        done = handle.wait(60)
        assert done.finish_reason == "cancelled"
        assert handle.stats.generated_tokens < 10
        tokens, offset = tokens_held(engine, "cancel")
        assert len(tokens) == offset
        # the cache still gives exactly what a cold cache gives
        follow = [user("Write a long essay."), assistant(done.raw_text), user("Shorter.")]
        warm, _ = run(engine, "cancel", follow)
        cold, _ = run(engine, "cancel-cold", follow)
        assert warm.stats.reused_tokens > 0
        assert warm.final.raw_text == cold.final.raw_text
    finally:
        engine.close()


def test_cancel_during_prefill_stops_within_one_chunk(tiny_model_dir):
    engine = start_engine(tiny_model_dir, prefill_chunk=16)
    try:
        progress = []

        def on_event(event):
            if isinstance(event, PrefillProgress):
                progress.append(event)
                handle.cancel()

        long_text = " ".join(f"word{i}" for i in range(600))
        handle = engine.generate(
            GenerationRequest("prefill", [user(long_text)], max_tokens=5), on_event=on_event
        )
        assert handle.wait(60).finish_reason == "cancelled"
        assert len(progress) == 1  # the chunk in flight finished, no further one started
        assert progress[0].total > 16 * 20
        tokens, offset = tokens_held(engine, "prefill")
        assert offset == len(tokens) == 16
        # continuing reuses the finished chunk and equals a cold run
        warm, _ = run(engine, "prefill", [user(long_text)])
        cold, _ = run(engine, "prefill-cold", [user(long_text)])
        assert warm.stats.reused_tokens == 16
        assert warm.final.raw_text == cold.final.raw_text
    finally:
        engine.close()


def test_cancel_from_another_thread_before_start(engine):
    request = GenerationRequest("early", [user("hi")], max_tokens=50)
    blocker = threading.Event()
    engine.run_on_thread(lambda e: blocker.wait(10))
    handle = engine.generate(request)
    handle.cancel()
    blocker.set()
    assert handle.wait(60).finish_reason == "cancelled"


# --- bad input ---------------------------------------------------------------------


def _copy(src, dst):
    shutil.copytree(src, dst)
    return dst


def test_missing_folder_is_a_clear_error(tmp_path):
    engine = MLXEngine()
    try:
        with pytest.raises(ModelNotFound, match="not found"):
            engine.load(str(tmp_path / "nope")).result()
        with pytest.raises(ModelNotFound, match="Hugging Face"):
            engine.load("someone/not-a-cached-model").result()
    finally:
        engine.close()


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda d: (d / "config.json").unlink(), "no config.json"),
        (lambda d: (d / "model.safetensors").unlink(), "no .safetensors"),
        (lambda d: (d / "config.json").write_text("{not json"), "not valid JSON"),
        (
            lambda d: (d / "config.json").write_text(
                json.dumps({**json.loads((d / "config.json").read_text()), "model_type": "llama"})
            ),
            "llama model",
        ),
        (
            lambda d: (d / "model.safetensors").write_bytes(
                (d / "model.safetensors").read_bytes()[:5000]
            ),
            "truncated",
        ),
        (
            lambda d: (d / "model.safetensors").write_bytes(
                b"\x10\x00\x00\x00\x00\x00\x00\x00{garbage" + b"0" * 64
            ),
            "damaged header",
        ),
        (lambda d: (d / "tokenizer.json").unlink(), "no tokenizer"),
    ],
)
def test_broken_model_folders_are_named_and_engine_survives(
    tiny_model_dir, tmp_path, damage, message
):
    broken = _copy(tiny_model_dir, tmp_path / "broken")
    damage(broken)
    engine = MLXEngine()
    try:
        with pytest.raises((ModelFormatError, ModelNotFound), match=message):
            engine.load(str(broken)).result()
        # the app keeps running: the same engine loads a good model afterwards
        engine.load(str(tiny_model_dir)).result()
        handle, _ = run(engine, "after", [user("hi")], max_tokens=3)
        assert handle.final.finish_reason in ("stop", "length")
    finally:
        engine.close()


def test_template_without_tools_refuses_tool_requests_only(tiny_model_dir, tmp_path):
    folder = _copy(tiny_model_dir, tmp_path / "notools")
    (folder / "chat_template.jinja").write_text(
        "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    )
    engine = start_engine(folder)
    try:
        assert not engine.info.supports_tools
        handle, _ = run(engine, "t", [user("hi")], tools=TOOLS)
        assert handle.final.finish_reason == "error"
        assert "cannot list tools" in handle.final.error
        handle, _ = run(engine, "t2", [user("hi")], max_tokens=3)
        assert handle.final.finish_reason in ("stop", "length")
    finally:
        engine.close()


def test_folder_without_chat_template_is_refused(tiny_model_dir, tmp_path):
    folder = _copy(tiny_model_dir, tmp_path / "notemplate")
    (folder / "chat_template.jinja").unlink()
    engine = MLXEngine()
    try:
        with pytest.raises(TemplateError, match="no chat template"):
            engine.load(str(folder)).result()
    finally:
        engine.close()


def test_prompt_longer_than_context_is_an_error_not_a_crash(tiny_model_dir):
    engine = start_engine(tiny_model_dir, context_length=256)
    try:
        long_text = " ".join(f"token{i}" for i in range(400))
        handle, events = run(engine, "long", [user(long_text)])
        assert handle.final.finish_reason == "error"
        assert "context length is 256" in handle.final.error
        assert not any(isinstance(e, AnswerDelta) for e in events)
        handle, _ = run(engine, "short", [user("hi")], max_tokens=3)
        assert handle.final.finish_reason in ("stop", "length")
    finally:
        engine.close()


def test_generation_is_capped_at_the_context_length(tiny_model_dir):
    engine = start_engine(tiny_model_dir, context_length=256)
    try:
        handle, _ = run(
            engine, "cap", [user("hi " * 50)], max_tokens=2000, sampling=Sampling(seed=1)
        )
        assert handle.stats.prompt_tokens + handle.stats.generated_tokens <= 256
    finally:
        engine.close()


def test_requests_without_a_model_or_after_close_fail_cleanly(tiny_model_dir):
    engine = MLXEngine()
    handle, _ = run(engine, "none", [user("hi")])
    assert handle.final.finish_reason == "error"
    assert "No model is loaded" in handle.final.error
    engine.close()
    handle = engine.generate(GenerationRequest("closed", [user("hi")]))
    assert handle.wait(5).finish_reason == "error"
    assert "shut down" in handle.final.error


def test_system_prompt_and_history_render_through_the_model_template(engine):
    request = GenerationRequest(
        "r",
        [
            {"role": "system", "content": SYSTEM},
            user("Q1"),
            assistant("<think>\nx\n</think>\n\nA1"),
            user("Q2"),
        ],
        tools=TOOLS,
    )
    text, tokens = engine.run_on_thread(lambda e: e.render(request)).result()
    assert text.startswith("<|im_start|>system\n" + SYSTEM)
    assert '"name": "web_search"' in text
    assert "<think>" not in text  # reasoning before the last question is dropped
    assert text.endswith("<|im_start|>assistant\n")
    assert len(tokens) > 20


def test_default_context_is_limited_by_the_machines_memory(tiny_model_dir, monkeypatch):
    from ii_desktop.engine import memory

    gib = 1024**3
    # tiny model: 2 layers x 2 KV heads x 64 dims x K,V x 4 bytes = 2,048 bytes per token
    monkeypatch.setattr(memory, "machine_memory_bytes", lambda: int(1.4 * gib))
    engine = start_engine(tiny_model_dir)
    try:
        fits = engine.info.memory_context
        assert 4096 < fits < 40960
        assert engine.info.context_length == fits
    finally:
        engine.close()
    monkeypatch.setattr(memory, "machine_memory_bytes", lambda: gib)  # not even the weights
    engine = start_engine(tiny_model_dir)
    try:
        assert engine.info.memory_context == 0
        assert engine.info.context_length == 4096  # a working floor, not zero
    finally:
        engine.close()
    engine = start_engine(tiny_model_dir, context_length=8192)  # an explicit choice stands
    try:
        assert engine.info.context_length == 8192
    finally:
        engine.close()

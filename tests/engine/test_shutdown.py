"""Closing the engine: running and queued work cancelled, caches saved as they stand,
the thread stopped and the outcome reported; callbacks cannot deadlock the engine;
the process never aborts at exit."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from ii_desktop.core.errors import EngineError
from ii_desktop.core.events import AnswerDelta, GenerationDone, ReasoningDelta
from ii_desktop.engine import worker
from ii_desktop.engine.cache_files import kv_cache_file
from ii_desktop.engine.request import GenerationRequest, Sampling
from ii_desktop.engine.scripted import BanTokens
from tests.helpers.engine import (
    SYSTEM,
    assistant,
    run,
    scripted,
    start_engine,
    tokens_held,
    user,
)

pytestmark = pytest.mark.mlx

LONG_REPLY = (
    "<think>\n"
    + "The river rises on the plateau and flows north-west to the sea. " * 15
    + "\n</think>\n\nThe Seine is 777 km long."
)


def _base():
    return [{"role": "system", "content": SYSTEM}, user("How long is the Seine?")]


def _endless(engine, conversation="long"):
    """A generation that would run for thousands of tokens (end of turn banned)."""

    def ban(e):
        return BanTokens(sorted(e._tokenizer.eos_token_ids), e._model.args.vocab_size)

    request = GenerationRequest(
        conversation,
        _base(),
        sampling=Sampling.greedy(),
        max_tokens=30000,
        logits_processors=[engine.run_on_thread(ban).result()],
    )
    return engine.generate(request)


def _first_text(handle, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        event = handle.poll(0.5)
        if isinstance(event, (ReasoningDelta, AnswerDelta)):
            return
    raise AssertionError("no text streamed")


def _count(engine, messages):
    request = GenerationRequest("count", messages)
    return len(engine.run_on_thread(lambda e: e.render(request)[1]).result())


def _saved(path):
    from mlx_lm.models.cache import load_prompt_cache

    return load_prompt_cache(str(path), return_metadata=True)[1]


def test_close_cancels_a_running_generation_saves_its_cache_and_reports(tiny_model_dir, tmp_path):
    engine = start_engine(tiny_model_dir, cache_dir=tmp_path / "kv")
    handle = _endless(engine)
    _first_text(handle)
    started = time.monotonic()
    assert engine.close(timeout=30) is True
    closed_in = time.monotonic() - started
    done = handle.wait(5)
    assert done.finish_reason == "cancelled"
    assert closed_in < 10  # one decode step and a small file, not 30,000 tokens
    meta = _saved(kv_cache_file(tmp_path / "kv", "long"))
    assert len(json.loads(meta["tokens"])) > 20  # the prompt and what was written
    assert engine.closed


def test_close_ends_queued_generations_and_fails_later_calls(tiny_model_dir):
    engine = start_engine(tiny_model_dir)
    running = _endless(engine, "a")
    queued = engine.generate(GenerationRequest("b", [user("Name a river.")]))
    future = engine.run_on_thread(lambda e: "never")
    _first_text(running)
    assert engine.close(timeout=30) is True
    assert running.wait(5).finish_reason == "cancelled"
    done = queued.wait(5)
    assert done.finish_reason == "cancelled" and "shut down" in done.error
    with pytest.raises(EngineError, match="shut down"):
        future.result(5)
    late = engine.generate(GenerationRequest("c", [user("hi")]))
    assert late.wait(5).finish_reason == "error"
    assert engine.close() is True  # closing twice is harmless


def test_close_reports_a_thread_that_has_not_stopped_in_time(tiny_model_dir):
    engine = start_engine(tiny_model_dir)
    release = threading.Event()
    engine.run_on_thread(lambda e: release.wait(30))  # busy in work close cannot cancel
    time.sleep(0.1)
    assert engine.close(timeout=0.2) is False
    release.set()
    assert engine.close(timeout=30) is True


def test_close_saves_a_cache_before_its_rewrite_and_preload_finishes_it(tiny_model_dir, tmp_path):
    kv = tmp_path / "kv"
    engine = start_engine(tiny_model_dir, cache_dir=kv)
    release = threading.Event()

    def hold(e):
        # queued behind the generation, so it runs before any background rewrite step
        release.wait(30)
        return sorted(e._background), list(e._store.peek("c").tokens)

    try:
        handle = engine.generate(
            GenerationRequest(
                "c",
                _base(),
                sampling=Sampling.greedy(),
                max_tokens=3000,
                logits_processors=[scripted(engine, LONG_REPLY)],
            )
        )
        held_at_close = engine.run_on_thread(hold)
        first = handle.wait(60)
        assert first.finish_reason == "stop" and first.raw_text == LONG_REPLY
        closer = threading.Thread(target=lambda: engine.close(timeout=60))
        closer.start()
        time.sleep(0.2)
        release.set()
        waiting, raw_form = held_at_close.result(30)
        closer.join(60)
        assert waiting == ["c"]  # the rewrite was still to do when close came
    finally:
        release.set()
    meta = _saved(kv_cache_file(kv, "c"))
    saved = json.loads(meta["tokens"])
    target = json.loads(meta["pending_history"])
    assert saved == raw_form  # saved as it stood, reasoning and all
    assert target != saved and len(target) < len(saved)

    follow = [*_base(), assistant(first.raw_text), user("And where does it rise?")]
    reopened = start_engine(tiny_model_dir, cache_dir=kv)
    try:
        assert reopened.preload("c").result(30) is True
        assert reopened.wait_idle(60)
        held, _ = tokens_held(reopened, "c")
        assert held == target  # the rewrite ran after the load
        question = _count(reopened, follow) - len(target)
        second, _ = run(reopened, "c", follow, max_tokens=4)
        assert second.stats.cache_source == "memory"
        assert second.stats.prefilled_tokens <= question + 8
        cold, _ = run(reopened, "cold", follow, max_tokens=4)
        assert second.final.raw_text == cold.final.raw_text
        assert reopened.preload("never-seen").result(30) is False
    finally:
        reopened.close()


def test_event_callbacks_can_ask_the_engine_without_deadlocking_it(tiny_model_dir):
    engine = start_engine(tiny_model_dir)
    seen: dict[str, object] = {}

    def on_event(event):
        if "count" not in seen:
            seen["count"] = engine.count_prompt_tokens(GenerationRequest("x", _base()))
            seen["tokens"] = engine.conversation_tokens("cb")
        if isinstance(event, GenerationDone):
            for name, call in (("close", engine.close), ("wait_idle", engine.wait_idle)):
                try:
                    call()
                except EngineError as exc:
                    seen[name] = str(exc)

    try:
        handle = engine.generate(
            GenerationRequest("cb", _base(), sampling=Sampling.greedy(), max_tokens=8), on_event
        )
        done = handle.wait(30)
        assert done.finish_reason in ("stop", "length")
        assert seen["count"] == _count(engine, _base())
        assert isinstance(seen["tokens"], list)
        assert "event callback" in seen["close"] and "event callback" in seen["wait_idle"]
        # the engine still serves
        again, _ = run(engine, "after", _base(), max_tokens=4)
        assert again.final.finish_reason in ("stop", "length")
    finally:
        assert engine.close(timeout=30) is True


EXIT_SCRIPT = textwrap.dedent(
    """
    import sys
    from ii_desktop.core.events import ReasoningDelta, AnswerDelta
    from ii_desktop.core.settings import EngineSettings
    from ii_desktop.engine.request import GenerationRequest, Sampling
    from ii_desktop.engine.scripted import BanTokens
    from ii_desktop.engine.worker import MLXEngine

    model, kv, mode = sys.argv[1:4]
    engine = MLXEngine(EngineSettings(), cache_dir=kv)
    engine.load(model).result()
    ban = engine.run_on_thread(
        lambda e: BanTokens(sorted(e._tokenizer.eos_token_ids), e._model.args.vocab_size)
    ).result()
    handle = engine.generate(GenerationRequest(
        "exit", [{"role": "user", "content": "Tell me about rivers."}],
        sampling=Sampling.greedy(), max_tokens=30000, logits_processors=[ban],
    ))
    for event in handle.events(timeout=60):
        if isinstance(event, (ReasoningDelta, AnswerDelta)):
            break
    if mode == "short-close":
        print("closed" if engine.close(timeout=0) else "still running", flush=True)
    sys.exit(0)  # the engine thread is inside mlx, decoding
    """
)


@pytest.mark.parametrize("mode", ["no-close", "short-close"])
def test_exiting_while_the_engine_decodes_never_aborts_and_saves(tiny_model_dir, tmp_path, mode):
    kv = tmp_path / "kv"
    proc = subprocess.run(
        [sys.executable, "-c", EXIT_SCRIPT, str(tiny_model_dir), str(kv), mode],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "terminate called" not in proc.stderr
    assert kv_cache_file(kv, "exit").is_file()


def test_exit_wait_is_bounded():
    assert 0 < worker.EXIT_WAIT <= 300

"""KV-cache reuse: prefix reuse, tool rounds, history rewrite, LRU, persistence."""

from __future__ import annotations

import os
import stat
import threading

import pytest

from ii_desktop.core.events import GenerationDone
from ii_desktop.engine.request import GenerationRequest, Sampling
from ii_desktop.engine.tiny_model import TinyModelSpec, build_tiny_model
from ii_desktop.tools.base import WEB_SEARCH_SCHEMA
from tests.helpers.engine import SYSTEM, assistant, run, start_engine, tokens_held, user

pytestmark = pytest.mark.mlx

TOOLS = [WEB_SEARCH_SCHEMA]
REASONED = (
    "<think>\nThe question is about France. Paris is the capital; I am confident of it "
    "because it is well documented.\n</think>\n\nParis is the capital of France."
)
TOOL_TURN = (
    "<think>\nI should search.\n</think>\n\n<tool_call>\n"
    '{"name": "web_search", "arguments": {"query": "capital of France"}}\n</tool_call>'
)
SEARCH = "Index: 0\nURL: https://example.org/paris\nTitle: Paris\nPreview: Paris is the capital."


def _base():
    return [{"role": "system", "content": SYSTEM}, user("What is the capital of France?")]


def _count(engine, messages, tools=None):
    request = GenerationRequest("count", messages, tools=tools)
    return len(engine.run_on_thread(lambda e: e.render(request)[1]).result())


def _history_len(engine, messages, raw):
    request = GenerationRequest("count", messages)
    return len(engine.run_on_thread(lambda e: e._history_tokens(request, raw)).result())


@pytest.mark.parametrize("kv_bits", [None, 8, 4])
def test_reused_cache_gives_the_same_greedy_output_as_a_cold_cache(tiny_model_dir, kv_bits):
    engine = start_engine(tiny_model_dir, kv_bits=kv_bits)
    try:
        first, _ = run(engine, "warm", _base(), max_tokens=30)
        follow = [*_base(), assistant(first.final.raw_text), user("And of Spain?")]
        engine.wait_idle(60)
        warm, _ = run(engine, "warm", follow, max_tokens=30)
        cold, _ = run(engine, "cold", follow, max_tokens=30)
        assert warm.stats.cache_source == "memory"
        assert warm.stats.reused_tokens > warm.stats.prefilled_tokens
        assert cold.stats.reused_tokens == 0
        assert warm.final.raw_text == cold.final.raw_text
        tokens, offset = tokens_held(engine, "warm")
        assert len(tokens) == offset
    finally:
        engine.close()


def test_follow_up_after_a_reasoning_answer_prefills_only_the_question(tiny_model_dir):
    engine = start_engine(tiny_model_dir)
    try:
        first, _ = run(engine, "c", _base(), REASONED)
        engine.wait_idle(60)
        follow = [*_base(), assistant(first.final.raw_text), user("And of Spain?")]
        question_tokens = _count(engine, follow) - _history_len(engine, _base(), REASONED)
        second, _ = run(engine, "c", follow, max_tokens=4)
        assert second.stats.prefilled_tokens <= question_tokens + 8
        # without the rewrite the reply is prefilled again, as peers do
        run(engine, "p", _base(), REASONED, prewarm_history=False)
        peer, _ = run(engine, "p", follow, max_tokens=4, prewarm_history=False)
        assert peer.stats.prefilled_tokens > question_tokens + 10
        # and the rewritten cache is still exact
        cold, _ = run(engine, "cold", follow, max_tokens=4)
        assert second.final.raw_text == cold.final.raw_text
    finally:
        engine.close()


def test_tool_round_prefills_only_the_tool_response(tiny_model_dir):
    engine = start_engine(tiny_model_dir)
    try:
        call, _ = run(engine, "t", _base(), TOOL_TURN, tools=TOOLS)
        assert call.final.raw_text == TOOL_TURN
        after = [*_base(), assistant(call.final.raw_text), {"role": "tool", "content": SEARCH}]
        held, _ = tokens_held(engine, "t")
        tool_turn_tokens = _count(engine, after, TOOLS) - len(held)
        second, _ = run(engine, "t", after, max_tokens=4, tools=TOOLS)
        assert second.stats.reused_tokens == len(held)
        assert second.stats.prefilled_tokens == tool_turn_tokens
        assert tool_turn_tokens < 60  # the search block plus a few template tokens
    finally:
        engine.close()


def test_request_during_background_rewrite_is_not_delayed_or_corrupted(tiny_model_dir):
    engine = start_engine(tiny_model_dir, prefill_chunk=32)
    try:
        long_reply = "<think>\n" + "Thinking about rivers and cities. " * 60 + "\n</think>\n\nOK."
        first, _ = run(engine, "a", _base(), long_reply)
        # immediately: another conversation and a follow-up, while the rewrite is pending
        other, _ = run(engine, "b", [user("Name a river.")], max_tokens=12)
        follow = [*_base(), assistant(first.final.raw_text), user("Why?")]
        warm, _ = run(engine, "a", follow, max_tokens=12)
        engine.wait_idle(60)
        cold_other, _ = run(engine, "b-cold", [user("Name a river.")], max_tokens=12)
        cold_follow, _ = run(engine, "a-cold", follow, max_tokens=12)
        assert other.final.raw_text == cold_other.final.raw_text
        assert warm.final.raw_text == cold_follow.final.raw_text
    finally:
        engine.close()


def test_memory_budget_evicts_least_recently_used(tiny_model_dir, tmp_path):
    engine = start_engine(
        tiny_model_dir, cache_dir=tmp_path / "kv", cache_memory_budget=1
    )  # keep only the active conversation
    try:
        for name in ("one", "two", "three"):
            run(engine, name, [user(f"Question {name}?")], max_tokens=5)
        engine.wait_idle(60)
        held = engine.run_on_thread(lambda e: e._store.conversations()).result()
        assert held == ["three"]
        # an evicted conversation comes back from disk, not from scratch
        again, _ = run(engine, "one", [user("Question one?")], max_tokens=5)
        assert again.stats.cache_source == "disk"
        assert again.stats.reused_tokens > 0
    finally:
        engine.close()


def test_cache_survives_a_restart(tiny_model_dir, tmp_path):
    cache_dir = tmp_path / "kv"
    engine = start_engine(tiny_model_dir, cache_dir=cache_dir)
    run(engine, "c", _base(), REASONED)
    engine.wait_idle(60)
    engine.close()
    assert len(list(cache_dir.glob("*.safetensors"))) == 1

    follow = [*_base(), assistant(REASONED), user("And of Spain?")]
    engine = start_engine(tiny_model_dir, cache_dir=cache_dir)
    try:
        question_tokens = _count(engine, follow) - _history_len(engine, _base(), REASONED)
        reopened, _ = run(engine, "c", follow, max_tokens=6)
        assert reopened.stats.cache_source == "disk"
        assert reopened.stats.prefilled_tokens <= question_tokens + 8
        cold, _ = run(engine, "cold", follow, max_tokens=6)
        assert reopened.final.raw_text == cold.final.raw_text
    finally:
        engine.close()


@pytest.mark.parametrize("change", ["other_model", "kv_bits", "long_context"])
def test_a_cache_from_other_settings_is_refused_and_rebuilt(tiny_model_dir, tmp_path, change):
    cache_dir = tmp_path / "kv"
    engine = start_engine(tiny_model_dir, cache_dir=cache_dir)
    run(engine, "c", _base(), REASONED)
    engine.wait_idle(60)
    engine.close()

    model, settings = tiny_model_dir, {}
    if change == "other_model":
        model = build_tiny_model(tmp_path / "other", TinyModelSpec(seed=1))
    elif change == "kv_bits":
        settings = {"kv_bits": 8}
    else:
        settings = {"long_context": True}
    engine = start_engine(model, cache_dir=cache_dir, **settings)
    try:
        follow = [*_base(), assistant(REASONED), user("And of Spain?")]
        again, _ = run(engine, "c", follow, max_tokens=6)
        assert again.stats.cache_source == "cold"
        assert again.stats.reused_tokens == 0
        assert again.final.finish_reason in ("stop", "length")
    finally:
        engine.close()


def test_a_damaged_cache_file_is_refused(tiny_model_dir, tmp_path):
    cache_dir = tmp_path / "kv"
    engine = start_engine(tiny_model_dir, cache_dir=cache_dir)
    run(engine, "c", _base(), REASONED)
    engine.wait_idle(60)
    engine.close()
    (path,) = cache_dir.glob("*.safetensors")
    path.write_bytes(path.read_bytes()[:200])

    engine = start_engine(tiny_model_dir, cache_dir=cache_dir)
    try:
        again, _ = run(engine, "c", [*_base(), assistant(REASONED), user("Hm?")], max_tokens=4)
        assert again.stats.cache_source == "cold"
        assert again.final.finish_reason in ("stop", "length")
    finally:
        engine.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_cache_dir_does_not_break_generation(tiny_model_dir, tmp_path):
    cache_dir = tmp_path / "kv"
    cache_dir.mkdir()
    cache_dir.chmod(stat.S_IRUSR | stat.S_IXUSR)
    engine = start_engine(tiny_model_dir, cache_dir=cache_dir)
    try:
        handle, _ = run(engine, "c", _base(), REASONED)
        engine.wait_idle(60)
        assert handle.final.finish_reason == "stop"
        problem = engine.run_on_thread(lambda e: e._store.last_disk_problem).result()
        assert problem and "Could not save" in problem
    finally:
        engine.close()
        cache_dir.chmod(stat.S_IRWXU)


def test_unwritable_cache_path_does_not_break_generation(tiny_model_dir, tmp_path):
    blocker = tmp_path / "kv"
    blocker.write_text("a file where the cache folder should be")
    engine = start_engine(tiny_model_dir, cache_dir=blocker)
    try:
        handle, _ = run(engine, "c", _base(), REASONED)
        engine.wait_idle(60)
        assert handle.final.finish_reason == "stop"
        problem = engine.run_on_thread(lambda e: e._store.last_disk_problem).result()
        assert problem and "Could not save" in problem
        follow = [*_base(), assistant(REASONED), user("And?")]
        again, _ = run(engine, "c", follow, max_tokens=4)
        assert again.stats.cache_source == "memory"
    finally:
        engine.close()


def test_many_threads_submitting_at_once(tiny_model_dir):
    engine = start_engine(tiny_model_dir)
    try:
        results = {}

        def ask(i):
            handle = engine.generate(
                GenerationRequest(
                    f"t{i}", [user(f"Question {i}")], max_tokens=8, sampling=Sampling.greedy()
                )
            )
            results[i] = handle.wait(120)

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert all(
            isinstance(r, GenerationDone) and r.finish_reason in ("stop", "length")
            for r in results.values()
        )
        again, _ = run(engine, "t3-again", [user("Question 3")], max_tokens=8)
        assert again.final.raw_text == results[3].raw_text
    finally:
        engine.close()


@pytest.mark.parametrize("kv_bits", [None, 8])
def test_saved_cache_holds_only_the_cached_tokens(tiny_model_dir, tmp_path, kv_bits):
    cache_dir = tmp_path / "kv"
    engine = start_engine(tiny_model_dir, cache_dir=cache_dir, kv_bits=kv_bits)
    try:
        long_reasoning = "<think>\n" + "Reasoning about rivers. " * 40 + "\n</think>\n\nParis."
        run(engine, "c", _base(), long_reasoning)
        engine.wait_idle(60)  # the rewrite trims ~600 reasoning tokens, then saves
        tokens, offset = tokens_held(engine, "c")
        (path,) = cache_dir.glob("*.safetensors")
        # 2 layers x 2 KV heads x 64 dims x keys and values, per token
        per_token = 2 * 2 * 64 * 2 * (4 if kv_bits is None else 1 + 4 / 64 * 2)
        assert path.stat().st_size < len(tokens) * per_token * 1.2 + 64 * 1024
        # and the compacted cache keeps working exactly
        follow = [*_base(), assistant(long_reasoning), user("And Spain?")]
        warm, _ = run(engine, "c", follow, max_tokens=8)
        cold, _ = run(engine, "cold", follow, max_tokens=8)
        assert warm.stats.reused_tokens == offset
        assert warm.final.raw_text == cold.final.raw_text
    finally:
        engine.close()

"""The engine benchmark: pipeline overhead and prefill saved by KV-cache reuse.

All figures come from one model in one process. The speed test alternates plain
``mlx_lm.stream_generate`` and the app's pipeline (engine thread, stream splitting,
event delivery to a consumer on another thread) with the same prompt and length, and
reports medians. Both use the card's sampling; the app applies the repetition penalty
over the whole prompt and output as vLLM does, mlx-lm over its last 20 tokens, and the
cost of that penalty is measured on its own (``penalty_ratio``: with it against
without, both through the app). The reuse tests script the model's replies (see ``scripted``) so a
random-weight model writes reasoning, tool calls and answers like the real one.
"""

from __future__ import annotations

import shutil
import statistics
import time
from typing import Any

import mlx.core as mx
from mlx_lm.generate import stream_generate
from mlx_lm.sample_utils import make_logits_processors, make_sampler

from ii_desktop.core.events import AnswerDelta, GenerationDone, ReasoningDelta
from ii_desktop.core.settings import AppPaths, EngineSettings
from ii_desktop.engine.request import GenerationRequest, Sampling
from ii_desktop.engine.scripted import BanTokens, ScriptedOutput
from ii_desktop.engine.worker import MLXEngine
from ii_desktop.tools.base import WEB_SEARCH_SCHEMA, WEB_VISIT_SCHEMA

SYSTEM = (
    "You are a research assistant. Search the web and read pages before answering, "
    "and cite the URLs of the pages you visited."
)
QUESTION_1 = "Which river runs through the capital of the country that won the 1998 World Cup?"
QUESTION_2 = "How long is that river, and where does it rise?"
QUESTION_3 = "Name three bridges that cross it in the capital."
REASONING = (
    "The 1998 World Cup was won by France, beating Brazil in the final. The capital of "
    "France is Paris. The river that runs through Paris is the Seine. I should confirm "
    "with a search before answering, but I am fairly confident from what I have read. "
) * 3
ANSWER = "The Seine runs through Paris, the capital of France, which won the 1998 World Cup."
TOOLS = [WEB_SEARCH_SCHEMA, WEB_VISIT_SCHEMA]
TOOL_REPLY = (
    "<think>\nI need the winner of the 1998 World Cup first.\n</think>\n\n<tool_call>\n"
    '{"name": "web_search", "arguments": {"query": "1998 World Cup winner"}}\n</tool_call>'
)
SEARCH_RESULT = "\n\n".join(
    f"Index: {i}\nURL: https://example.org/world-cup-{i}\nTitle: 1998 FIFA World Cup result {i}"
    f"\nPreview: France won the 1998 FIFA World Cup, beating Brazil 3-0 in the final at the "
    f"Stade de France in Saint-Denis on 12 July 1998."
    for i in range(10)
)


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 2)


def _speed(engine: MLXEngine, rounds: int, tokens: int) -> dict[str, Any]:
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION_1}]

    def setup(e: MLXEngine) -> tuple[Any, Any, list[int], int]:
        tok = e._tokenizer
        prompt = tok.encode(
            tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=False),
            add_special_tokens=False,
        )
        return e._model, tok, prompt, int(e._model.args.vocab_size)

    model, tokenizer, prompt, vocab = engine.run_on_thread(setup).result()
    eos = sorted(tokenizer.eos_token_ids)
    sampling = Sampling(seed=0)

    def raw_run(_: MLXEngine) -> float:
        mx.random.seed(0)
        processors = make_logits_processors(repetition_penalty=sampling.repetition_penalty)
        processors.append(BanTokens(eos, vocab))
        stamps = []
        for _response in stream_generate(
            model,
            tokenizer,
            prompt,
            max_tokens=tokens,
            sampler=make_sampler(sampling.temperature, sampling.top_p, top_k=sampling.top_k),
            logits_processors=processors,
        ):
            stamps.append(time.perf_counter())
        return (len(stamps) - 1) / (stamps[-1] - stamps[0])

    def app_run(i: int, sampling: Sampling = sampling) -> float:
        request = GenerationRequest(
            f"bench-speed-{i}",
            messages,
            sampling=sampling,
            max_tokens=tokens,
            prewarm_history=False,
            logits_processors=[BanTokens(eos, vocab)],
        )
        start = time.perf_counter()
        handle = engine.generate(request)
        text = []
        for event in handle.events():  # the consumer: another thread than the engine's
            if isinstance(event, (ReasoningDelta, AnswerDelta)):
                text.append(event.text)
            elif isinstance(event, GenerationDone):
                end = time.perf_counter()
        stats = handle.stats
        assert stats is not None
        decode_wall = (end - start) - stats.time_to_first_token
        return (stats.generated_tokens - 1) / decode_wall

    engine.run_on_thread(raw_run).result()  # warm up both paths once
    app_run(-1)
    raw, app = [], []
    for i in range(rounds):
        # alternate which goes first, so a drift in machine speed favours neither
        if i % 2 == 0:
            raw.append(engine.run_on_thread(raw_run).result())
            app.append(app_run(i))
        else:
            app.append(app_run(i))
            raw.append(engine.run_on_thread(raw_run).result())
    # the repetition penalty over the whole prompt and output (as vLLM applies it)
    # against none, both through the app's pipeline
    unpenalised = Sampling(seed=0, repetition_penalty=1.0)
    with_penalty, without = [], []
    for i in range(rounds):
        if i % 2 == 0:
            with_penalty.append(app_run(100 + i))
            without.append(app_run(200 + i, unpenalised))
        else:
            without.append(app_run(200 + i, unpenalised))
            with_penalty.append(app_run(100 + i))
    engine.run_on_thread(lambda e: e._store.drop_all(save=False) if e._store else None).result()
    raw_tps, app_tps = _median(raw), _median(app)
    return {
        "penalty_tps": _median(with_penalty),
        "no_penalty_tps": _median(without),
        "penalty_ratio": round(
            statistics.median(a / b for a, b in zip(with_penalty, without, strict=True)), 3
        ),
        "raw_tps": raw_tps,
        "app_tps": app_tps,
        # the median of each back-to-back pair's ratio: robust to the machine's speed
        # changing between pairs, which the ratio of the two medians is not
        "ratio": round(statistics.median(a / r for a, r in zip(app, raw, strict=True)), 3),
        "ratio_of_medians": round(app_tps / raw_tps, 3),
        "speed_tokens": tokens,
        "speed_rounds": rounds,
    }


def _scripted(engine: MLXEngine, text: str) -> ScriptedOutput:
    def make(e: MLXEngine) -> ScriptedOutput:
        tok = e._tokenizer
        ids = tok.encode(text, add_special_tokens=False)
        end = tok.convert_tokens_to_ids("<|im_end|>")
        return ScriptedOutput(ids, end, int(e._model.args.vocab_size))

    result: ScriptedOutput = engine.run_on_thread(make).result()
    return result


def _turn(
    engine: MLXEngine,
    conversation: str,
    messages: list[dict[str, Any]],
    reply: str | None,
    tools: Any = None,
    prewarm: bool = True,
    wait: bool = True,
) -> Any:
    processors = [_scripted(engine, reply)] if reply is not None else []
    handle = engine.generate(
        GenerationRequest(
            conversation,
            messages,
            tools=tools,
            sampling=Sampling.greedy(),
            max_tokens=1000 if reply else 4,
            prewarm_history=prewarm,
            logits_processors=processors,
        )
    )
    done = handle.wait(600)
    if done.finish_reason == "error":
        raise RuntimeError(done.error)
    if wait:
        engine.wait_idle(600)
    return handle


def _count(engine: MLXEngine, messages: list[dict[str, Any]], tools: Any = None) -> int:
    request = GenerationRequest("count", messages, tools=tools)
    n: int = engine.run_on_thread(lambda e: len(e.render(request)[1])).result()
    return n


def _history_len(engine: MLXEngine, messages: list[dict[str, Any]], raw: str) -> int:
    request = GenerationRequest("count", messages)
    tokens = engine.run_on_thread(lambda e: e._history_tokens(request, raw)).result()
    return len(tokens or [])


def run_engine_bench(
    model: str, paths: AppPaths, rounds: int = 7, tokens: int = 200
) -> dict[str, Any]:
    cache_dir = paths.data_dir / "bench-kv-cache"
    shutil.rmtree(cache_dir, ignore_errors=True)
    settings = EngineSettings(persist_caches=True)
    result: dict[str, Any] = {}
    peaks: list[int] = []
    engine = MLXEngine(settings, cache_dir=cache_dir)
    try:
        info = engine.load(model).result()
        result["model"] = info.name
        result.update(_speed(engine, rounds, tokens))

        # follow-up question after a reasoning answer
        base = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION_1}]
        reply = f"<think>\n{REASONING.strip()}\n</think>\n\n{ANSWER}"
        first = _turn(engine, "bench-followup", base, reply)
        follow = [
            *base,
            {"role": "assistant", "content": first.final.raw_text},
            {"role": "user", "content": QUESTION_2},
        ]
        second = _turn(engine, "bench-followup", follow, None)
        result["followup_prefill"] = second.stats.prefilled_tokens
        result["followup_question_tokens"] = _count(engine, follow) - _history_len(
            engine, base, first.final.raw_text
        )
        result["followup_ttft_s"] = second.stats.time_to_first_token
        peaks += [first.stats.peak_memory_bytes, second.stats.peak_memory_bytes]

        # what peers do: no history rewrite, so the reply is prefilled again
        _turn(engine, "bench-peer", base, reply, prewarm=False)
        peer = _turn(engine, "bench-peer", follow, None, prewarm=False)
        result["followup_prefill_without_rewrite"] = peer.stats.prefilled_tokens
        cold = _turn(engine, "bench-cold", follow, None, prewarm=False)
        result["followup_prefill_cold"] = cold.stats.prefilled_tokens
        result["followup_ttft_cold_s"] = cold.stats.time_to_first_token

        # a request arriving while a long answer's cache is being rewritten
        long_reply = f"<think>\n{REASONING.strip()}\n</think>\n\n{(ANSWER + ' ') * 25}"
        idle = _turn(engine, "bench-idle", [{"role": "user", "content": QUESTION_3}], None)
        _turn(engine, "bench-long", base, long_reply, wait=False)
        busy = _turn(engine, "bench-busy", [{"role": "user", "content": QUESTION_3}], None)
        result["idle_ttft_s"] = idle.stats.time_to_first_token
        result["ttft_during_rewrite_s"] = busy.stats.time_to_first_token

        # one tool round inside a research run
        tool_turn = _turn(engine, "bench-tool", base, TOOL_REPLY, tools=TOOLS)
        with_result = [
            *base,
            {"role": "assistant", "content": tool_turn.final.raw_text},
            {"role": "tool", "content": SEARCH_RESULT},
        ]
        after = _turn(engine, "bench-tool", with_result, None, tools=TOOLS)
        cached_after_call = tool_turn.stats.prompt_tokens + tool_turn.stats.generated_tokens
        result["tool_round_prefill"] = after.stats.prefilled_tokens
        result["tool_response_tokens"] = after.stats.prompt_tokens - cached_after_call
        result["tool_result_content_tokens"] = engine.run_on_thread(
            lambda e: len(e._tokenizer.encode(SEARCH_RESULT, add_special_tokens=False))
        ).result()
        result["tool_round_ttft_s"] = after.stats.time_to_first_token
        peaks.append(after.stats.peak_memory_bytes)

        # the follow-up conversation answers, then the app restarts
        follow_reply = "<think>\nThe Seine is about 777 km long.\n</think>\n\nAbout 777 km."
        third = _turn(engine, "bench-followup", follow, follow_reply)
        reopen_base = [*follow, {"role": "assistant", "content": third.final.raw_text}]
    finally:
        engine.close()

    engine = MLXEngine(settings, cache_dir=cache_dir)
    try:
        engine.load(model).result()
        reopen = [*reopen_base, {"role": "user", "content": QUESTION_3}]
        reopened = _turn(engine, "bench-followup", reopen, None)
        result["reopen_prefill"] = reopened.stats.prefilled_tokens
        result["reopen_question_tokens"] = _count(engine, reopen) - _history_len(
            engine, follow, third.final.raw_text
        )
        result["reopen_cache_source"] = reopened.stats.cache_source
        result["reopen_ttft_s"] = reopened.stats.time_to_first_token
        peaks.append(reopened.stats.peak_memory_bytes)
    finally:
        engine.close()
        shutil.rmtree(cache_dir, ignore_errors=True)
    result["peak_memory_bytes"] = max(peaks)
    result["targets_met"] = {
        "ratio>=0.90": result["ratio"] >= 0.90,
        "followup<=question+8": result["followup_prefill"]
        <= result["followup_question_tokens"] + 8,
        "tool_round<=tool+8": result["tool_round_prefill"] <= result["tool_response_tokens"] + 8,
        "reopen<=question+8": result["reopen_prefill"] <= result["reopen_question_tokens"] + 8,
    }
    return result

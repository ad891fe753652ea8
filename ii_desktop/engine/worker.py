"""The MLX engine: one long-lived thread owns the model and every KV cache.

mlx streams are thread-local, so load, prefill, decode, cache trim, save and load all
run on this thread. Callers submit work and get futures or event streams back; the
GUI never blocks on it.

Between requests the thread does background work for idle conversations: after a
final answer it rewrites the cache into the history form the next prompt will have
(the template drops earlier reasoning), then saves it to disk. Background work runs
one prefill chunk at a time and yields to any new request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import mlx.core as mx
from mlx_lm.generate import generate_step, generation_stream
from mlx_lm.sample_utils import make_logits_processors, make_sampler

from ii_desktop.core.errors import (
    AppError,
    ContextOverflow,
    EngineClosed,
    EngineNotReady,
    TemplateError,
)
from ii_desktop.core.events import (
    GenerationDone,
    GenerationStats,
    PrefillProgress,
)
from ii_desktop.core.settings import EngineSettings
from ii_desktop.engine import memory
from ii_desktop.engine.handle import EventCallback, GenerationHandle
from ii_desktop.engine.kv_store import (
    CacheIdentity,
    CacheStore,
    ConversationCache,
    common_prefix,
)
from ii_desktop.engine.model_files import (
    ModelFolder,
    inspect_model,
    load_model,
    template_supports_tools,
)
from ii_desktop.engine.request import GenerationRequest
from ii_desktop.engine.split import THINK_START, StreamSplitter
from ii_desktop.engine.stream import FLUSH_INTERVAL, TextEvents

log = logging.getLogger(__name__)
T = TypeVar("T")

BACKGROUND_CHUNK = 256  # tokens per background prefill step
MIN_CONTEXT = 4096
_SENTINELS = ("\u00a7", "\u00b6")  # two user messages that differ at their first character


class _Cancelled(Exception):
    pass


@dataclass(frozen=True)
class ModelInfo:
    name: str
    path: str
    fingerprint: str
    quantization: str
    context_length: int
    memory_context: int  # the longest context this machine's memory holds
    long_context: bool
    kv_bits: int | None
    layers: int
    supports_tools: bool


_STOP = object()  # queued by close(), after the jobs already waiting
Job = tuple[Any, "Future[Any]"]


class MLXEngine:
    """Runs a local MLX model on its own thread. See the module docstring."""

    def __init__(
        self,
        settings: EngineSettings | None = None,
        cache_dir: str | Path | None = None,
        flush_interval: float = FLUSH_INTERVAL,
    ) -> None:
        self.settings = settings or EngineSettings()
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.flush_interval = flush_interval
        self.info: ModelInfo | None = None
        self._model: Any = None
        self._tokenizer: Any = None
        self._store: CacheStore | None = None
        self._jobs: list[Job | object] = []
        self._lock = threading.Condition()
        # conversations with background work: the tokens their cache should come to hold
        # (the history form), or None when it only needs saving
        self._background: OrderedDict[str, list[int] | None] = OrderedDict()
        self._idle = threading.Event()
        self._idle.set()
        self._closed = False
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ii-engine", daemon=True)
        self._thread.start()

    # --- caller side ----------------------------------------------------------------

    def _submit(self, fn: Any) -> Future[Any]:
        future: Future[Any] = Future()
        with self._lock:
            if self._closed:
                future.set_exception(EngineClosed("The engine has been shut down."))
                return future
            self._idle.clear()
            self._jobs.append((fn, future))
            self._lock.notify()
        return future

    def load(self, model: str) -> Future[ModelInfo]:
        """Load a model folder (or a cached Hugging Face repo id) on the engine thread."""
        return self._submit(lambda: self._load(model))

    def generate(
        self, request: GenerationRequest, on_event: EventCallback | None = None
    ) -> GenerationHandle:
        handle = GenerationHandle(request, on_event)
        future = self._submit(lambda: self._generate(handle))
        if future.done() and future.exception() is not None:
            exc = future.exception()
            handle.emit(GenerationDone(request.request_id, "error", "", str(exc)))
        return handle

    @property
    def context_length(self) -> int | None:
        return self.info.context_length if self.info else None

    def count_prompt_tokens(self, request: GenerationRequest) -> int | None:
        """Exact prompt length of ``request`` under the model's template."""
        if self.info is None:
            return None
        count: int = self.run_on_thread(lambda e: len(e.render(request)[1])).result()
        return count

    def run_on_thread(self, fn: Any) -> Future[Any]:
        """Run ``fn(engine)`` on the engine thread (inspection in tests and benchmarks)."""
        return self._submit(lambda: fn(self))

    def conversation_tokens(self, conversation_id: str) -> list[int] | None:
        def read(_: MLXEngine) -> list[int] | None:
            entry = self._store.peek(conversation_id) if self._store else None
            if entry is None:
                return None
            entry.sync_tokens()
            return list(entry.tokens)

        result: list[int] | None = self.run_on_thread(read).result()
        return result

    def drop_memory_caches(self) -> None:
        """Forget every in-memory cache (saving unsaved ones when persistence is on)."""

        def drop(_: MLXEngine) -> None:
            self._background.clear()
            if self._store is not None:
                self._store.drop_all(save=self._persist)

        self.run_on_thread(drop).result()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until queued and background work are done."""
        return self._idle.wait(timeout)

    def close(self, timeout: float | None = 30) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._jobs.append(_STOP)
            self._lock.notify()
        self._stopped.wait(timeout)

    def __enter__(self) -> MLXEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def _persist(self) -> bool:
        return self.settings.persist_caches and self.cache_dir is not None

    # --- engine thread ------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._jobs and not self._background:
                    self._idle.set()
                    self._lock.wait()
                job = self._jobs.pop(0) if self._jobs else None
            if job is None:  # nothing queued: a step of background work
                self._background_step()
                continue
            if job is _STOP:
                break
            fn, future = cast(Job, job)
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn())
            except BaseException as exc:
                future.set_exception(exc)
        self._shutdown()
        self._stopped.set()
        # Park instead of returning: mlx frees this thread's compile cache in a
        # thread-exit destructor that needs the GIL, which aborts the process if the
        # interpreter is shutting down at that moment. A parked daemon thread costs
        # nothing and never runs that destructor.
        threading.Event().wait()

    def _shutdown(self) -> None:
        # finish rewriting answered conversations into their history form first, so the
        # caches saved below let the next question after a restart prefill only itself
        try:
            while self._background:
                self._background_step()
        except Exception:
            log.exception("finishing background cache work at shutdown failed")
        if self._store is not None and self._persist:
            try:
                self._store.drop_all(save=True)
            except Exception:
                log.exception("saving caches at shutdown failed")
        with self._lock:
            for job in self._jobs:
                if job is not _STOP:
                    cast(Job, job)[1].set_exception(EngineClosed("The engine has been shut down."))
            self._jobs.clear()
        self._model = self._tokenizer = self._store = None
        self._background.clear()
        mx.clear_cache()
        self._idle.set()

    def _load(self, name: str) -> ModelInfo:
        folder: ModelFolder = inspect_model(name)
        if self._store is not None:
            self._store.drop_all(save=self._persist)
            self._background.clear()
        self._model = self._tokenizer = self._store = self.info = None
        mx.clear_cache()
        model, tokenizer = load_model(folder, self.settings.long_context)
        config = folder.config
        layers = len(model.layers)
        limit = memory.max_context(config, self.settings.long_context)
        fits = memory.largest_context(
            config, self.settings.kv_bits, self.settings.long_context, folder=folder.path
        )
        if self.settings.context_length:
            context = min(self.settings.context_length, limit)
            if context > fits:
                log.warning(
                    "a %d-token context may not fit this machine's memory (about %d does)",
                    context,
                    fits,
                )
        else:
            # the model's limit, unless this machine cannot hold a KV cache that long
            context = min(limit, max(fits, MIN_CONTEXT))
        info = ModelInfo(
            name=folder.name,
            path=str(folder.path),
            fingerprint=folder.fingerprint,
            quantization=folder.quantization,
            context_length=context,
            memory_context=fits,
            long_context=self.settings.long_context,
            kv_bits=self.settings.kv_bits,
            layers=layers,
            supports_tools=template_supports_tools(tokenizer),
        )
        rope = "yarn:1.5:98304" if self.settings.long_context else "default"
        identity = CacheIdentity(
            folder.fingerprint, folder.quantization, rope, self.settings.kv_bits, layers
        )
        self._store = CacheStore(
            identity,
            self.settings.cache_memory_budget,
            self.cache_dir if self._persist else None,
            self.settings.disk_cache_budget,
        )
        self._model, self._tokenizer, self.info = model, tokenizer, info
        return info

    def render(self, request: GenerationRequest) -> tuple[str, list[int]]:
        """Prompt text and tokens for a request, from the model's own chat template."""
        if self._tokenizer is None or self.info is None:
            raise EngineNotReady("No model is loaded. Choose a model folder first.")
        return self._render(request.messages, request.tools, request.enable_thinking, True)

    def _render(
        self, messages: Any, tools: Any, enable_thinking: bool, generation_prompt: bool
    ) -> tuple[str, list[int]]:
        assert self.info is not None
        if tools and not self.info.supports_tools:
            raise TemplateError(
                f"The chat template of {self.info.name} cannot list tools, so the research "
                "tools cannot be offered to it. Use the model's original chat template."
            )
        try:
            text = self._tokenizer.apply_chat_template(
                list(messages),
                tools=list(tools) if tools else None,
                add_generation_prompt=generation_prompt,
                tokenize=False,
                enable_thinking=enable_thinking,
            )
        except Exception as exc:
            raise TemplateError(
                f"The chat template could not render this conversation: {exc}"
            ) from None
        return text, list(self._tokenizer.encode(text, add_special_tokens=False))

    def _prefill(
        self,
        entry: ConversationCache,
        tokens: list[int],
        handle: GenerationHandle | None,
        total: int | None = None,
    ) -> None:
        """Run ``tokens`` through the model into the cache, one chunk at a time.

        Progress is reported against ``total`` (the whole suffix of the prompt, whose
        last token is processed by the first decode step).
        """
        chunk = self.settings.prefill_chunk
        total = len(tokens) if total is None else total
        done = 0
        with mx.stream(generation_stream):
            while done < len(tokens):
                if handle is not None and handle.cancel_requested:
                    raise _Cancelled
                part = tokens[done : done + chunk]
                self._model(mx.array(part)[None], cache=entry.cache)
                mx.eval([c.state for c in entry.cache])
                entry.tokens.extend(part)
                entry.dirty = True
                done += len(part)
                if handle is not None:
                    handle.emit(PrefillProgress(handle.request_id, done, total))

    def _generate(self, handle: GenerationHandle) -> None:
        request = handle.request
        rid = request.request_id
        started = time.perf_counter()
        entry: ConversationCache | None = None
        raw: list[str] = []
        finish = "error"
        error: str | None = None
        try:
            if self._model is None or self._store is None or self.info is None:
                raise EngineNotReady("No model is loaded. Choose a model folder first.")
            self._background.pop(request.conversation_id, None)
            text, prompt = self.render(request)
            context = self.info.context_length
            if len(prompt) >= context:
                raise ContextOverflow(len(prompt), context)
            max_tokens = min(request.max_tokens, context - len(prompt))

            entry, source = self._store.get(request.conversation_id)
            entry.sync_tokens()
            reused = min(common_prefix(entry.tokens, prompt), len(prompt) - 1)
            entry.trim_to(reused)
            suffix = prompt[reused:]
            mx.reset_peak_memory()
            self._prefill(entry, suffix[:-1], handle, total=len(suffix))
            prefilled_at = time.perf_counter()

            finish, generated, first_token_at, coalescer = self._decode(
                handle, entry, suffix[-1:], max_tokens, text.endswith(THINK_START + "\n"), raw
            )
            ended = time.perf_counter()
            ttft = (first_token_at or ended) - started
            decode_seconds = ended - (first_token_at or ended)
            handle.emit(
                GenerationStats(
                    request_id=rid,
                    conversation_id=request.conversation_id,
                    prompt_tokens=len(prompt),
                    reused_tokens=reused,
                    prefilled_tokens=len(suffix),
                    generated_tokens=generated,
                    prefill_seconds=round(prefilled_at - started, 6),
                    time_to_first_token=round(ttft, 6),
                    decode_seconds=round(decode_seconds, 6),
                    prefill_tps=round(len(suffix) / ttft, 2) if ttft > 0 else 0.0,
                    decode_tps=(
                        round((generated - 1) / decode_seconds, 2)
                        if generated > 1 and decode_seconds > 0
                        else 0.0
                    ),
                    peak_memory_bytes=int(mx.get_peak_memory()),
                    cache_source=source,
                    finish_reason=finish,
                )
            )
            self._schedule_background(request, "".join(raw), finish, coalescer.saw_tool_call)
        except _Cancelled:
            finish = "cancelled"
        except AppError as exc:
            finish, error = "error", exc.message
        except Exception as exc:
            log.exception("generation failed")
            finish, error = "error", f"The model failed while generating: {exc}"
        finally:
            if entry is not None:
                entry.sync_tokens()
            if self._store is not None:
                self._store.enforce_budget(keep=request.conversation_id)
        handle.emit(GenerationDone(rid, finish, "".join(raw), error))

    def _decode(
        self,
        handle: GenerationHandle,
        entry: ConversationCache,
        last: list[int],
        max_tokens: int,
        in_reasoning: bool,
        raw: list[str],
    ) -> tuple[str, int, float | None, TextEvents]:
        request = handle.request
        sampling = request.sampling
        if sampling.seed is not None:
            mx.random.seed(sampling.seed)
        sampler = make_sampler(sampling.temperature, sampling.top_p, top_k=sampling.top_k)
        processors: list[Any] = []
        if sampling.repetition_penalty != 1.0:
            processors = make_logits_processors(repetition_penalty=sampling.repetition_penalty)
        processors.extend(request.logits_processors)

        eos = set(self._tokenizer.eos_token_ids)
        detok = self._tokenizer.detokenizer
        detok.reset()
        splitter = StreamSplitter(in_reasoning=in_reasoning)
        coalescer = TextEvents(handle, self.flush_interval)
        tokens = entry.tokens
        finish = "length"
        generated = 0
        first_token_at: float | None = None
        steps = generate_step(
            mx.array(last),
            self._model,
            max_tokens=max_tokens,
            sampler=sampler,
            logits_processors=processors or None,
            prompt_cache=entry.cache,
            prefill_step_size=self.settings.prefill_chunk,
        )
        tokens.extend(last)
        entry.dirty = True
        perf = time.perf_counter
        try:
            for token, _ in steps:
                now = perf()
                if first_token_at is None:
                    first_token_at = now
                tokens.append(token)
                generated += 1
                if token in eos:
                    finish = "stop"
                    break
                detok.add_token(token)
                segment = detok.last_segment
                if segment:
                    raw.append(segment)
                    coalescer.add(splitter.feed(segment), now)
                if handle.cancel_requested:
                    finish = "cancelled"
                    break
        finally:
            steps.close()
        detok.finalize()
        segment = detok.last_segment
        if segment:
            raw.append(segment)
            coalescer.add(splitter.feed(segment), perf())
        coalescer.add(splitter.finish(), perf())
        coalescer.flush()
        return finish, generated, first_token_at, coalescer

    def _schedule_background(
        self, request: GenerationRequest, raw: str, finish: str, tool_call: bool
    ) -> None:
        """After a final answer: rewrite the cache to its history form, then save it."""
        if tool_call and finish in ("stop", "length"):
            return  # a tool round follows; the cache already matches its prompt
        target = None
        if request.prewarm_history and finish in ("stop", "length") and raw:
            target = self._history_tokens(request, raw)
        if target is not None or self._persist:
            self._background[request.conversation_id] = target

    def _history_tokens(self, request: GenerationRequest, raw: str) -> list[int] | None:
        """Tokens the next prompt will start with: this reply as history, then a user turn.

        Rendered twice with different user messages; the common prefix is exactly the
        part that does not depend on the next question.
        """
        messages = [*request.messages, {"role": "assistant", "content": raw}]
        texts = []
        for sentinel in _SENTINELS:
            text, _ = self._render(
                [*messages, {"role": "user", "content": sentinel}],
                request.tools,
                request.enable_thinking,
                False,
            )
            texts.append(text)
        n = 0
        for a, b in zip(*texts, strict=False):
            if a != b:
                break
            n += 1
        if n == 0:
            return None
        return list(self._tokenizer.encode(texts[0][:n], add_special_tokens=False))

    def _background_step(self) -> None:
        conversation_id, target = next(iter(self._background.items()))
        store = self._store
        entry = store.peek(conversation_id) if store is not None else None
        if store is None or entry is None:
            self._background.pop(conversation_id, None)
            return
        try:
            if target is not None:
                entry.sync_tokens()
                keep = common_prefix(entry.tokens, target)
                if keep < len(entry.tokens):
                    entry.trim_to(keep)
                remaining = target[keep:]
                if remaining:
                    # one chunk per step, so a new request never waits for more
                    self._prefill(entry, remaining[:BACKGROUND_CHUNK], None)
                    return
            # a waiting request goes first; an unsaved cache is saved at eviction or exit
            if self._persist and not self._jobs:
                store.save(entry)
        except Exception:
            log.exception("background cache work failed")
            entry.sync_tokens()
        self._background.pop(conversation_id, None)

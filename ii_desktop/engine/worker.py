"""The MLX engine: one long-lived thread owns the model and every KV cache.

mlx streams are thread-local, so load, prefill, decode, cache trim, save and load all
run on this thread. Callers submit work and get futures or event streams back; the
GUI never blocks on it.

Between requests the thread does background work for idle conversations: when a run
has ended it rewrites the cache into the history form the next prompt will have (the
template drops earlier reasoning), then saves it to disk. Background work runs one
prefill chunk at a time and yields to any new request.

``close()`` cancels what is running and queued, saves every cache as it stands (a
rewrite not yet done is saved with the cache and finished after the next ``preload``),
and stops the thread. Methods that wait for the engine thread run inline when called
from it (an ``on_event`` callback), so a callback cannot deadlock the engine.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import mlx.core as mx
from mlx_lm.generate import generate_step, generation_stream
from mlx_lm.sample_utils import make_sampler

from ii_desktop.core.errors import (
    AppError,
    ContextOverflow,
    EngineClosed,
    EngineError,
    EngineNotReady,
    TemplateError,
)
from ii_desktop.core.events import (
    GenerationDone,
    GenerationStats,
    PrefillProgress,
)
from ii_desktop.core.settings import LONG_CONTEXT_MAX, EngineSettings
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
from ii_desktop.engine.penalty import RepetitionPenalty
from ii_desktop.engine.request import GenerationRequest
from ii_desktop.engine.reuse import plan_reuse
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
    notes: tuple[str, ...] = ()  # what the user should know about these settings


@dataclass
class _Job:
    fn: Callable[[], Any]
    future: Future[Any]
    handle: GenerationHandle | None = None  # set for generations, so close() can end them


@dataclass
class _LastTurn:
    """A conversation's latest generation: what ``end_run`` rewrites the cache from."""

    request: GenerationRequest
    raw: str
    finish: str
    tool_call: bool
    history: Sequence[dict[str, Any]] | None = None  # what the next prompt starts with


_STOP = object()  # queued by close(), after the jobs already waiting
EXIT_WAIT = 120.0  # seconds the interpreter's exit waits for the engine thread to leave mlx
_live_engines: weakref.WeakSet[MLXEngine] = weakref.WeakSet()


@atexit.register
def _close_at_exit() -> None:
    # A daemon thread still inside mlx when the interpreter finalizes aborts the process
    # ("terminate called without an active exception"), and its caches are never saved.
    for engine in list(_live_engines):
        try:
            engine.close(timeout=EXIT_WAIT)
        except Exception:
            log.exception("closing the engine at exit failed")


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
        self._jobs: list[_Job | object] = []
        self._lock = threading.Condition()
        # conversations with background work: the tokens their cache should come to hold
        # (the history form), or None when it only needs saving
        self._background: OrderedDict[str, list[int] | None] = OrderedDict()
        self._last_turns: dict[str, _LastTurn] = {}
        self._current: GenerationHandle | None = None
        self._idle = threading.Event()
        self._idle.set()
        self._closed = False
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ii-engine", daemon=True)
        self._thread.start()
        _live_engines.add(self)

    # --- caller side ----------------------------------------------------------------

    def _on_engine_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def _submit(self, fn: Callable[[], Any], handle: GenerationHandle | None = None) -> Future[Any]:
        future: Future[Any] = Future()
        with self._lock:
            if self._closed:
                future.set_exception(EngineClosed("The engine has been shut down."))
                return future
            self._idle.clear()
            self._jobs.append(_Job(fn, future, handle))
            self._lock.notify()
        return future

    def _call(self, fn: Callable[[MLXEngine], T]) -> T:
        """Run ``fn(engine)`` on the engine thread and wait for it; inline when already
        there (an event callback), where waiting would deadlock."""
        if self._on_engine_thread():
            return fn(self)
        result: T = self._submit(lambda: fn(self)).result()
        return result

    def load(self, model: str) -> Future[ModelInfo]:
        """Load a model folder (or a cached Hugging Face repo id) on the engine thread."""
        return self._submit(lambda: self._load(model))

    def generate(
        self, request: GenerationRequest, on_event: EventCallback | None = None
    ) -> GenerationHandle:
        handle = GenerationHandle(request, on_event)
        future = self._submit(lambda: self._generate(handle), handle)
        if future.done() and future.exception() is not None:
            exc = future.exception()
            handle.emit(GenerationDone(request.request_id, "error", "", str(exc)))
        return handle

    def end_run(
        self, conversation_id: str, history: Sequence[dict[str, Any]] | None = None
    ) -> None:
        """The caller's run in this conversation is over (no retry or tool round follows):
        rewrite its cache, in the background, into the form the next question's prompt
        starts with (``history``, when the caller builds it; else the last request's
        messages and reply), then save it. A research loop calls this once its run ended."""
        kept = list(history) if history is not None else None
        if self._on_engine_thread():
            self._end_run(conversation_id, kept)
        else:
            self._submit(lambda: self._end_run(conversation_id, kept))

    def preload(self, conversation_id: str) -> Future[bool]:
        """Bring a conversation's saved cache into memory ahead of its next question (for
        example when its notebook is opened) and finish any rewrite it was saved before.
        Resolves to whether a cache was found."""
        return self._submit(lambda: self._preload(conversation_id))

    @property
    def context_length(self) -> int | None:
        return self.info.context_length if self.info else None

    def count_prompt_tokens(self, request: GenerationRequest) -> int | None:
        """Exact prompt length of ``request`` under the model's template."""
        if self.info is None:
            return None
        return self._call(lambda e: len(e.render(request)[1]))

    def run_on_thread(self, fn: Any) -> Future[Any]:
        """Run ``fn(engine)`` on the engine thread (inspection in tests and benchmarks).
        From the engine thread itself it runs at once and returns a finished future."""
        if self._on_engine_thread():
            future: Future[Any] = Future()
            try:
                future.set_result(fn(self))
            except BaseException as exc:
                future.set_exception(exc)
            return future
        return self._submit(lambda: fn(self))

    def conversation_tokens(self, conversation_id: str) -> list[int] | None:
        def read(_: MLXEngine) -> list[int] | None:
            entry = self._store.peek(conversation_id) if self._store else None
            if entry is None:
                return None
            # no sync here: this may run inside an event callback, mid-generation
            return list(entry.tokens[: entry.offset])

        return self._call(read)

    def drop_memory_caches(self) -> None:
        """Forget every in-memory cache (saving unsaved ones when persistence is on)."""

        def drop(_: MLXEngine) -> None:
            self._background.clear()
            if self._store is not None:
                self._store.drop_all(save=self._persist)

        self._call(drop)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until queued and background work are done."""
        if self._on_engine_thread():
            raise EngineError(
                "wait_idle() was called from an engine event callback, which runs on the "
                "engine thread; call it from another thread."
            )
        return self._idle.wait(timeout)

    def close(self, timeout: float | None = 30) -> bool:
        """Cancel the running and queued work, save every cache as it stands, stop the
        thread. Returns True when the thread has stopped within ``timeout``; False means
        it is still finishing (it keeps going, and the process waits for it at exit)."""
        if self._on_engine_thread():
            raise EngineError(
                "close() was called from an engine event callback, which runs on the "
                "engine thread; close the engine from another thread."
            )
        with self._lock:
            if not self._closed:
                self._closed = True
                queued = [job for job in self._jobs if isinstance(job, _Job)]
                self._jobs = [_STOP]
                current = self._current
                self._lock.notify()
            else:
                queued, current = [], None
        if current is not None:
            current.cancel()
        for job in queued:
            self._abandon(job)
        return self._stopped.wait(timeout)

    @staticmethod
    def _abandon(job: _Job) -> None:
        """End a job that will never run: its future fails, its generation is cancelled."""
        if job.future.set_running_or_notify_cancel():
            job.future.set_exception(EngineClosed("The engine has been shut down."))
        if job.handle is not None and not job.handle.done():
            rid = job.handle.request_id
            job.handle.emit(
                GenerationDone(rid, "cancelled", "", "The engine was shut down before it ran.")
            )

    @property
    def closed(self) -> bool:
        return self._closed

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
                if isinstance(job, _Job):
                    self._current = job.handle
            if job is None:  # nothing queued: a step of background work
                self._background_step()
                continue
            if job is _STOP:
                break
            assert isinstance(job, _Job)
            try:
                if job.future.set_running_or_notify_cancel():
                    try:
                        job.future.set_result(job.fn())
                    except BaseException as exc:
                        job.future.set_exception(exc)
            finally:
                with self._lock:
                    self._current = None
        self._shutdown()
        self._stopped.set()
        # Park instead of returning: mlx frees this thread's compile cache in a
        # thread-exit destructor that needs the GIL, which aborts the process if the
        # interpreter is shutting down at that moment. A parked daemon thread costs
        # nothing and never runs that destructor.
        threading.Event().wait()

    def _shutdown(self) -> None:
        # Save every cache as it stands, without finishing pending rewrites: a cache
        # saved before its rewrite carries the rewrite's target, and ``preload`` finishes
        # it after the next start. So closing takes about the time to write the files.
        if self._store is not None and self._persist:
            for conversation_id, target in self._background.items():
                entry = self._store.peek(conversation_id)
                if entry is not None and target is not None:
                    entry.pending = target
                    entry.dirty = True
            try:
                self._store.drop_all(save=True)
            except Exception:
                log.exception("saving caches at shutdown failed")
        with self._lock:
            left = [job for job in self._jobs if isinstance(job, _Job)]
            self._jobs.clear()
        for job in left:
            self._abandon(job)
        self._model = self._tokenizer = self._store = None
        self._background.clear()
        self._last_turns.clear()
        mx.clear_cache()
        self._idle.set()

    def _load(self, name: str) -> ModelInfo:
        folder: ModelFolder = inspect_model(name)
        if self._store is not None:
            self._store.drop_all(save=self._persist)
            self._background.clear()
            self._last_turns.clear()
        self._model = self._tokenizer = self._store = self.info = None
        mx.clear_cache()
        model, tokenizer = load_model(folder, self.settings.long_context)
        config = folder.config
        layers = len(model.layers)
        limit = memory.max_context(config, self.settings.long_context)
        fits = memory.largest_context(
            config, self.settings.kv_bits, self.settings.long_context, folder=folder.path
        )
        notes: list[str] = []
        wanted = self.settings.context_length
        if wanted:
            context = min(wanted, limit)
            if wanted > limit:
                hint = (
                    " Turn on long-context mode (YaRN, up to 131,072 tokens) for more."
                    if not self.settings.long_context and limit < LONG_CONTEXT_MAX
                    else ""
                )
                notes.append(
                    f"A {wanted:,}-token context was asked for, but {folder.name} reads at "
                    f"most {limit:,} tokens in this mode; using {limit:,}.{hint}"
                )
            if context > fits:
                notes.append(
                    f"A {context:,}-token context may not fit this machine's memory (about "
                    f"{fits:,} tokens do); long conversations may fail or swap."
                )
        else:
            # the model's limit, unless this machine cannot hold a KV cache that long
            context = min(limit, max(fits, MIN_CONTEXT))
        for note in notes:
            log.warning(note)
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
            notes=tuple(notes),
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
        return text, self._encode(text)

    def _encode(self, text: str) -> list[int]:
        return list(self._tokenizer.encode(text, add_special_tokens=False))

    def _decode(self, tokens: list[int]) -> str:
        return str(self._tokenizer.decode(tokens, skip_special_tokens=False))

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
            if handle.cancel_requested:
                raise _Cancelled
            if self._model is None or self._store is None or self.info is None:
                raise EngineNotReady("No model is loaded. Choose a model folder first.")
            self._background.pop(request.conversation_id, None)
            self._last_turns.pop(request.conversation_id, None)
            text, canonical = self.render(request)
            context = self.info.context_length
            if len(canonical) >= context:
                raise ContextOverflow(len(canonical), context)

            entry, source = self._store.get(request.conversation_id)
            entry.sync_tokens()
            entry.pending = None  # this request supersedes a rewrite the cache was saved with
            prompt, reused = plan_reuse(entry.tokens, canonical, text, self._decode, self._encode)
            if len(prompt) >= context:
                raise ContextOverflow(len(prompt), context)
            max_tokens = min(request.max_tokens, context - len(prompt))
            entry.trim_to(reused)
            suffix = prompt[reused:]
            mx.reset_peak_memory()
            self._prefill(entry, suffix[:-1], handle, total=len(suffix))
            prefilled_at = time.perf_counter()

            finish, generated, first_token_at, coalescer = self._decode_reply(
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
            last = _LastTurn(request, "".join(raw), finish, coalescer.saw_tool_call)
            self._last_turns[request.conversation_id] = last
            if request.run_ends_on_answer and not last.tool_call:
                self._schedule_background(last)
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

    def _processors(self, request: GenerationRequest, prompt: list[int]) -> list[Any]:
        processors: list[Any] = []
        penalty = request.sampling.repetition_penalty
        if penalty != 1.0:
            vocab = int(self._model.args.vocab_size)
            processors.append(RepetitionPenalty(penalty, prompt, vocab))
        processors.extend(request.logits_processors)
        return processors

    def _decode_reply(
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
        processors = self._processors(request, [*entry.tokens, *last])

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

    def _end_run(self, conversation_id: str, history: list[dict[str, Any]] | None = None) -> None:
        last = self._last_turns.get(conversation_id)
        if last is not None:
            last.history = history
            self._schedule_background(last)

    def _schedule_background(self, last: _LastTurn) -> None:
        """After a run's last turn: rewrite the cache to its history form, then save it."""
        request = last.request
        self._last_turns.pop(request.conversation_id, None)
        target = None
        if request.prewarm_history and last.history is not None:
            target = self._prefix_tokens(last.history, request)
        elif request.prewarm_history and last.finish in ("stop", "length") and last.raw:
            target = self._history_tokens(request, last.raw)
        if target is not None or self._persist:
            self._background[request.conversation_id] = target
            entry = self._store.peek(request.conversation_id) if self._store else None
            if entry is not None:
                entry.pending = target  # kept with the cache if it is saved before done

    def _preload(self, conversation_id: str) -> bool:
        if self._store is None:
            raise EngineNotReady("No model is loaded. Choose a model folder first.")
        known = conversation_id in self._store
        entry, source = self._store.get(conversation_id)
        if source == "cold":
            self._store.forget_memory(conversation_id)
            return False
        if entry.pending is not None and conversation_id not in self._background:
            self._background[conversation_id] = entry.pending
        self._store.enforce_budget(keep=conversation_id)
        return known or source == "disk"

    def _history_tokens(self, request: GenerationRequest, raw: str) -> list[int] | None:
        """Tokens the next prompt will start with: this reply as history, then a user turn."""
        return self._prefix_tokens(
            [*request.messages, {"role": "assistant", "content": raw}], request
        )

    def _prefix_tokens(
        self, messages: Sequence[dict[str, Any]], request: GenerationRequest
    ) -> list[int] | None:
        """Tokens a prompt that continues ``messages`` with a user turn starts with.

        Rendered twice with different user messages; the common prefix is exactly the
        part that does not depend on the next question.
        """
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
        return self._encode(texts[0][:n])

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
                if common_prefix(entry.tokens, target) < len(entry.tokens):
                    # keep what the cache holds of the target's text (its own tokens)
                    target, keep = plan_reuse(
                        entry.tokens, target, self._decode(target), self._decode, self._encode
                    )
                    keep = common_prefix(entry.tokens, target)
                    self._background[conversation_id] = entry.pending = target
                    entry.trim_to(keep)
                remaining = target[len(entry.tokens) :]
                if remaining:
                    # one chunk per step, so a new request never waits for more
                    self._prefill(entry, remaining[:BACKGROUND_CHUNK], None)
                    return
                entry.pending = None
            # a waiting request goes first; an unsaved cache is saved at eviction or exit
            if self._persist and not self._jobs:
                store.save(entry)
        except Exception:
            log.exception("background cache work failed")
            entry.sync_tokens()
        self._background.pop(conversation_id, None)

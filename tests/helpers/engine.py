"""Helpers for driving the real MLX engine on the tiny model."""

from __future__ import annotations

from typing import Any

from ii_desktop.core.events import Event
from ii_desktop.core.settings import EngineSettings
from ii_desktop.engine.request import GenerationRequest, Sampling
from ii_desktop.engine.scripted import ScriptedOutput
from ii_desktop.engine.worker import MLXEngine

SYSTEM = "You are a careful research assistant."


def start_engine(model_dir, cache_dir=None, **settings: Any) -> MLXEngine:
    engine = MLXEngine(EngineSettings(**settings), cache_dir=cache_dir)
    engine.load(str(model_dir)).result(timeout=120)
    return engine


def scripted(engine: MLXEngine, text: str) -> ScriptedOutput:
    """A processor that makes the tiny model write ``text`` and then end its turn."""

    def make(e: MLXEngine) -> ScriptedOutput:
        tok = e._tokenizer
        ids = tok.encode(text, add_special_tokens=False)
        end = tok.convert_tokens_to_ids("<|im_end|>")
        return ScriptedOutput(ids, end, e._model.args.vocab_size)

    return engine.run_on_thread(make).result()


def run(
    engine: MLXEngine,
    conversation: str,
    messages: list[dict[str, Any]],
    reply: str | None = None,
    max_tokens: int = 24,
    **kwargs: Any,
) -> tuple[Any, list[Event]]:
    """One generation; greedy unless told otherwise. Returns (handle, events)."""
    kwargs.setdefault("sampling", Sampling.greedy())
    processors = [scripted(engine, reply)] if reply is not None else []
    handle = engine.generate(
        GenerationRequest(
            conversation,
            messages,
            max_tokens=400 if reply else max_tokens,
            logits_processors=processors,
            **kwargs,
        )
    )
    events = list(handle.events(timeout=120))
    return handle, events


def tokens_held(engine: MLXEngine, conversation: str) -> tuple[list[int], int] | None:
    """The token list a conversation's cache claims, and the cache's real length."""

    def read(e: MLXEngine):
        entry = e._store.peek(conversation)
        if entry is None:
            return None
        return list(entry.tokens), entry.offset

    return engine.run_on_thread(read).result()


def user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def assistant(text: str) -> dict[str, str]:
    return {"role": "assistant", "content": text}

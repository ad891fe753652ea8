"""Helpers for driving the real MLX engine on the tiny model."""

from __future__ import annotations

import dataclasses
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


class ScriptedEngine:
    """The real MLX engine with each generation's words scripted, in order."""

    def __init__(self, engine: MLXEngine, turns: list[str]) -> None:
        self.engine = engine
        self.turns = list(turns)
        self.prompts: list[list[int]] = []  # the exact tokens each generation was given

    @property
    def context_length(self) -> int | None:
        return self.engine.context_length

    def count_prompt_tokens(self, request: GenerationRequest) -> int | None:
        return self.engine.count_prompt_tokens(request)

    def generate(self, request: GenerationRequest, on_event=None):
        self.prompts.append(self.engine.run_on_thread(lambda e: e.render(request)[1]).result())
        request = dataclasses.replace(
            request, logits_processors=[scripted(self.engine, self.turns.pop(0))]
        )
        return self.engine.generate(request, on_event)

    def end_run(self, conversation_id: str, history=None) -> None:
        self.engine.end_run(conversation_id, history)

    def close(self) -> None:
        return None

"""An engine that streams from an OpenAI-compatible server: vLLM or SGLang serving
II-Search-4B across GPUs (with ``--reasoning-parser``), or LM Studio / Ollama.

Reasoning arrives as ``reasoning_content`` (or ``reasoning``) deltas or as ``<think>`` in
the content; tool calls as structured ``tool_calls`` deltas or as raw ``<tool_call>``
text in the content (servers run without a tool parser send that). Either way the
events and the raw text handed back are the same as from the local engine.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Sequence
from typing import Any

import httpx

from ii_desktop.core.events import GenerationDone, GenerationStats
from ii_desktop.engine.base import estimate_tokens
from ii_desktop.engine.handle import EventCallback, GenerationHandle
from ii_desktop.engine.request import GenerationRequest
from ii_desktop.engine.split import Piece, StreamSplitter
from ii_desktop.engine.stream import TextEvents

log = logging.getLogger(__name__)

ERROR_BODY_LIMIT = 4096


def _split_raw(content: str) -> tuple[str, str, list[str]]:
    """Reasoning, answer text and tool-call blocks of a raw assistant turn."""
    splitter = StreamSplitter()
    pieces = splitter.feed(content) + splitter.finish()
    reasoning = "".join(p.text for p in pieces if p.kind == "reasoning")
    answer = "".join(p.text for p in pieces if p.kind == "answer")
    return reasoning, answer.strip(), [p.text for p in pieces if p.kind == "tool_call"]


def _structured_call(block: str, call_id: str) -> dict[str, Any]:
    """A raw call block as an OpenAI tool call. Servers parse ``arguments`` as JSON, so a
    broken call is sent as valid JSON that still shows what the model wrote."""
    name, arguments = "invalid_call", json.dumps({"invalid_call": block}, ensure_ascii=False)
    try:
        data = json.loads(block)
    except ValueError:
        data = None
    if isinstance(data, dict):
        name = str(data.get("name") or "invalid_call")
        args = data.get("arguments", {})
        if isinstance(args, dict):
            arguments = json.dumps(args, ensure_ascii=False)
        else:
            arguments = json.dumps({"invalid_arguments": args}, ensure_ascii=False)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def to_openai_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Our messages (raw assistant text) in the OpenAI chat protocol (structured calls)."""
    out: list[dict[str, Any]] = []
    i = 0
    while i < len(messages):
        message = messages[i]
        role = message.get("role")
        if role != "assistant":
            clean = {k: v for k, v in message.items() if k in ("role", "content", "name")}
            if role == "tool":
                clean = {"role": "tool", "content": message.get("content", "")}
                clean["tool_call_id"] = str(message.get("tool_call_id") or f"call_{i}")
            out.append(clean)
            i += 1
            continue
        reasoning, answer, blocks = _split_raw(str(message.get("content") or ""))
        following = []
        j = i + 1
        while j < len(messages) and messages[j].get("role") == "tool":
            following.append(messages[j])
            j += 1
        converted: dict[str, Any] = {"role": "assistant", "content": answer or None}
        if reasoning.strip():
            # servers' Qwen3 templates keep it within a research loop, drop it later
            converted["reasoning_content"] = reasoning.strip("\n")
        if blocks:
            ids = [
                str(following[k].get("tool_call_id") or f"call_{i}_{k}")
                if k < len(following)
                else f"call_{i}_{k}"
                for k in range(len(blocks))
            ]
            converted["tool_calls"] = [
                _structured_call(b, c) for b, c in zip(blocks, ids, strict=True)
            ]
        elif not answer:
            converted["content"] = ""
        out.append(converted)
        i += 1
    return out


class _ServerError(Exception):
    pass


def _interrupt(response: httpx.Response) -> None:
    """Wake a read blocked on a quiet server, from another thread, so a cancel is prompt:
    shutting the socket down makes the pending read return at once."""
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if isinstance(sock, socket.socket):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _error_message(response: httpx.Response, base_url: str, model: str) -> str:
    try:
        body = response.read()[:ERROR_BODY_LIMIT].decode("utf-8", "replace")
    except httpx.HTTPError:
        body = ""
    detail = body.strip()
    try:
        data = json.loads(body)
        err = data.get("error") if isinstance(data, dict) else None
        if isinstance(err, dict):
            detail = str(err.get("message") or detail)
        elif isinstance(err, str):
            detail = err
        elif isinstance(data, dict) and "detail" in data:
            detail = str(data["detail"])
    except ValueError:
        pass
    status = response.status_code
    if status in (401, 403):
        return (
            f"The model server at {base_url} refused the request ({status}): check the "
            f"API key. {detail}".strip()
        )
    if status == 404:
        return (
            f"The model server at {base_url} answered 404: is the base URL right (it "
            f"usually ends in /v1) and is model '{model}' served? {detail}".strip()
        )
    return f"The model server at {base_url} answered {status}: {detail or response.reason_phrase}"


class OpenAIEngine:
    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        context_length: int | None = None,
        http: httpx.Client | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 120.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self._api_key = api_key
        self._context_length = context_length
        self._http = http or httpx.Client(
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout), trust_env=False
        )
        self._owns_http = http is None

    @property
    def context_length(self) -> int | None:
        return self._context_length

    def count_prompt_tokens(self, request: GenerationRequest) -> int | None:
        return estimate_tokens(request)

    def end_run(
        self, conversation_id: str, history: Sequence[dict[str, Any]] | None = None
    ) -> None:
        return None  # no cache of ours to prepare

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "text/event-stream"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    def _body(self, request: GenerationRequest) -> dict[str, Any]:
        s = request.sampling
        body: dict[str, Any] = {
            "model": self.model,
            "messages": to_openai_messages(list(request.messages)),
            "stream": True,
            "stream_options": {"include_usage": True},
            "max_tokens": request.max_tokens,
            "temperature": s.temperature,
            "top_p": s.top_p,
            "top_k": s.top_k,
            "repetition_penalty": s.repetition_penalty,
        }
        if s.seed is not None:
            body["seed"] = s.seed
        if request.tools:
            body["tools"] = list(request.tools)
        return body

    def generate(
        self, request: GenerationRequest, on_event: EventCallback | None = None
    ) -> GenerationHandle:
        handle = GenerationHandle(request, on_event)
        threading.Thread(target=self._run, args=(handle,), daemon=True).start()
        return handle

    def _run(self, handle: GenerationHandle) -> None:
        state = _StreamState(handle)
        finish, error = "stop", None
        started = time.perf_counter()
        try:
            finish = self._stream(handle, state)
        except _ServerError as exc:
            finish, error = "error", str(exc)
        except httpx.ConnectError as exc:
            finish = "error"
            error = f"Could not connect to the model server at {self.base_url}: {exc}"
        except httpx.TimeoutException:
            finish = "error"
            error = f"The model server at {self.base_url} did not answer in time."
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.StreamError):
            finish = "error"
            error = f"The connection to the model server at {self.base_url} dropped mid-answer."
        except httpx.HTTPError as exc:
            finish, error = "error", f"Talking to the model server failed: {exc}"
        except Exception as exc:  # a malformed stream must still end the generation
            log.exception("reading the model server's stream failed")
            finish, error = "error", f"The model server sent something unreadable: {exc}"
        if handle.cancel_requested:
            finish, error = "cancelled", None
        state.close()
        elapsed = time.perf_counter() - started
        if finish != "error":
            handle.emit(state.stats(elapsed, finish))
        handle.emit(GenerationDone(handle.request_id, finish, state.raw(), error))

    def _stream(self, handle: GenerationHandle, state: _StreamState) -> str:
        url = f"{self.base_url}/chat/completions"
        finish = "stop"
        with self._http.stream(
            "POST", url, json=self._body(handle.request), headers=self._headers()
        ) as response:
            if response.status_code != 200:
                raise _ServerError(_error_message(response, self.base_url, self.model))
            handle.on_cancel(lambda: _interrupt(response))
            for line in response.iter_lines():
                if handle.cancel_requested:
                    return "cancelled"
                if not line.startswith("data:"):
                    continue
                payload = line[5:].strip()
                if payload == "[DONE]":
                    return finish
                try:
                    chunk = json.loads(payload)
                except ValueError:
                    log.warning("skipping a malformed stream line from %s", url)
                    continue
                if not isinstance(chunk, dict):
                    continue  # keep-alives and other non-chunks
                if chunk.get("error"):
                    err = chunk["error"]
                    message = err.get("message") if isinstance(err, dict) else str(err)
                    raise _ServerError(f"The model server reported an error: {message}")
                if state.take(chunk) == "length":
                    finish = "length"
        return finish  # some servers close the stream without [DONE]


class _StreamState:
    """Accumulates one streamed completion."""

    def __init__(self, handle: GenerationHandle) -> None:
        self.handle = handle
        self.splitter = StreamSplitter()
        self.events = TextEvents(handle, interval=0.03)
        self.reasoning: list[str] = []
        self.content: list[str] = []
        self.calls: dict[int, dict[str, str]] = {}
        self.usage: dict[str, Any] = {}
        self.first_at: float | None = None
        self.started = time.perf_counter()

    def take(self, chunk: dict[str, Any]) -> str | None:
        if isinstance(chunk.get("usage"), dict):
            self.usage = chunk["usage"]
        choices = chunk.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            return None
        choice = choices[0]
        delta = choice.get("delta")
        if not isinstance(delta, dict):
            delta = {}
        now = time.perf_counter()
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if isinstance(reasoning, str) and reasoning:
            self.first_at = self.first_at or now
            self.reasoning.append(reasoning)
            self.events.add([Piece("reasoning", reasoning)], now)
        content = delta.get("content")
        if isinstance(content, str) and content:
            self.first_at = self.first_at or now
            self.content.append(content)
            self.events.add(self.splitter.feed(content), now)
        calls = delta.get("tool_calls")
        for call in calls if isinstance(calls, list) else []:
            if not isinstance(call, dict):
                continue
            self.first_at = self.first_at or now
            index = call.get("index")
            index = index if isinstance(index, int) else 0
            slot = self.calls.setdefault(index, {"name": "", "arguments": ""})
            function = call.get("function")
            if not isinstance(function, dict):
                continue
            for key in ("name", "arguments"):
                value = function.get(key)
                if isinstance(value, str):
                    slot[key] += value
        reason = choice.get("finish_reason")
        return reason if isinstance(reason, str) else None

    def call_blocks(self) -> list[str]:
        blocks = []
        for index in sorted(self.calls):
            call = self.calls[index]
            arguments = call["arguments"].strip() or "{}"
            blocks.append(
                '{"name": ' + json.dumps(call["name"]) + ', "arguments": ' + arguments + "}"
            )
        return blocks

    def close(self) -> None:
        now = time.perf_counter()
        self.events.add(self.splitter.finish(), now)
        for block in self.call_blocks():
            self.events.add([Piece("tool_call", block)], now)
        self.events.flush()

    def raw(self) -> str:
        text = ""
        if self.reasoning:
            text = "<think>\n" + "".join(self.reasoning).strip("\n") + "\n</think>\n\n"
        text += "".join(self.content)
        for block in self.call_blocks():
            text += (
                "\n" if text and not text.endswith("\n") else ""
            ) + f"<tool_call>\n{block}\n</tool_call>"
        return text

    def stats(self, elapsed: float, finish: str) -> GenerationStats:
        prompt = int(self.usage.get("prompt_tokens") or estimate_tokens(self.handle.request))
        generated = int(self.usage.get("completion_tokens") or max(1, len(self.raw()) // 4))
        details = self.usage.get("prompt_tokens_details") or {}
        cached = int(details.get("cached_tokens") or 0) if isinstance(details, dict) else 0
        ttft = (self.first_at - self.started) if self.first_at else elapsed
        decode = max(elapsed - ttft, 1e-9)
        return GenerationStats(
            request_id=self.handle.request_id,
            conversation_id=self.handle.request.conversation_id,
            prompt_tokens=prompt,
            reused_tokens=cached,
            prefilled_tokens=prompt - cached,
            generated_tokens=generated,
            prefill_seconds=round(ttft, 6),
            time_to_first_token=round(ttft, 6),
            decode_seconds=round(decode, 6),
            prefill_tps=round(prompt / ttft, 2) if ttft > 0 else 0.0,
            decode_tps=round(generated / decode, 2),
            peak_memory_bytes=0,
            cache_source="server",
            finish_reason=finish,
        )

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
import re
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import httpx

from ii_desktop.core.events import GenerationDone, GenerationStats
from ii_desktop.engine.base import estimate_tokens
from ii_desktop.engine.handle import EventCallback, GenerationHandle
from ii_desktop.engine.request import GenerationRequest
from ii_desktop.engine.split import Piece, StreamSplitter
from ii_desktop.engine.sse import Deadline, LineReader, StreamLimitError, TurnLimits
from ii_desktop.engine.stream import TextEvents

log = logging.getLogger(__name__)

ERROR_BODY_LIMIT = 4096
_BEARER = re.compile(r"(?i)\bbearer\s+[^\s'\",;]+")


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


def redact(text: str, api_key: str | None) -> str:
    """``text`` without the API key or any bearer token: servers' error bodies sometimes
    echo what they were sent."""
    if api_key:
        for form in sorted({api_key, json.dumps(api_key)[1:-1]}, key=len, reverse=True):
            text = text.replace(form, "[redacted]")
    return _BEARER.sub("Bearer [redacted]", text)


def _key_problem(api_key: str) -> str | None:
    """Why ``api_key`` cannot go into an HTTP header, in words that do not repeat it."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in api_key):
        return (
            "The API key for the model server contains a line break or control character; "
            "enter it again in Settings."
        )
    if not api_key.isascii():
        return (
            "The API key for the model server contains a character other than plain "
            "letters, digits and punctuation; enter it again in Settings."
        )
    return None


def _error_body(response: httpx.Response) -> str:
    """The start of an error answer; the rest is never read, however much the server sends."""
    body = bytearray()
    try:
        for data in response.iter_bytes():
            body += data
            if len(body) >= ERROR_BODY_LIMIT:
                break
    except httpx.HTTPError:
        pass
    return bytes(body[:ERROR_BODY_LIMIT]).decode("utf-8", "replace")


def _looks_like_html(response: httpx.Response, body: str) -> bool:
    kind = response.headers.get("content-type", "").lower()
    return "html" in kind or body.lstrip()[:1] == "<"


def _error_message(response: httpx.Response, base_url: str, model: str) -> str:
    body = _error_body(response)
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
    if _looks_like_html(response, detail):  # a web page is no message: never shown raw
        detail = ""
    detail = " ".join(detail.split())[:300]
    status = response.status_code
    if status in (401, 403):
        return (
            f"The model server at {base_url} refused the request ({status}): check the "
            f"API key. {detail}".strip()
        )
    if status in (404, 405) and not base_url.rstrip("/").endswith("/v1"):
        return (
            f"The model server at {base_url} answered {status}: OpenAI-compatible servers "
            f"answer under /v1; try --base-url {base_url.rstrip('/')}/v1."
        )
    if status == 404:
        return (
            f"The model server at {base_url} answered 404: is the base URL right (it "
            f"usually ends in /v1) and is model '{model}' served? {detail}".strip()
        )
    return f"The model server at {base_url} answered {status}: {detail or response.reason_phrase}"


def _lines(response: httpx.Response, reader: LineReader, deadline: Deadline) -> Iterator[str]:
    """The stream's lines, read in chunks within the reader's bounds and the deadline."""
    for data in response.iter_bytes():
        deadline.check()
        yield from reader.feed(data)
    yield from reader.finish()
    deadline.check()  # a stream cut by the deadline's interrupt may look like a clean end


class OpenAIEngine:
    """``limits`` bound what one turn may take from the server (see ``TurnLimits``);
    ``read_timeout`` is the idle timeout between two reads."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        context_length: int | None = None,
        http: httpx.Client | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 120.0,
        limits: TurnLimits | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self._api_key = api_key
        self._context_length = context_length
        self.limits = limits or TurnLimits()
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
        # an event stream gains nothing from compression, and plain bytes are what we count
        headers = {"Accept": "text/event-stream", "Accept-Encoding": "identity"}
        if self._api_key:
            problem = _key_problem(self._api_key)
            if problem:
                raise _ServerError(problem)
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
        state = _StreamState(handle, self.limits, self.base_url)
        deadline = Deadline(self.base_url, self.limits.deadline)
        finish, error = "stop", None
        started = time.perf_counter()
        try:
            finish = self._stream(handle, state, deadline)
        except (_ServerError, StreamLimitError) as exc:
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
        except httpx.LocalProtocolError as exc:
            finish = "error"
            error = f"The request to the model server at {self.base_url} was malformed: {exc}"
            if "header" in str(exc).lower():
                error = (
                    "The API key or another header for the model server contains a line "
                    "break or control character; enter the key again in Settings."
                )
        except httpx.HTTPError as exc:
            finish, error = "error", f"Talking to the model server failed: {exc}"
        except Exception as exc:  # a malformed stream must still end the generation
            log.exception("reading the model server's stream failed")
            finish, error = "error", f"The model server sent something unreadable: {exc}"
        finally:
            deadline.stop()
        if handle.cancel_requested:
            finish, error = "cancelled", None
        elif finish == "error" and deadline.fired:
            error = deadline.message()  # the I/O error was the deadline waking the read
        state.close()
        elapsed = time.perf_counter() - started
        if finish != "error":
            handle.emit(state.stats(elapsed, finish))
        if error is not None:
            error = redact(error, self._api_key)
        handle.emit(GenerationDone(handle.request_id, finish, state.raw(), error))

    def _stream(self, handle: GenerationHandle, state: _StreamState, deadline: Deadline) -> str:
        url = f"{self.base_url}/chat/completions"
        headers = self._headers()
        finish = "stop"
        with self._http.stream(
            "POST", url, json=self._body(handle.request), headers=headers
        ) as response:
            handle.on_cancel(lambda: _interrupt(response))
            deadline.on_pass(lambda: _interrupt(response))
            if response.status_code != 200:
                raise _ServerError(_error_message(response, self.base_url, self.model))
            lim = self.limits
            reader = LineReader(self.base_url, lim.max_line_bytes, lim.max_bytes)
            for line in _lines(response, reader, deadline):
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


def _count(value: object, default: int) -> int:
    """A positive token count from the server's usage, else ``default``: usage is the
    server's word, and a stream must not fail on a malformed one."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 1:
        return int(value)
    return default


class _Call:
    """One structured tool call as its deltas arrive."""

    def __init__(self) -> None:
        self.name: list[str] = []
        self.arguments: list[str] = []
        self.size = 0


class _StreamState:
    """Accumulates one streamed completion, within the turn's limits on text and calls."""

    def __init__(self, handle: GenerationHandle, limits: TurnLimits, where: str) -> None:
        self.handle = handle
        self.limits = limits
        self.where = where
        self.splitter = StreamSplitter()
        self.events = TextEvents(handle, interval=0.03)
        self.reasoning: list[str] = []
        self.content: list[str] = []
        self.calls: dict[int, _Call] = {}
        self.text_calls = 0  # raw <tool_call> blocks in the content
        self.open_call = 0  # characters of the raw block still open, counted generously
        self.max_chars = int(handle.request.max_tokens * limits.chars_per_token)
        self.chars = 0
        self.over = False
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
            kept = self._within_budget(reasoning)
            self.reasoning.append(kept)
            self.events.add([Piece("reasoning", kept)] if kept else [], now)
            self._end_if_over()
        content = delta.get("content")
        if isinstance(content, str) and content:
            self.first_at = self.first_at or now
            kept = self._within_budget(content)
            self.content.append(kept)
            self._content_pieces(self.splitter.feed(kept), len(kept), now)
            self._end_if_over()
        calls = delta.get("tool_calls")
        for call in calls if isinstance(calls, list) else []:
            if not isinstance(call, dict):
                continue
            self.first_at = self.first_at or now
            index = call.get("index")
            index = index if isinstance(index, int) else 0
            slot = self.calls.get(index)
            if slot is None:
                self._new_call()
                slot = self.calls[index] = _Call()
            function = call.get("function")
            if isinstance(function, dict):
                self._call_delta(slot, function)
        reason = choice.get("finish_reason")
        return reason if isinstance(reason, str) else None

    def _within_budget(self, text: str) -> str:
        """The part of ``text`` inside the turn's token allowance; a cut marks the turn."""
        kept = text[: max(self.max_chars - self.chars, 0)]
        self.chars += len(kept)
        self.over = len(kept) < len(text)
        return kept

    def _end_if_over(self) -> None:
        if self.over:
            raise StreamLimitError(
                f"The model server at {self.where} kept sending past this answer's limit "
                f"of {self.handle.request.max_tokens} tokens (it seems to ignore "
                "max_tokens), so the answer was stopped; the text so far is kept. Check "
                "the server's settings, then try again."
            )

    def _new_call(self, in_text: bool = False) -> None:
        if len(self.calls) + self.text_calls >= self.limits.max_tool_calls:
            raise StreamLimitError(
                f"The model server at {self.where} sent more than "
                f"{self.limits.max_tool_calls} tool calls in one answer, so the answer was "
                "stopped. Try again; if it keeps happening, check the server's tool-call "
                "parser."
            )
        if in_text:
            self.text_calls += 1

    def _check_call_size(self, size: int) -> None:
        if size > self.limits.max_call_chars:
            raise StreamLimitError(
                f"The model server at {self.where} sent a tool call of more than "
                f"{self.limits.max_call_chars:,} characters (a search query or a web "
                "address needs far fewer), so the answer was stopped. Try again; if it "
                "keeps happening, check the server's tool-call parser."
            )

    def _call_delta(self, slot: _Call, function: dict[str, Any]) -> None:
        for key in ("name", "arguments"):
            value = function.get(key)
            if not isinstance(value, str) or not value:
                continue
            part = value[: max(self.limits.max_call_chars - slot.size, 0)]
            kept = self._within_budget(part)
            (slot.name if key == "name" else slot.arguments).append(kept)
            slot.size += len(kept)
            self._end_if_over()
            if len(part) < len(value):
                self._check_call_size(slot.size + len(value) - len(part))

    def _content_pieces(self, pieces: list[Piece], fed: int, now: float) -> None:
        """Emit the split content, counting raw call blocks like structured calls."""
        for piece in pieces:
            if piece.kind == "tool_call":
                self.open_call = 0
                self._new_call(in_text=True)
                self._check_call_size(len(piece.text))
            self.events.add([piece], now)
        if self.splitter.state == "tool_call":
            self.open_call += fed
            self._check_call_size(self.open_call)

    def call_blocks(self) -> list[str]:
        blocks = []
        for index in sorted(self.calls):
            call = self.calls[index]
            arguments = "".join(call.arguments).strip() or "{}"
            blocks.append(
                '{"name": ' + json.dumps("".join(call.name)) + ', "arguments": ' + arguments + "}"
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
        prompt = _count(self.usage.get("prompt_tokens"), estimate_tokens(self.handle.request))
        generated = _count(self.usage.get("completion_tokens"), max(1, len(self.raw()) // 4))
        details = self.usage.get("prompt_tokens_details") or {}
        cached = _count(details.get("cached_tokens"), 0) if isinstance(details, dict) else 0
        cached = min(cached, prompt)
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

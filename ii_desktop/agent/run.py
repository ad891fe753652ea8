"""One research run: the tool-calling loop around any engine.

What the model sees in the format it was trained on: the two tools with their trained
schemas, tool results as ``role: tool`` messages holding the trained result text, its
own raw output (reasoning and ``<tool_call>`` blocks) as the assistant turns, all
rendered by the model's own chat template, and the card's short-answer instruction.
The system prompt and the few steering messages (challenge, conclude, answer now, the
report request) are ours; ``prompts`` says which text is whose.

Guards: a round limit; a turn identical to the previous one ends the loop; a repeated
identical call is answered from the earlier result; an empty turn is retried twice; an
answer given with no search is challenged once; when the next prompt would not fit the
context, older tool results are shortened, then the model is asked to answer with what
it has. Broken tool calls become failed tool results the model can act on.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from ii_desktop.agent import prompts
from ii_desktop.agent.answers import cited_urls, extract_boxed
from ii_desktop.agent.events import (
    Answer,
    Notice,
    PromptProgress,
    Reasoning,
    RunFinished,
    RunStarted,
    Source,
    Stats,
    ToolCall,
    ToolResult,
)
from ii_desktop.agent.history import (
    PastRun,
    build_history,
    compact_answer,
    history_budget,
)
from ii_desktop.agent.sources import SourceRegistry
from ii_desktop.agent.tool_calls import ParsedCall, parse_tool_call
from ii_desktop.core.errors import AppError, UsageError
from ii_desktop.core.events import (
    AnswerDelta,
    Event,
    GenerationDone,
    GenerationStats,
    PrefillProgress,
    ReasoningDelta,
    ToolCallText,
)
from ii_desktop.engine.base import Engine
from ii_desktop.engine.request import GenerationRequest, Sampling
from ii_desktop.tools.base import Tool, ToolContext, ToolOutput
from ii_desktop.tools.provenance import (
    CONVERSATION,
    PAGE_LINK,
    QUESTION,
    SEARCH_RESULT,
    Provenance,
)

log = logging.getLogger(__name__)

MODES = ("normal", "short", "report")
CANCEL_GRACE = 5.0  # seconds an engine gets to confirm a cancel before the run stops anyway
REPEAT_MIN_CHARS = 100
SHORTENED_CHARS = 1000
POLL_SECONDS = 0.05

EventSink = Callable[[Event], None]


@dataclass(frozen=True)
class RunOptions:
    mode: str = "normal"
    max_rounds: int = 50
    max_tokens: int = 2048  # per generation, as the model card recommends
    sampling: Sampling = field(default_factory=Sampling)
    max_parallel_tools: int = 4
    empty_retries: int = 2
    challenge_unsearched: bool = True

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise UsageError(f"mode must be one of {', '.join(MODES)}")
        if self.max_rounds < 1:
            raise UsageError("--max-rounds must be at least 1")


@dataclass
class _Turn:
    raw: str = ""
    answer: str = ""
    calls: list[tuple[str, ParsedCall]] = field(default_factory=list)
    stats: GenerationStats | None = None
    finish: str = "stop"
    error: str | None = None


class _Stop(Exception):
    def __init__(self, reason: str, error: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.error = error


def _short(question: str, limit: int = 60) -> str:
    line = " ".join(question.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


class ResearchRun:
    """Runs one question to a sourced answer. ``run()`` blocks: call it off the GUI thread.

    A continued notebook passes its earlier runs as ``past_runs`` (compact: question and
    answer, see ``agent.history``) and the notebook's ``system_prompt``; after the run,
    ``history_entry`` is this run in that form (None when it found no answer).
    ``history`` instead passes earlier messages as they are; after the run, ``messages``
    holds the whole conversation including this run.
    """

    def __init__(
        self,
        engine: Engine,
        tools: Sequence[Tool],
        tool_context: ToolContext,
        question: str,
        options: RunOptions | None = None,
        on_event: EventSink | None = None,
        history: Sequence[dict[str, Any]] = (),
        conversation_id: str | None = None,
        run_id: str | None = None,
        system_prompt: str | None = None,
        past_runs: Sequence[PastRun] | None = None,
    ) -> None:
        if not question.strip():
            raise UsageError("The question is empty.")
        self.engine = engine
        self.tools = {tool.name: tool for tool in tools}
        self.schemas = [tool.schema for tool in tools]
        self._parameters = {
            tool.name: tool.schema["function"].get("parameters", {}) for tool in tools
        }
        self.ctx = tool_context
        self.question = question
        self.options = options or RunOptions()
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self.conversation_id = conversation_id or f"run-{self.run_id}"
        self._sink = on_event or (lambda event: None)
        self.system_prompt = system_prompt or prompts.system_prompt()
        self.past_runs = list(past_runs) if past_runs is not None else None
        self.left_out = 0  # earlier runs the notebook's history had no room for
        self.history_entry: PastRun | None = None
        if self.past_runs is not None:
            built = build_history(self.system_prompt, self.past_runs, self._history_budget())
            self.messages: list[dict[str, Any]] = built.messages
            self.left_out = built.left_out
        else:
            self.messages = list(history)
        if not self.messages or self.messages[0].get("role") != "system":
            self.messages.insert(0, {"role": "system", "content": self.system_prompt})
        else:
            self.system_prompt = str(self.messages[0].get("content") or self.system_prompt)
        self.messages.append(
            {"role": "user", "content": prompts.user_message(question, self.options.mode)}
        )
        provenance = getattr(tool_context, "provenance", None)
        if isinstance(provenance, Provenance):  # what the model is shown, it may visit
            provenance.see_text(question, QUESTION)
            for message in self.messages[1:-1]:
                provenance.see_text(str(message.get("content") or ""), CONVERSATION)
        self.sources = SourceRegistry()
        self._cancel = threading.Event()
        self._handle: Any = None
        self._done_calls: dict[str, ToolOutput] = {}
        self._shortened: set[int] = set()
        self._first_tool_message = len(self.messages)
        self._totals = [0, 0, 0, 0]
        self.rounds = 0
        self.searches = 0
        self.visits = 0
        self.finished: RunFinished | None = None

    # --- control ----------------------------------------------------------------------

    def cancel(self) -> None:
        """Stop the run promptly, from any thread; what was streamed is kept."""
        self._cancel.set()
        self.ctx.cancel.set()
        handle = self._handle
        if handle is not None:
            handle.cancel()

    def _emit(self, event: Event) -> None:
        self._sink(event)

    # --- the loop -------------------------------------------------------------------

    def _history_budget(self) -> int:
        try:
            context = self.engine.context_length
        except Exception:  # an engine that cannot say yet: the default share
            context = None
        return history_budget(context)

    def run(self) -> RunFinished:
        self._emit(RunStarted(self.run_id, self.question, self.options.mode))
        if self.left_out and self.past_runs:
            kept = len(self.past_runs) - self.left_out
            first, last = self.past_runs[0].question, self.past_runs[self.left_out - 1].question
            which = f"“{_short(first)}”" + (f" to “{_short(last)}”" if self.left_out > 1 else "")
            self._notice(
                "history_trimmed",
                f"The {self.left_out} oldest questions of this notebook ({which}) do not "
                f"fit the model's context and are left out; the {kept} latest are kept. "
                "Pages they read can still be found with a search of the saved pages.",
            )
        answer = ""
        try:
            answer = self._loop()
            reason, error = "answered", None
        except _Stop as stop:
            reason, error = stop.reason, stop.error
            answer = self._last_answer
        except AppError as exc:
            reason, error, answer = "error", exc.message, self._last_answer
        except Exception as exc:  # a bug must still end the run with its events
            log.exception("research run failed")
            reason, error, answer = "error", f"The run failed: {exc}", self._last_answer
        return self._finish(reason, answer, error)

    _last_answer = ""

    def _loop(self) -> str:
        empty_retries = 0
        challenged = False
        previous_raw: str | None = None
        while True:
            self._check_cancel()
            if self.rounds >= self.options.max_rounds:
                self._notice(
                    "round_limit", f"Reached the limit of {self.options.max_rounds} rounds."
                )
                return self._answer_now()
            if not self._fit_context():
                return self._answer_now()
            turn = self._generate()
            self.rounds += 1
            raw = turn.raw
            if not turn.calls and not turn.answer:
                if turn.finish == "length" and raw.strip():
                    # cut off mid-reasoning: keep what it thought, ask it to conclude
                    self._notice("cut_off", "The model ran out of tokens before answering.")
                    self.messages.append({"role": "assistant", "content": raw})
                    self.messages.append({"role": "user", "content": prompts.CONCLUDE})
                    continue
                if empty_retries < self.options.empty_retries:
                    empty_retries += 1
                    self._notice(
                        "empty_turn", "The model gave no answer and called no tool; asking again."
                    )
                    continue
                if self.searches or self.visits:
                    return self._answer_now()
                raise _Stop("error", "The model produced no answer, even after retrying.")
            empty_retries = 0
            if raw == previous_raw and len(raw) > REPEAT_MIN_CHARS:
                self._notice("repeated_turn", "The model repeated its previous turn.")
                return self._answer_now()
            previous_raw = raw
            self._last_answer = turn.answer
            self.messages.append({"role": "assistant", "content": raw})

            if not turn.calls:
                unsearched = self.searches == 0 and self.visits == 0
                if unsearched and self.options.challenge_unsearched and not challenged:
                    challenged = True
                    self._notice(
                        "challenge",
                        "The answer came without any search; asking the model to verify it.",
                    )
                    self.messages.append({"role": "user", "content": prompts.CHALLENGE})
                    continue
                return turn.answer
            self._run_tools(turn.calls)

    def _check_cancel(self) -> None:
        if self._cancel.is_set():
            raise _Stop("cancelled")

    def _notice(self, kind: str, message: str) -> None:
        self._emit(Notice(self.run_id, kind, message))

    def _answer_now(self) -> str:
        """Ask for a final answer with what the run has; the run ends as ``budget``."""
        self.messages.append({"role": "user", "content": prompts.ANSWER_NOW})
        if self._fit_context():
            turn = self._generate()
            self.rounds += 1
            self.messages.append({"role": "assistant", "content": turn.raw})
            self._last_answer = turn.answer
        else:
            self._notice("context_full", "The conversation no longer fits the context.")
        raise _Stop("budget")

    # --- generation -------------------------------------------------------------------

    def _request(self) -> GenerationRequest:
        return GenerationRequest(
            self.conversation_id,
            [dict(m) for m in self.messages],
            tools=self.schemas,
            sampling=self.options.sampling,
            max_tokens=self.options.max_tokens,
            # a turn without a tool call may still be retried or challenged: the run
            # tells the engine when it is over (``end_run`` in ``_finish``)
            run_ends_on_answer=False,
        )

    def _generate(self) -> _Turn:
        self._check_cancel()
        turn = _Turn()
        handle = self.engine.generate(self._request())
        self._handle = handle
        if self._cancel.is_set():
            handle.cancel()
        answer_parts: list[str] = []
        cancelled_at: float | None = None
        while True:
            event = handle.poll(POLL_SECONDS)
            if event is None:
                if self._cancel.is_set():
                    cancelled_at = cancelled_at or time.monotonic()
                    if time.monotonic() - cancelled_at > CANCEL_GRACE:
                        self._handle = None
                        raise _Stop("cancelled")  # the engine did not confirm; stop anyway
                continue
            if isinstance(event, ReasoningDelta):
                self._emit(Reasoning(self.run_id, event.text))
            elif isinstance(event, AnswerDelta):
                answer_parts.append(event.text)
                self._emit(Answer(self.run_id, event.text))
            elif isinstance(event, ToolCallText):
                self._tool_call_text(turn, event)
            elif isinstance(event, PrefillProgress):
                self._emit(PromptProgress(self.run_id, event.done, event.total))
            elif isinstance(event, GenerationStats):
                turn.stats = event
                self._stats(event)
            elif isinstance(event, GenerationDone):
                turn.raw, turn.finish, turn.error = event.raw_text, event.finish_reason, event.error
                break
        self._handle = None
        turn.answer = "".join(answer_parts).strip()
        if turn.finish == "cancelled" or self._cancel.is_set():
            self._last_answer = turn.answer or self._last_answer
            raise _Stop("cancelled")
        if turn.finish == "error":
            raise _Stop("error", turn.error or "The model failed.")
        return turn

    def _tool_call_text(self, turn: _Turn, event: ToolCallText) -> None:
        call = parse_tool_call(event.text, self._parameters)
        if not event.complete and call.error is not None:
            call = ParsedCall(call.name, call.arguments, "the tool call was cut off.", call.raw)
        call_id = f"call_{self.rounds + 1}_{len(turn.calls)}"
        turn.calls.append((call_id, call))
        arguments = call.arguments if call.name else None
        self._emit(ToolCall(self.run_id, call_id, call.name or "?", arguments, event.text))

    def _stats(self, s: GenerationStats) -> None:
        totals = self._totals
        for i, value in enumerate(
            (s.prompt_tokens, s.reused_tokens, s.prefilled_tokens, s.generated_tokens)
        ):
            totals[i] += value
        self._emit(
            Stats(
                self.run_id,
                self.rounds + 1,
                s.prompt_tokens,
                s.reused_tokens,
                s.prefilled_tokens,
                s.generated_tokens,
                s.prefill_tps,
                s.decode_tps,
                s.time_to_first_token,
                totals[0],
                totals[1],
                totals[2],
                totals[3],
                s.peak_memory_bytes,
            )
        )

    # --- context budget ---------------------------------------------------------------

    def _fit_context(self) -> bool:
        """Make the next prompt fit, shortening tool results if needed: older rounds first
        (oldest first), then, as a last resort, the latest round's (largest first)."""
        limit = self.engine.context_length
        if limit is None:
            return True
        reserve = min(self.options.max_tokens, limit // 2)

        def fits() -> bool:
            count = self.engine.count_prompt_tokens(self._request())
            return count is None or count + reserve <= limit

        if fits():
            return True
        last_assistant = max(
            (i for i, m in enumerate(self.messages) if m["role"] == "assistant"), default=-1
        )
        candidates = [
            i
            for i, m in enumerate(self.messages)
            if i >= self._first_tool_message and m["role"] == "tool" and i not in self._shortened
        ]
        older = [i for i in candidates if i < last_assistant]
        latest = sorted(
            (i for i in candidates if i > last_assistant),
            key=lambda i: -len(str(self.messages[i].get("content") or "")),
        )
        for i in older + latest:
            content = str(self.messages[i].get("content") or "")
            if len(content) <= SHORTENED_CHARS:
                continue
            self.messages[i]["content"] = content[:SHORTENED_CHARS] + prompts.SHORTENED_NOTE
            self._shortened.add(i)
            self._notice("shortened", "Shortened a tool result to fit the context.")
            if fits():
                return True
        return False

    # --- tools ----------------------------------------------------------------------

    def _run_tools(self, calls: list[tuple[str, ParsedCall]]) -> None:
        """Run a turn's calls concurrently; report and append the results in call order.

        A call identical to an earlier successful one is answered from that result; the
        same call twice in one turn runs once."""
        pool = ThreadPoolExecutor(max_workers=self.options.max_parallel_tools)
        running: dict[str, Future[ToolOutput]] = {}
        plan: list[tuple[str, ParsedCall, ToolOutput | Future[ToolOutput], bool]] = []
        for call_id, call in calls:
            if call.error is not None:
                plan.append((call_id, call, ToolOutput.failure("bad_call", call.error), False))
            elif call.key in self._done_calls:
                plan.append((call_id, call, self._done_calls[call.key], True))
            elif call.key in running:
                plan.append((call_id, call, running[call.key], True))
            else:
                self.searches += call.name == "web_search"
                self.visits += call.name == "web_visit"
                running[call.key] = pool.submit(self._run_one, call)
                plan.append((call_id, call, running[call.key], False))
        try:
            while not all(f.done() for f in running.values()):
                if self._cancel.is_set():
                    pool.shutdown(wait=False, cancel_futures=True)
                    self._close_cancelled(plan)
                    raise _Stop("cancelled")
                wait(list(running.values()), timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
        finally:
            pool.shutdown(wait=False)
        for call_id, call, source, reused in plan:
            output = source.result() if isinstance(source, Future) else source
            if output.ok and not reused:
                self._done_calls[call.key] = output
            self._emit(
                ToolResult(
                    self.run_id,
                    call_id,
                    call.name or "?",
                    output.ok,
                    output.text,
                    output.error,
                    output.error_kind,
                    reused,
                    dict(output.data),
                )
            )
            self._register_sources(output)
            self._append_tool_message(call_id, call, output.text)
        self._check_cancel()

    def _append_tool_message(self, call_id: str, call: ParsedCall, text: str) -> None:
        self.messages.append(
            {
                "role": "tool",
                "content": text,
                "tool_call_id": call_id,
                "name": call.name or "unknown",
            }
        )

    def _close_cancelled(self, plan: list[tuple[str, ParsedCall, Any, bool]]) -> None:
        """Answer every call of the interrupted turn, so the conversation can continue."""
        for call_id, call, _, _ in plan:
            self._append_tool_message(call_id, call, "Error: cancelled by the user.")

    def _run_one(self, call: ParsedCall) -> ToolOutput:
        tool = self.tools[call.name]
        assert call.arguments is not None
        try:
            return tool.run(call.arguments, self.ctx)
        except Exception as exc:  # a tool bug must not end the run
            what = {"web_search": "The search", "web_visit": "The page visit"}.get(
                call.name or "", "The tool"
            )
            detail = str(exc) or type(exc).__name__
            return ToolOutput.failure(
                "tool_error",
                f"{what} stopped on an unexpected problem: {detail.rstrip('.')}.",
                model_message=f"{call.name} failed: {detail}",
            )

    def _register_sources(self, output: ToolOutput) -> None:
        provenance = getattr(self.ctx, "provenance", None)
        if isinstance(provenance, Provenance):
            results = [r.url for r in output.sources if r.kind != "page"]
            provenance.see(results, SEARCH_RESULT)
            # any URL the tool's text showed the model (results' snippets, a page's links)
            provenance.see_text(output.text, SEARCH_RESULT if results else PAGE_LINK)
        for ref in output.sources:
            aliases: tuple[str, ...] = ()
            if ref.kind == "page" and output.data.get("url"):
                aliases = (str(output.data["url"]),)
            entry, changed = self.sources.add(ref.url, ref.title, ref.kind, aliases)
            if ref.kind == "page" and output.ok:
                entry.keep_read_text(output.text)  # what the model saw, not the full page
            if changed:
                self._emit(Source(self.run_id, entry.n, entry.url, entry.title, entry.kind))

    # --- the end --------------------------------------------------------------------

    def _finish(self, reason: str, answer: str, error: str | None) -> RunFinished:
        if reason in ("answered", "budget") and answer.strip():
            pages = [(e.title, e.url) for e in self.sources.entries if e.kind == "page"]
            entry = PastRun(self.question, self.options.mode, compact_answer(answer, pages))
            self.history_entry = entry
        next_history = None
        if self.past_runs is not None:
            # the cache is rewritten into exactly what the next question starts with
            runs = [*self.past_runs, *([self.history_entry] if self.history_entry else [])]
            next_history = build_history(self.system_prompt, runs, self._history_budget()).messages
        try:
            self.engine.end_run(self.conversation_id, next_history)
        except Exception:  # preparing the cache for a follow-up is an optimisation
            log.exception("the engine could not prepare the conversation for a follow-up")
        boxed = extract_boxed(answer) if answer else None
        finished = RunFinished(
            self.run_id,
            reason,
            answer,
            boxed,
            error,
            self.sources.citations(cited_urls(answer), answer),
            self.rounds,
            self.searches,
            self.visits,
        )
        self.finished = finished
        self._emit(finished)
        return finished

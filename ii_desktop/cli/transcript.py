"""The readable transcript of a research run in a terminal (``ask`` without ``--json``)."""

from __future__ import annotations

from typing import TextIO

from ii_desktop.agent.events import (
    Answer,
    Notice,
    Reasoning,
    RunFinished,
    Source,
    ToolCall,
    ToolResult,
)
from ii_desktop.core.events import Event
from ii_desktop.core.text import plural, printable
from ii_desktop.notebooks.privacy import scrub_text

DIM, BOLD, RESET = "\033[2m", "\033[1m", "\033[0m"


class Transcript:
    """Readable output: reasoning dimmed, a line per tool call, the answer, the sources.

    Everything written goes through ``printable``: titles, URLs, errors and the model's
    own words can carry escape codes (page titles are chosen by whoever wrote the page),
    and only this class's styles may reach the terminal. Error texts are also scrubbed
    of credentials, since a server may echo the key it was sent.
    """

    def __init__(self, out: TextIO, color: bool) -> None:
        self.out = out
        self.color = color
        self.calls: dict[str, ToolCall] = {}
        self.sources: dict[int, Source] = {}
        self.kind = ""
        self.at_line_start = True
        self.streamed_answer = ""
        self.drafts = 0  # answers the run went on from (after a notice or a tool call)
        self._pending = ""  # answer text held back until its citations are whole

    def _style(self, text: str, style: str) -> str:
        return f"{style}{text}{RESET}" if self.color else text

    def _write(self, text: str, style: str = "") -> None:
        # each control character is dropped on its own, so a sequence split across
        # streamed chunks cannot form either
        text = printable(text)
        if text:
            self.out.write(self._style(text, style) if style else text)
            self.at_line_start = text.endswith("\n")

    def _block(self, kind: str) -> None:
        """Start a new block on its own line when the kind of output changes."""
        if kind != self.kind:
            self._flush_answer()
            if not self.at_line_start:
                self._write("\n")
            if self.kind == "answer" and kind in ("notice", "tool", "reasoning"):
                self.drafts += 1
                self._write("(a draft: the run goes on)\n", DIM)
            if self.kind and kind in ("reasoning", "answer"):
                self._write("\n")
            if kind == "answer":
                self._write("Revised answer\n" if self.drafts else "Answer\n", BOLD)
                self.streamed_answer = ""
            self.kind = kind

    def __call__(self, event: Event) -> None:
        if isinstance(event, Reasoning):
            self._block("reasoning")
            self._write(event.text.lstrip("\n") if self.at_line_start else event.text, DIM)
        elif isinstance(event, Answer):
            self._block("answer")
            self.streamed_answer += event.text
            self._answer_text(event.text)
        elif isinstance(event, ToolCall):
            self.calls[event.call_id] = event
        elif isinstance(event, ToolResult):
            self._block("tool")
            self._write(self._tool_line(event) + "\n")
        elif isinstance(event, Source):
            self.sources[event.n] = event
        elif isinstance(event, Notice):
            self._block("notice")
            self._write(f"! {scrub_text(event.message)}\n", DIM)
        elif isinstance(event, RunFinished):
            self._finish(event)
        self.out.flush()

    def _tool_line(self, event: ToolResult) -> str:
        call = self.calls.get(event.call_id)
        args = call.arguments if call and call.arguments else {}
        target = str(args.get("query") or args.get("url") or "")
        if not event.ok:
            return f"→ {event.name} {target} … failed: {scrub_text(event.error or '')}"
        outcome = "reused earlier result" if event.reused else "ok"
        if event.data.get("from_notebook"):  # "from your notebook, read 1 Dec 2026"
            outcome += f", {event.data['from_notebook']}"
        if event.name == "web_search":
            outcome += f", {plural(len(event.data.get('results', [])), 'result')}"
            if event.data.get("provider"):
                outcome += f" from {event.data['provider']}"
        return f"→ {event.name} {target} … {outcome}"

    def _answer_text(self, text: str) -> None:
        """Stream the answer with each citation as its source's number, as ``notebook
        show`` and the exports have it: text is written up to the last space outside
        brackets, so a citation is never numbered half-received."""
        self._pending += text
        depth = 0
        cut = 0
        for i, ch in enumerate(self._pending):
            if ch in "[(":
                depth += 1
            elif ch in "])":
                depth = max(0, depth - 1)
            elif ch.isspace() and depth == 0:
                cut = i + 1
        if cut:
            self._write(self._numbered(self._pending[:cut]))
            self._pending = self._pending[cut:]

    def _flush_answer(self) -> None:
        if self._pending:
            text, self._pending = self._pending, ""
            self._write(self._numbered(text))

    def _numbered(self, text: str) -> str:
        if not self.sources:
            return text
        from ii_desktop.research.citations import Numbered, number_citations

        listed = [Numbered(n, s.url, s.title) for n, s in self.sources.items()]
        return number_citations(text, listed, "text")

    def _finish(self, event: RunFinished) -> None:
        self._flush_answer()
        if not self.at_line_start:
            self._write("\n")
        if event.reason == "error":
            self._write(f"\nRun failed: {scrub_text(event.error or '')}\n")
        elif event.reason == "cancelled":
            self._write("\nRun cancelled.\n")
        if event.answer and event.answer.strip() != self.streamed_answer.strip():
            self._write("\n")
            self._write("Final answer\n" if self.drafts else "Answer\n", BOLD)
            self._write(self._numbered(event.answer) + "\n")
        if event.boxed is not None:
            self._write(f"\nShort answer: {event.boxed}\n")
        if event.reason == "budget":
            self._write("\n(The run hit its budget; this is the best answer it could give.)\n")
        if self.sources:
            self._write("\n")
            self._write("Sources\n", BOLD)
            for n in sorted(self.sources):
                s = self.sources[n]
                mark = " (read)" if s.kind == "page" else ""
                self._write(f"[{n}] {s.title or s.url}{mark} — {s.url}\n")
        unverified = [c["url"] for c in event.citations if not c["verified"]]
        if unverified:
            self._write("\nCited but never read (unverified):\n")
            for url in unverified:
                self._write(f"  {url}\n")

"""One question and everything its run produced, live or from the notebook.

A card with: the question; a "Thinking" block that streams reasoning as plain text,
open while the model thinks and folded once the answer starts (a preference); the
tool timeline (each search and visit, failed and reused calls marked); the answer,
rendered as Markdown while it streams, with ``[n]`` citations that reveal their
source; the numbered sources (read, or only seen in results); a statistics line.

Events arrive through ``apply``; text is buffered and drawn by a 40 ms timer, so a
fast stream costs one small update per tick. Raw ``<think>``/``<tool_call>`` text never
shows: the engine splits it out before it becomes an event.
"""

from __future__ import annotations

import html
import time
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QCursor, QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

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
from ii_desktop.core.events import Event
from ii_desktop.research.citations import link_citations, source_index
from ii_desktop.ui import theme
from ii_desktop.ui.markdown_stream import GrowingBrowser, MarkdownStream, PlainStream

FLUSH_MS = 40
PROMPT_PROGRESS_MIN_TOKENS = 1024  # shorter prompts are read too fast to report
MODE_LABELS = {"normal": "Answer", "short": "Short answer", "report": "Report"}


def domain(url: str) -> str:
    host = urlsplit(url).hostname or url
    return host[4:] if host.startswith("www.") else host


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _thousands(n: int) -> str:
    return f"{n:,}"


class ToolRow(QLabel):
    """One tool call in the timeline: what it asked, then how it went."""

    def __init__(self, name: str, target: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.target = target
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.state = "running"
        self.detail = "…"
        self.render()

    def finish(self, ok: bool, detail: str, reused: bool) -> None:
        self.state = "reused" if reused and ok else "ok" if ok else "failed"
        self.detail = detail
        self.render()

    def render(self) -> None:
        c = theme.colors()
        verb = (
            "Search"
            if self.name == "web_search"
            else "Read"
            if self.name == "web_visit"
            else self.name
        )
        color = {"running": c.muted, "ok": c.ok, "reused": c.muted, "failed": c.error}[self.state]
        mark = {"running": "○", "ok": "●", "reused": "↺", "failed": "✕"}[self.state]
        target = html.escape(self.target if len(self.target) <= 90 else self.target[:89] + "…")
        self.setText(
            f"<span style='color:{color}'>{mark}</span>&nbsp; "
            f"<span style='color:{c.muted}'>{verb}</span>&nbsp; {target}"
            f"<span style='color:{c.muted}'> — {html.escape(self.detail)}</span>"
        )
        self.setAccessibleName(f"{verb} {self.target}: {self.detail}")


class RunView(QFrame):
    """See the module docstring.

    Signals:
        source_opened(dict): the user asked to read a source (``url``, ``title``, and the
            page ``text``/``markdown`` when this view saw the visit).
        regenerate_requested(str, str): question and mode, to ask again.
        edit_requested(str, str): question and mode, to edit in the composer.
    """

    source_opened = Signal(dict)
    regenerate_requested = Signal(str, str)
    edit_requested = Signal(str, str)

    def __init__(
        self,
        question: str,
        mode: str = "normal",
        fold_reasoning: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)
        self.question = question
        self.mode = mode
        self.fold_reasoning = fold_reasoning
        self.run_id = ""
        self.finished: RunFinished | None = None
        self._rows: dict[str, ToolRow] = {}
        self._sources: dict[int, Source] = {}
        self._pages: dict[str, dict[str, Any]] = {}  # url -> what the visit gave
        self._read_urls: set[str] = set()
        self._pending_reasoning: list[str] = []
        self._pending_answer: list[str] = []
        self._answer_started = False
        self._reasoning_started_at: float | None = None
        self._reasoning_seconds: float | None = None
        self._user_toggled = False
        self._stats: Stats | None = None
        self._streamed_links: dict[str, tuple[int, bool]] | None = None
        self._label_before_reading = ""  # the working label while a prompt is read
        self._started = time.monotonic()
        self._build()
        self._timer = QTimer(self)
        self._timer.setInterval(FLUSH_MS)
        self._timer.timeout.connect(self.flush)

    # --- layout ---------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.setSpacing(8)

        top = QHBoxLayout()
        self.question_label = QLabel(self.question)
        self.question_label.setObjectName("question")
        self.question_label.setWordWrap(True)
        self.question_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.question_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.question_label.setFont(font)
        top.addWidget(self.question_label, 1)
        self.mode_label = QLabel(MODE_LABELS.get(self.mode, self.mode))
        self.mode_label.setObjectName("muted")
        top.addWidget(self.mode_label, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)

        self.thinking_button = QToolButton()
        self.thinking_button.setCheckable(True)
        self.thinking_button.setChecked(True)
        self.thinking_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.thinking_button.setAccessibleName("Show or hide the model's reasoning")
        self.thinking_button.toggled.connect(self._toggle_reasoning)
        self.thinking_button.hide()
        layout.addWidget(self.thinking_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.reasoning_view = GrowingBrowser()
        self.reasoning_view.setObjectName("reasoning")
        self.reasoning_view.setAccessibleName("Reasoning")
        self.reasoning_view.hide()
        self.reasoning = PlainStream(self.reasoning_view)
        layout.addWidget(self.reasoning_view)

        self.timeline = QWidget()
        self.timeline_layout = QVBoxLayout(self.timeline)
        self.timeline_layout.setContentsMargins(2, 0, 0, 0)
        self.timeline_layout.setSpacing(3)
        self.timeline.hide()
        layout.addWidget(self.timeline)

        self.answer_view = GrowingBrowser()
        self.answer_view.setAccessibleName("Answer")
        self.answer_view.anchorClicked.connect(self._link_clicked)
        self.answer_view.highlighted.connect(self._hover_link)
        self.answer = MarkdownStream(self.answer_view, self._link_citations)
        theme.apply_link_color(self.answer_view)
        self.answer_view.hide()
        layout.addWidget(self.answer_view)

        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.hide()
        layout.addWidget(self.status_label)
        self.working_label = QLabel("Researching…")
        self.working_label.setObjectName("muted")
        self.working_label.setAccessibleName("Research in progress")
        layout.addWidget(self.working_label)

        self.sources_label = QLabel()
        self.sources_label.setWordWrap(True)
        self.sources_label.setTextFormat(Qt.TextFormat.RichText)
        self.sources_label.setOpenExternalLinks(False)
        self.sources_label.linkActivated.connect(self._source_link)
        self.sources_label.setAccessibleName("Sources")
        self.sources_label.hide()
        layout.addWidget(self.sources_label)

        bottom = QHBoxLayout()
        self.stats_label = QLabel()
        self.stats_label.setObjectName("stats")
        bottom.addWidget(self.stats_label, 1)
        self.copy_button = self._action("Copy", "Copy the answer", self.copy_answer)
        self.edit_button = self._action(
            "Edit",
            "Edit the question and ask again",
            lambda: self.edit_requested.emit(self.question, self.mode),
        )
        self.regenerate_button = self._action(
            "Ask again",
            "Research the same question again",
            lambda: self.regenerate_requested.emit(self.question, self.mode),
        )
        for button in (self.copy_button, self.edit_button, self.regenerate_button):
            bottom.addWidget(button)
            button.setEnabled(False)
        layout.addLayout(bottom)
        self._highlighted: int | None = None
        self._passage_for: int | None = None
        self._restyle_thinking()

    def _action(self, text: str, tip: str, slot: Any) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleName(tip)
        button.clicked.connect(slot)
        return button

    # --- events ---------------------------------------------------------------------

    def apply(self, event: Event, live: bool = True) -> None:
        """Show one research event; ``live`` buffers text for the timer (else at once)."""
        if isinstance(event, Reasoning):
            if self._reasoning_started_at is None:
                self._reasoning_started_at = time.monotonic()
            self._pending_reasoning.append(event.text)
        elif isinstance(event, Answer):
            self._pending_answer.append(event.text)
        elif isinstance(event, ToolCall):
            self.flush()
            self._end_intermediate_text()
            args = event.arguments or {}
            target = str(args.get("query") or args.get("url") or event.raw[:80] or "")
            row = ToolRow(event.name, target)
            self._rows[event.call_id] = row
            doing = "Searching" if event.name == "web_search" else "Reading a page"
            self.working_label.setText(f"{doing}…")
            self.timeline_layout.addWidget(row)
            self.timeline.show()
        elif isinstance(event, ToolResult):
            self._tool_result(event)
            self.working_label.setText("Thinking about what it found…")
        elif isinstance(event, Source):
            self._sources[event.n] = event
            if event.kind == "page":
                self._read_urls.add(event.url)
            self._render_sources()
        elif isinstance(event, PromptProgress):
            if event.total >= PROMPT_PROGRESS_MIN_TOKENS and event.done < event.total:
                share = 100 * event.done // max(1, event.total)
                self._label_before_reading = self._label_before_reading or (
                    self.working_label.text()
                )
                self.working_label.setText(
                    f"Reading {_thousands(event.total)} tokens of context… {share}%"
                )
            return
        elif isinstance(event, Stats):
            self.flush()
            self._stats = event
            self._render_stats()
        elif isinstance(event, Notice):
            note = QLabel(html.escape(event.message))
            note.setObjectName("muted")
            note.setWordWrap(True)
            self.timeline_layout.addWidget(note)
            self.timeline.show()
        elif isinstance(event, RunStarted):
            self.run_id = event.run_id
        elif isinstance(event, RunFinished):
            self.flush()
            self._finish(event)
            return
        if live:
            if not self._timer.isActive():
                self._timer.start()
        else:
            self.flush()

    def flush(self) -> None:
        """Draw buffered text: reasoning appended as plain text, the answer's tail."""
        if self._label_before_reading and (self._pending_reasoning or self._pending_answer):
            self.working_label.setText(self._label_before_reading)  # the model is writing
            self._label_before_reading = ""
        if self._pending_reasoning:
            text = "".join(self._pending_reasoning)
            self._pending_reasoning = []
            self.reasoning.append(text)
            if self.reasoning.text:
                self.thinking_button.show()
                if not self._user_toggled and not self._answer_started:
                    self.thinking_button.setChecked(True)
                self._restyle_thinking()
        if self._pending_answer:
            piece = "".join(self._pending_answer)
            self._pending_answer = []
            if not self._answer_started and piece.strip():
                self._answer_started = True
                self._close_reasoning()
            if self._answer_started:
                self.working_label.setText("Writing the answer…")
                self.answer_view.show()
                self.answer.append(piece if self.answer.text else piece.lstrip())
        elif self.answer.behind:
            self.answer.catch_up()
        if not self._pending_answer and not self._pending_reasoning and not self.answer.behind:
            self._timer.stop()

    def _close_reasoning(self) -> None:
        if self._reasoning_started_at is not None and self._reasoning_seconds is None:
            self._reasoning_seconds = time.monotonic() - self._reasoning_started_at
        if self.fold_reasoning and not self._user_toggled:
            self.thinking_button.setChecked(False)
        self._restyle_thinking()

    def _end_intermediate_text(self) -> None:
        """Answer text written before a tool call was not the answer: keep it in the
        timeline and start the answer afresh."""
        said = self.answer.text.strip()
        if said:
            note = QLabel(html.escape(said if len(said) < 300 else said[:299] + "…"))
            note.setObjectName("muted")
            note.setWordWrap(True)
            self.timeline_layout.addWidget(note)
            self.answer.reset()
            self.answer_view.hide()
        self._answer_started = False

    def _tool_result(self, event: ToolResult) -> None:
        row = self._rows.get(event.call_id)
        if row is None:
            row = ToolRow(event.name, "")
            self._rows[event.call_id] = row
            self.timeline_layout.addWidget(row)
            self.timeline.show()
        data = event.data or {}
        if not event.ok:  # the plain message; the kind is for the log and --json
            detail = f"failed: {event.error}" if event.error else "failed"
        elif event.name == "web_search":
            results = data.get("results") or []
            provider = data.get("provider") or "search"
            detail = f"{_plural(len(results), 'result', 'results')} from {provider}"
        elif event.name == "web_visit":
            url = str(data.get("final_url") or data.get("url") or row.target)
            title = str(data.get("title") or "")
            detail = domain(url)
            if data.get("from_notebook"):  # "from your notebook, read 1 Dec 2026"
                detail = f"{detail} · {data['from_notebook']}"
            if title:
                row.target = title
            self._pages[url] = {
                "url": url,
                "title": title,
                "text": event.text,
                "markdown": data.get("markdown") or "",
            }
            if data.get("url"):
                self._pages[str(data["url"])] = self._pages[url]
        else:
            detail = "ok"
        if event.reused:
            detail += " (reused an identical earlier call)"
        row.finish(event.ok, detail, event.reused)

    def _finish(self, event: RunFinished) -> None:
        self.finished = event
        self.working_label.hide()
        self.run_id = event.run_id
        self._close_reasoning()
        links_before = self._streamed_links
        if event.answer and event.answer.strip() != self.answer.text.strip():
            self.answer.text = event.answer
            links_before = None
        if self.answer.text.strip():
            self.answer_view.show()
            # only when the citations now resolve differently is the whole answer redrawn
            self.answer.finish(changed_links=links_before != self._source_map())
            if self.answer.behind and not self._timer.isActive():
                self._timer.start()  # the rest of a burst is drawn over the next ticks
        c = theme.colors()
        messages = {
            "cancelled": ("Stopped. What was found so far is kept.", c.muted),
            "error": (f"The run failed: {event.error or 'unknown error'}", c.error),
            "budget": ("The run used its research budget; this is its best answer.", c.warn),
            "interrupted": ("Interrupted: the app closed while this was running.", c.warn),
        }
        if event.reason in messages:
            text, color = messages[event.reason]
            self.status_label.setText(f"<span style='color:{color}'>{html.escape(text)}</span>")
            self.status_label.show()
        if event.boxed:
            self.status_label.setText(
                f"<b>Short answer:</b> {html.escape(event.boxed)}"
                + (f"<br>{self.status_label.text()}" if self.status_label.isVisible() else "")
            )
            self.status_label.show()
        self._render_sources()
        self._render_stats()
        for button in (self.copy_button, self.edit_button, self.regenerate_button):
            button.setEnabled(True)
        self.copy_button.setEnabled(bool(self.answer.text.strip()))

    def show_interrupted(self, status: str, answer: str) -> None:
        """A saved run that never reported its end (the app was closed or crashed)."""
        self._finish(RunFinished(self.run_id, status, answer))

    # --- reasoning fold -------------------------------------------------------------

    def _toggle_reasoning(self, shown: bool) -> None:
        if self.thinking_button.isVisible() and self.sender() is self.thinking_button:
            self._user_toggled = self._user_toggled or self.isVisible()
        self.reasoning_view.setVisible(shown and bool(self.reasoning.text))
        self._restyle_thinking()

    def _restyle_thinking(self) -> None:
        arrow = "▾" if self.thinking_button.isChecked() else "▸"
        if self._reasoning_seconds is not None:
            label = f"Thought for {max(1, round(self._reasoning_seconds))} s"
        elif self.finished is not None or self._answer_started:
            label = "Reasoning"
        else:
            label = "Thinking…"
        self.thinking_button.setText(f"{arrow} {label}")

    # --- citations and sources --------------------------------------------------------

    def _source_map(self) -> dict[str, tuple[int, bool, bool]]:
        """``url -> (n, read, weak)``; support is known once the run has finished."""
        weak = {n for n, c in self._support().items() if c.get("support") == "weak"}
        out = {}
        for n, source in self._sources.items():
            read = source.kind == "page" or source.url in self._read_urls
            out[source.url] = (n, read, read and n in weak)
        if self.finished is not None:
            for c in self.finished.citations:
                n, url = c.get("n"), c.get("url")
                if isinstance(n, int) and isinstance(url, str):
                    out.setdefault(url, (n, bool(c.get("verified")), n in weak))
        return out

    def _support(self) -> dict[int, dict[str, Any]]:
        """The finished run's check of each citation, by source number (older runs
        recorded none)."""
        if self.finished is None:
            return {}
        found: dict[int, dict[str, Any]] = {}
        for c in self.finished.citations:
            n = c.get("n")
            if isinstance(n, int) and "support" in c:
                # a source cited twice: its best sentence decides
                if n not in found or c.get("support") == "strong":
                    found[n] = c
        return found

    def _hover_link(self, url: QUrl) -> None:
        """Hovering a citation shows the passage of its page that supports it."""
        if url.scheme() != "cite":
            QToolTip.hideText()
            return
        try:
            n = int(url.path())
        except ValueError:
            return
        text = self.citation_tip(n)
        if text:
            QToolTip.showText(QCursor.pos(), text, self.answer_view)

    def citation_tip(self, n: int) -> str:
        """What a citation's tooltip says: the source, and the passage or the warning."""
        source = self._sources.get(n)
        if source is None:
            return ""
        head = f"<b>[{n}] {html.escape(source.title or source.url)}</b>"
        check = self._support().get(n)
        read = source.kind == "page" or source.url in self._read_urls
        if not read:
            return head + "<br>Only seen in search results: the run never read this page."
        if check is None:
            return head
        passage = html.escape(str(check.get("passage") or ""))
        if check.get("support") == "weak":
            note = "The page may not say this: its words do not match the sentence's facts."
            return head + f"<br><i>{note}</i>" + (f"<br>“{passage}”" if passage else "")
        return head + (f"<br>“{passage}”" if passage else "")

    def _link_citations(self, markdown: str) -> str:
        links = self._source_map()
        if self.finished is None:
            if self._streamed_links is None:
                self._streamed_links = links
            elif self._streamed_links != links:
                self._streamed_links = {}  # they changed mid-answer: redraw at the end
        return link_citations(markdown, source_index(links))

    def _render_sources(self) -> None:
        if not self._sources:
            self.sources_label.hide()
            return
        c = theme.colors()
        cited = set()
        support = self._support()
        if self.finished is not None:
            cited = {x.get("n") for x in self.finished.citations}
        rows = []
        for n in sorted(self._sources):
            s = self._sources[n]
            read = s.kind == "page"
            if self.finished is not None and not read and n not in cited:
                continue  # results never read nor cited: summarised below
            title = html.escape(s.title or s.url)
            kind = "read" if read else "seen in results only"
            back = f"background:{c.highlight};" if self._highlighted == n else ""
            check = support.get(n)
            weak = (
                f" · <span style='color:{c.warn}'>* may not support what cites it</span>"
                if read and check and check.get("support") == "weak"
                else ""
            )
            passage = ""
            if self._passage_for == n and check and check.get("passage"):
                passage = (
                    f"<div style='color:{c.muted};margin:2px 0 4px 24px'>"
                    f"“{html.escape(str(check['passage']))}”</div>"
                )
            rows.append(
                f"<div style='{back}margin:1px 0'>"
                f"<span style='color:{c.muted}'>[{n}]</span>&nbsp; "
                f"<a href='read:{n}' style='color:{c.link};text-decoration:none'>{title}</a>"
                f"<span style='color:{c.muted}'> · {html.escape(domain(s.url))} · {kind}</span>"
                f"{weak} &nbsp;<a href='open:{n}' style='color:{c.muted}'>open ↗</a>{passage}</div>"
            )
        hidden = len(self._sources) - len(rows)
        more = (
            f"<div style='color:{c.muted}'>and "
            f"{_plural(hidden, 'more search result', 'more search results')}</div>"
            if hidden
            else ""
        )
        self.sources_label.setText(
            f"<div style='color:{c.muted};font-weight:600;margin-top:4px'>Sources</div>"
            + "".join(rows)
            + more
        )
        self.sources_label.show()

    def _link_clicked(self, url: QUrl) -> None:
        if url.scheme() == "cite":
            try:
                self.reveal_source(int(url.path()))
            except ValueError:
                pass
        elif url.scheme() in ("http", "https"):
            QDesktopServices.openUrl(url)

    def reveal_source(self, n: int) -> None:
        """Highlight source ``n`` (a citation was clicked)."""
        if n not in self._sources:
            return
        self._highlighted = n
        # its supporting passage stays under the source until another citation is chosen
        self._passage_for = None if self._passage_for == n else n
        self._render_sources()
        QTimer.singleShot(1800, self._clear_highlight)

    def _clear_highlight(self) -> None:
        self._highlighted = None
        self._render_sources()

    def _source_link(self, link: str) -> None:
        kind, _, number = link.partition(":")
        try:
            source = self._sources[int(number)]
        except (ValueError, KeyError):
            return
        if kind == "open":
            QDesktopServices.openUrl(QUrl(source.url))
        else:
            page = dict(self._pages.get(source.url) or {"url": source.url})
            page.setdefault("title", source.title)
            self.source_opened.emit(page)

    # --- stats and actions ------------------------------------------------------------

    def _render_stats(self) -> None:
        s = self._stats
        parts = []
        if s is not None:
            parts.append(f"{_thousands(s.total_generated_tokens)} tokens")
            if s.decode_tps:
                parts.append(f"{s.decode_tps:.1f} tok/s")
            if s.total_prompt_tokens:
                parts.append(
                    f"{_thousands(s.total_reused_tokens)} of {_thousands(s.total_prompt_tokens)} "
                    "prompt tokens from cache"
                )
        if self.finished is not None:
            tools = []
            if self.finished.searches:
                tools.append(_plural(self.finished.searches, "search", "searches"))
            if self.finished.visits:
                tools.append(_plural(self.finished.visits, "page read", "pages read"))
            parts.extend(tools)
            if s is not None:
                parts.append(f"{time.monotonic() - self._started:.1f} s")
        self.stats_label.setText(" · ".join(parts))

    def copy_answer(self) -> None:
        QGuiApplication.clipboard().setText(self.answer.text.strip())

    def restyle(self) -> None:
        """Colours changed (light/dark): redraw what carries inline colours."""
        theme.apply_link_color(self.answer_view)
        for row in self._rows.values():
            row.render()
        self._render_sources()
        if self.finished is not None:
            self.answer.render_all()

"""The fact-check window: a dropped page's text with each claim highlighted in its
verdict's colour, the claims with their verdicts and evidence, a summary on top, live
progress and cancel.

The check runs on a thread of its own (``FactCheck.run``) on the main window's research
session; its events reach this window through a queued signal on a relay object that
outlives the window, so a check still finishing after the window closed sends nowhere.
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QUrl, Signal, Slot
from PySide6.QtGui import (
    QBrush,
    QColor,
    QDesktopServices,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ii_desktop.core.events import Event
from ii_desktop.ui import theme

log = logging.getLogger(__name__)

VERDICT_WORDS = {
    "supported": "Supported",
    "refuted": "Refuted",
    "mixed": "Mixed",
    "not_enough_evidence": "Not enough evidence",
    "pending": "Not checked yet",
}
_relays: set[_Relay] = set()  # alive until their check's thread ends


class _Relay(QObject):
    event = Signal(object)
    finished = Signal(object, object)  # report, error


def verdict_color(verdict: str, c: theme.Colors | None = None) -> str:
    c = c or theme.colors()
    return {
        "supported": c.ok,
        "refuted": c.error,
        "mixed": c.warn,
        "not_enough_evidence": c.muted,
    }.get(verdict, c.border)


def _utf16(text: str, index: int) -> int:
    """A Python string index as a Qt text position (Qt counts UTF-16 code units)."""
    head = text[:index]
    return index + sum(1 for ch in head if ord(ch) > 0xFFFF)


class CheckWindow(QWidget):
    """One check. ``start(reader)`` makes the check's state with ``reader()`` (reading
    the page) on a worker thread, then checks it with ``make_check(state, on_event)``.
    ``notebook_changed`` names the check's notebook when it is made and when each
    verdict lands in it."""

    notebook_changed = Signal(str)

    def __init__(
        self,
        source_name: str,
        make_check: Callable[[Any, Callable[[Event], None]], Any],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(f"Fact check: {source_name}")
        self.resize(1100, 720)
        self._make_check = make_check
        self.check: Any = None
        self.report: dict[str, Any] | None = None
        self.text = ""
        self.claims: list[dict[str, Any]] = []
        self.results: dict[int, dict[str, Any]] = {}
        self._relay = _Relay()
        self._relay.event.connect(self._on_event, Qt.ConnectionType.QueuedConnection)
        self._relay.finished.connect(self._on_finished, Qt.ConnectionType.QueuedConnection)
        _relays.add(self._relay)

        self.title = QLabel(source_name)
        self.title.setObjectName("checkTitle")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.url = QLabel("")
        self.url.setObjectName("muted")
        self.url.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary = QLabel("Reading the page…")
        self.summary.setObjectName("checkSummary")
        self.summary.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy until the claims are known
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(6)
        self.stage = QLabel("")
        self.stage.setObjectName("muted")
        self.stage.setWordWrap(True)
        self.cancel_button = QPushButton("Stop")
        self.cancel_button.setToolTip("Stop the check; verdicts found so far are kept")
        self.cancel_button.clicked.connect(self.cancel)

        self.page = QTextBrowser()
        self.page.setAccessibleName("The checked page's text")
        self.page.setOpenLinks(False)
        self.claim_list = QTextBrowser()
        self.claim_list.setAccessibleName("Claims and verdicts")
        self.claim_list.setOpenLinks(False)
        self.claim_list.anchorClicked.connect(self._link)
        self.expanded: set[int] = set()  # claims whose evidence is shown
        self.checking: int | None = None

        head = QVBoxLayout()
        head.setSpacing(4)
        head.addWidget(self.title)
        head.addWidget(self.url)
        head.addSpacing(4)
        head.addWidget(self.summary)
        row = QHBoxLayout()
        row.addWidget(self.stage, stretch=1)
        row.addWidget(self.cancel_button)
        head.addLayout(row)
        head.addWidget(self.progress)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.page)
        split.addWidget(self.claim_list)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.addLayout(head)
        layout.addWidget(split, stretch=1)
        self.apply_theme()

    def apply_theme(self) -> None:
        c = theme.colors()
        self.setStyleSheet(
            theme.stylesheet(c)
            + f"""
QLabel#checkTitle {{ font-size: 17px; font-weight: 600; }}
QLabel#checkSummary {{ font-size: 13px; }}
QLabel#muted {{ color: {c.muted}; }}
QTextBrowser {{
    background: {c.surface}; border: 1px solid {c.border}; border-radius: 8px; padding: 10px;
    font-size: 14px;
}}
"""
        )

    # --- running --------------------------------------------------------------------

    def start(self, reader: Callable[[], Any]) -> None:
        relay = self._relay

        def work() -> None:
            report = None
            try:
                state = reader()
                relay.event.emit(("source", state))
                check = self._make_check(state, relay.event.emit)
                relay.event.emit(("check", check))
                report = check.run()
            except BaseException as exc:  # shown in the window, never a traceback
                relay.finished.emit(None, exc)
                return
            relay.finished.emit(report, None)

        self._thread = threading.Thread(target=work, name="ii-check", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        if self.check is not None:
            self.check.cancel()
            self.stage.setText("Stopping… the verdicts found so far are kept.")
            self.cancel_button.setEnabled(False)
        elif self.report is None:
            self._cancel_pending = True
            self.cancel_button.setEnabled(False)

    def closeEvent(self, event: Any) -> None:
        if self.report is None and self.check is not None:
            self.check.cancel()  # the thread ends on its own; its relay lives until then
        super().closeEvent(event)

    # --- events ---------------------------------------------------------------------

    @Slot(object)
    def _on_event(self, item: Any) -> None:
        from ii_desktop.factcheck.pipeline import CheckProgress, ClaimChecked

        try:
            if isinstance(item, tuple) and item[0] == "source":
                self._show_source(item[1])
            elif isinstance(item, tuple) and item[0] == "check":
                self.check = item[1]
                if getattr(self, "_cancel_pending", False):
                    self.check.cancel()
            elif isinstance(item, CheckProgress):
                self._progress(item)
            elif isinstance(item, ClaimChecked):
                self._landed(item.index - 1, item.result)
        except Exception:  # a display problem must not end the check
            log.exception("the check window could not show an event")

    def _show_source(self, state: Any) -> None:
        source = state.source
        self.title.setText(source.title or "Untitled page")
        self.setWindowTitle(f"Fact check: {source.title or 'Untitled page'}")
        self.url.setText(source.url or ("A file" if source.origin == "file" else "Pasted text"))
        self.text = source.text
        self.page.setPlainText(source.text)
        spacing = QTextBlockFormat()  # paragraphs apart, as on the page
        spacing.setBottomMargin(8)
        spacing.setLineHeight(125, QTextBlockFormat.LineHeightTypes.ProportionalHeight.value)
        whole = QTextCursor(self.page.document())
        whole.select(QTextCursor.SelectionType.Document)
        whole.mergeBlockFormat(spacing)
        self.notebook_id = state.notebook_id
        if state.notebook_id:
            self.notebook_changed.emit(state.notebook_id)
        self.summary.setText("Finding the claims on the page…")

    def _progress(self, event: Any) -> None:
        if event.stage == "extracting":
            self.stage.setText(f"Finding claims: part {event.index} of {event.total}")
        elif event.stage == "verifying":
            if not self.claims and self.check is not None:
                self._show_claims()
            self.progress.setRange(0, event.total)
            self.stage.setText(f"Checking claim {event.index} of {event.total}: {event.claim}")
            self._mark_checking(event.index - 1)

    def _show_claims(self) -> None:
        state = self.check.state
        self.claims = [c.to_dict() for c in state.claims or []]
        self.results = dict(state.results)
        self._render_claims()
        self._highlight_all()
        self._update_summary()

    def _render_claims(self) -> None:
        """The claims as cards: verdict, the claim (a link to its words on the page),
        and, when shown, the rationale and each piece of evidence."""
        c = theme.colors()
        cards = []
        for i, claim in enumerate(self.claims):
            result = self.results.get(i)
            verdict = result["verdict"] if result else "pending"
            word = "Checking…" if i == self.checking and not result else VERDICT_WORDS[verdict]
            color = verdict_color(verdict, c)
            parts = [
                f"<p style='margin:0'><span style='color:{color}; font-weight:600'>"
                f"● {word}</span></p>",
                f"<p style='margin:2px 0 0 0'><a href='claim:{i}' style='color:{c.text}; "
                f"text-decoration:none'>{html.escape(claim['claim'])}</a></p>",
            ]
            if result:
                count = len(result.get("evidence") or [])
                if i in self.expanded:
                    if result.get("rationale"):
                        parts.append(
                            f"<p style='margin:6px 0 0 0; color:{c.muted}'>"
                            f"{html.escape(result['rationale'])}</p>"
                        )
                    for evidence in result.get("evidence") or []:
                        url = html.escape(evidence["url"], quote=True)
                        site = QUrl(evidence["url"]).host().removeprefix("www.")
                        title = html.escape(
                            f"{evidence['title']} · {site}" if evidence["title"] else site
                        )
                        parts.append(
                            f"<p style='margin:6px 0 0 12px'>“{html.escape(evidence['quote'])}”"
                            f"<br><a href='{url}'>{title}</a></p>"
                        )
                    if result.get("note"):
                        parts.append(
                            f"<p style='margin:6px 0 0 0; color:{c.muted}'>"
                            f"{html.escape(result['note'])}</p>"
                        )
                    toggle = "Hide evidence"
                else:
                    toggle = f"Show evidence ({count})" if count else "Show why"
                parts.append(f"<p style='margin:4px 0 0 0'><a href='toggle:{i}'>{toggle}</a></p>")
            cards.append("".join(parts))
        separator = f"<hr style='border:0; color:{c.border}; background:{c.border}'>"
        bar = self.claim_list.verticalScrollBar()
        keep = bar.value()
        self.claim_list.setHtml(separator.join(cards) or "<p>No claims yet.</p>")
        bar.setValue(keep)

    def _link(self, url: QUrl) -> None:
        target = url.toString()
        if target.startswith("claim:"):
            self.select_claim(int(target.split(":", 1)[1]))
        elif target.startswith("toggle:"):
            index = int(target.split(":", 1)[1])
            self.expanded.symmetric_difference_update({index})
            self._render_claims()
        elif url.scheme() in ("http", "https"):
            QDesktopServices.openUrl(url)

    def _mark_checking(self, index: int) -> None:
        self.checking = index
        self._render_claims()

    def _landed(self, index: int, result: dict[str, Any]) -> None:
        if not self.claims and self.check is not None:
            self._show_claims()
        self.results[index] = result
        self._render_claims()
        self._highlight(index)
        self.progress.setValue(len(self.results))
        self._update_summary()
        if getattr(self, "notebook_id", None):
            self.notebook_changed.emit(self.notebook_id)

    def _highlight_all(self) -> None:
        for i in range(len(self.claims)):
            self._highlight(i)

    def _highlight(self, index: int) -> None:
        claim = self.claims[index]
        start, end = claim["span"]
        verdict = self.results.get(index, {}).get("verdict", "pending")
        color = QColor(verdict_color(verdict))
        fmt = QTextCharFormat()
        if verdict == "pending":
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.DotLine)
            fmt.setUnderlineColor(color)
        else:
            color.setAlpha(60)
            fmt.setBackground(QBrush(color))
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.NoUnderline)
        cursor = QTextCursor(self.page.document())
        cursor.setPosition(_utf16(self.text, start))
        cursor.setPosition(_utf16(self.text, end), QTextCursor.MoveMode.KeepAnchor)
        cursor.mergeCharFormat(fmt)

    def select_claim(self, index: int) -> None:
        """Select the claim's words on the page and scroll to them."""
        start, end = self.claims[index]["span"]
        cursor = QTextCursor(self.page.document())
        cursor.setPosition(_utf16(self.text, start))
        cursor.setPosition(_utf16(self.text, end), QTextCursor.MoveMode.KeepAnchor)
        self.page.setTextCursor(cursor)
        self.page.ensureCursorVisible()

    def _update_summary(self) -> None:
        total = len(self.claims)
        counts = {v: 0 for v in VERDICT_WORDS if v != "pending"}
        for result in self.results.values():
            counts[result["verdict"]] = counts.get(result["verdict"], 0) + 1
        parts = [
            f"<span style='color:{verdict_color(v)}'>●</span> {n} {VERDICT_WORDS[v].lower()}"
            for v, n in counts.items()
            if n
        ]
        checked = len(self.results)
        head = f"<b>{checked} of {total} claims checked</b>"
        self.summary.setText(head + ("&nbsp;&nbsp; " + " &nbsp; ".join(parts) if parts else ""))

    @Slot(object, object)
    def _on_finished(self, report: Any, error: BaseException | None) -> None:
        _relays.discard(self._relay)
        self.cancel_button.setText("Close")
        self.cancel_button.setEnabled(True)
        self.cancel_button.clicked.disconnect()
        self.cancel_button.clicked.connect(self.close)
        self.progress.hide()
        if error is not None:
            from ii_desktop.core.errors import AppError

            message = error.message if isinstance(error, AppError) else str(error)
            if not isinstance(error, AppError):
                log.error("the fact check failed: %r", error)
            self.summary.setText("The check could not run.")
            self.stage.setText(message)
            return
        self.report = report
        if not self.claims and self.check is not None:
            self._show_claims()
        self._update_summary()
        notes = " ".join(report.get("notes") or [])
        stopped = "Stopped. " if report.get("reason") == "cancelled" else "Done. "
        self.stage.setText(stopped + notes)

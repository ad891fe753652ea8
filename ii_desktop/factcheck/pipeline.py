"""A fact check: read a page, find its claims, check each against other sources.

Qt-free, on the same run layer as ``ask`` and the window: claims are found by the
session's engine (no tools), and each claim is checked by a research run recorded in the
check's notebook. The check's state (the page text, its claims, each verdict as it lands)
is kept in ``checks/ID.json`` in the data folder, written after every step, so a check
that was cancelled or killed continues where it stopped (``resume``).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ii_desktop.agent.events import RunFinished, ToolResult
from ii_desktop.agent.run import RunOptions
from ii_desktop.core.errors import AppError, UsageError
from ii_desktop.core.events import Event, event_type
from ii_desktop.core.files import write_atomically
from ii_desktop.core.settings import AppPaths
from ii_desktop.engine.request import GenerationRequest
from ii_desktop.factcheck.claims import (
    RETRY_PROMPT,
    Claim,
    PageText,
    chunks,
    extraction_prompt,
    left_out_note,
    parse_claims,
    select_claims,
)
from ii_desktop.factcheck.verify import VERDICTS, ReadPage, Verdict, read_verdict
from ii_desktop.research.session import RunRequest

if TYPE_CHECKING:
    from ii_desktop.research.session import ResearchSession

log = logging.getLogger(__name__)

DEFAULT_MAX_CLAIMS = 20
MAX_PAGE_CHARS = 400_000  # a longer text is checked in its first part (said in the report)
EXTRACT_MAX_TOKENS = 4096
VERIFY_MAX_ROUNDS = 16
CHARS_PER_TOKEN = 3  # a safe floor for English prose with this tokenizer
STATE_VERSION = 1
REPORT_KEYS = ("claim", "quote", "span", "verdict", "rationale", "evidence", "note", "run_id")


@event_type("check_progress")
@dataclass(frozen=True)
class CheckProgress(Event):
    """Where a check is: ``stage`` is ``reading``, ``extracting`` (``index`` of ``total``
    chunks), ``verifying`` (claim ``index`` of ``total``) or ``done``."""

    check_id: str
    stage: str
    index: int = 0
    total: int = 0
    claim: str = ""


@event_type("claim_checked")
@dataclass(frozen=True)
class ClaimChecked(Event):
    """One claim's verdict, as it lands (``result`` has the report's claim fields)."""

    check_id: str
    index: int
    total: int
    result: dict[str, Any] = field(default_factory=dict)


@dataclass
class PageInput:
    """What is checked: a web address, or text read from a file or stdin."""

    url: str
    title: str
    text: str
    origin: str  # "web", "file" or "text"


@dataclass
class CheckState:
    check_id: str
    notebook_id: str | None
    source: PageInput
    claims: list[Claim] | None = None  # None until found
    results: dict[int, dict[str, Any]] = field(default_factory=dict)
    extraction_note: str = ""
    truncated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "check_id": self.check_id,
            "notebook_id": self.notebook_id,
            "source": {
                "url": self.source.url,
                "title": self.source.title,
                "text": self.source.text,
                "origin": self.source.origin,
            },
            "claims": None if self.claims is None else [c.to_dict() for c in self.claims],
            "results": {str(k): v for k, v in self.results.items()},
            "extraction_note": self.extraction_note,
            "truncated": self.truncated,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckState:
        source = data["source"]
        claims = data.get("claims")
        return cls(
            check_id=str(data["check_id"]),
            notebook_id=data.get("notebook_id"),
            source=PageInput(
                str(source["url"]), str(source["title"]), str(source["text"]), str(source["origin"])
            ),
            claims=None
            if claims is None
            else [
                Claim(str(c["claim"]), str(c["quote"]), (int(c["span"][0]), int(c["span"][1])))
                for c in claims
            ],
            results={int(k): dict(v) for k, v in data.get("results", {}).items()},
            extraction_note=str(data.get("extraction_note") or ""),
            truncated=bool(data.get("truncated")),
        )


def checks_dir(paths: AppPaths) -> Path:
    return paths.data_dir / "checks"


def load_state(paths: AppPaths, check_id: str) -> CheckState:
    path = checks_dir(paths) / f"{check_id}.json"
    if not check_id.isalnum():
        raise UsageError(f"No fact check with the id {check_id!r}.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return CheckState.from_dict(data)
    except FileNotFoundError:
        raise UsageError(
            f"No fact check with the id {check_id}; `ii-desktop check URL` starts one."
        ) from None
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise UsageError(f"The saved fact check {path} cannot be read ({exc}).") from None


def summary(results: list[dict[str, Any]], found: int) -> dict[str, int]:
    counts = {verdict: 0 for verdict in VERDICTS}
    for result in results:
        counts[result["verdict"]] = counts.get(result["verdict"], 0) + 1
    return {"claims": found, "checked": len(results), **counts}


EventSink = Callable[[Event], None]


class FactCheck:
    """One check; ``run()`` blocks (call it off the GUI thread), ``cancel()`` works from
    any thread and keeps every verdict that landed.

    ``concurrency`` > 1 checks that many claims at once (for a remote engine; the local
    model runs one generation at a time, so there it only queues)."""

    def __init__(
        self,
        session: ResearchSession,
        state: CheckState,
        max_claims: int = DEFAULT_MAX_CLAIMS,
        concurrency: int = 1,
        on_event: EventSink | None = None,
        max_rounds: int = VERIFY_MAX_ROUNDS,
    ) -> None:
        if max_claims < 1:
            raise UsageError("--max-claims must be at least 1.")
        if concurrency < 1:
            raise UsageError("--concurrency must be at least 1.")
        self.session = session
        self.paths = session.paths
        self.state = state
        self.max_claims = max_claims
        self.concurrency = concurrency
        self.max_rounds = max_rounds
        self._sink = on_event or (lambda event: None)
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._active: list[Any] = []
        self._handle: Any = None

    @property
    def check_id(self) -> str:
        return self.state.check_id

    def cancel(self) -> None:
        self._cancel.set()
        with self._lock:
            active, handle = list(self._active), self._handle
        for run in active:
            run.cancel()
        if handle is not None:
            handle.cancel()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def _emit(self, event: Event) -> None:
        try:
            self._sink(event)
        except Exception:  # a listener's bug must not end the check
            log.exception("a fact-check listener failed")

    def save(self) -> None:
        folder = checks_dir(self.paths)
        folder.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.state.to_dict(), ensure_ascii=False)
        write_atomically(folder / f"{self.check_id}.json", text)

    # --- the check ------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        """The report (see ``report``); ``reason`` in it is ``done`` or ``cancelled``."""
        if self.state.claims is None:
            self.state.claims = self._extract()
            if not self.state.claims and not self.cancelled:
                self._drop_empty_notebook()
            self.save()
        claims = self.state.claims
        todo = [i for i in range(len(claims)) if i not in self.state.results]
        if todo and not self.cancelled:
            if self.concurrency == 1:
                for i in todo:
                    if self.cancelled:
                        break
                    self._verify(i)
            else:
                with ThreadPoolExecutor(self.concurrency, thread_name_prefix="check") as pool:
                    list(pool.map(self._verify, todo))
        self._emit(CheckProgress(self.check_id, "done", len(claims), len(claims)))
        return self.report()

    def _drop_empty_notebook(self) -> None:
        """A page with no claims leaves no empty "Fact check" notebook behind."""
        notebook_id, self.state.notebook_id = self.state.notebook_id, None
        if notebook_id is None:
            return
        from ii_desktop.notebooks import NotebookStore

        try:
            with NotebookStore.open(self.paths) as store:
                if store.run_count(notebook_id) == 0:
                    store.delete(notebook_id)
        except AppError as exc:
            log.warning("the empty fact-check notebook could not be removed: %s", exc)

    def _context_chars(self) -> int:
        try:
            context = int(self.session.engine.context_length or 0)
        except Exception:
            context = 0
        context = context or 32768
        room = context - EXTRACT_MAX_TOKENS - 600  # the answer and the prompt's own words
        return max(2000, min(24_000, room * CHARS_PER_TOKEN))

    def _extract(self) -> list[Claim]:
        source = self.state.source
        text = source.text
        if len(text) > MAX_PAGE_CHARS:
            text = text[:MAX_PAGE_CHARS]
            self.state.truncated = True
        pieces = chunks(text, self._context_chars())
        page = PageText(source.text)
        found: list[dict[str, str]] = []
        broken = 0
        for i, piece in enumerate(pieces):
            if self.cancelled:
                break
            self._emit(CheckProgress(self.check_id, "extracting", i + 1, len(pieces)))
            items, clean = self._ask_for_claims(piece, source.title, i, len(pieces))
            broken += not clean
            found.extend(items)
        notes = []
        if broken:
            notes.append(
                f"The model's list of claims was not valid JSON for {broken} of "
                f"{len(pieces)} parts of the page; the claims that could be read were kept."
            )
        left_out: dict[str, int] = {}
        claims = select_claims(found, page, self.max_claims, left_out)
        notes.append(left_out_note(left_out, self.max_claims))
        self.state.extraction_note = " ".join(n for n in notes if n)
        return claims

    def _ask_for_claims(
        self, piece: str, title: str, index: int, total: int
    ) -> tuple[list[dict[str, str]], bool]:
        messages: list[dict[str, Any]] = [
            {"role": "user", "content": extraction_prompt(piece, title, index, total)}
        ]
        best: list[dict[str, str]] = []
        for attempt in range(2):  # one retry after a broken answer
            raw = self._generate(messages)
            if raw is None:
                return best, False
            items, clean = parse_claims(raw)
            if clean:
                return items, True
            if len(items) > len(best):
                best = items
            if attempt == 0:
                messages = [
                    *messages,
                    {"role": "assistant", "content": raw.rsplit("</think>", 1)[-1].strip()},
                    {"role": "user", "content": RETRY_PROMPT},
                ]
        return best, False

    def _generate(self, messages: list[dict[str, Any]]) -> str | None:
        """The model's raw answer; None when it failed or the check was cancelled."""
        request = GenerationRequest(
            f"check-extract-{self.check_id}",
            messages,
            tools=None,
            max_tokens=EXTRACT_MAX_TOKENS,
            prewarm_history=False,
        )
        handle = self.session.engine.generate(request)
        with self._lock:
            self._handle = handle
        try:
            if self.cancelled:
                handle.cancel()
            done = handle.wait()
        finally:
            with self._lock:
                self._handle = None
        if done.finish_reason == "error":
            raise AppError(done.error or "The model failed while reading the page.")
        if done.finish_reason == "cancelled":
            return None
        return done.raw_text

    def _verify(self, index: int) -> None:
        if self.cancelled:
            return
        claims = self.state.claims or []
        claim = claims[index]
        source = self.state.source
        self._emit(CheckProgress(self.check_id, "verifying", index + 1, len(claims), claim.claim))
        from ii_desktop.factcheck.verify import verification_question

        pages: list[ReadPage] = []

        def on_event(event: Event) -> None:
            if isinstance(event, ToolResult) and event.name == "web_visit" and event.ok:
                data = event.data
                pages.append(
                    ReadPage(
                        str(data.get("url") or ""),
                        str(data.get("final_url") or data.get("url") or ""),
                        str(data.get("title") or ""),
                        str(data.get("full_text") or event.text),
                    )
                )
            self._emit(event)

        request = RunRequest(
            verification_question(claim.claim, source.url),
            RunOptions(mode="normal", max_rounds=self.max_rounds),
            notebook_id=self.state.notebook_id,
            independent=True,
            # one KV cache per lane: claims in a lane share the system and tools prefix
            conversation_id=f"check-{self.check_id}-{index % self.concurrency}",
        )
        active = self.session.start(request, on_event)
        with self._lock:
            self._active.append(active)
        try:
            if self.cancelled:
                active.cancel()
            finished = active.wait()
        finally:
            with self._lock:
                self._active.remove(active)
        if finished is None or finished.reason == "cancelled" or self.cancelled:
            return  # not saved: a resumed check asks again
        verdict = self._verdict(finished, claim, pages)
        result = {
            **claim.to_dict(),
            **verdict.to_dict(),
            "run_id": active.run_id,
            "searches": finished.searches,
            "visits": finished.visits,
        }
        with self._lock:
            self.state.results[index] = result
            try:
                self.save()
            except OSError as exc:
                log.warning("the fact check could not be saved: %s", exc)
        self._emit(ClaimChecked(self.check_id, index + 1, len(claims), result))

    def _verdict(self, finished: RunFinished, claim: Claim, pages: list[ReadPage]) -> Verdict:
        if finished.reason == "error":
            return Verdict(
                "not_enough_evidence",
                "",
                note=f"The check of this claim failed: {finished.error or 'unknown error'}",
            )
        return read_verdict(finished.answer, claim.claim, self.state.source.url, pages)

    def report(self) -> dict[str, Any]:
        """``{"url", "title", "claims": [...], "summary": {...}}`` plus the check's id,
        its notebook and notes; claims not yet checked are left out."""
        claims = self.state.claims or []
        results = [self.state.results[i] for i in range(len(claims)) if i in self.state.results]
        notes = [n for n in (self.state.extraction_note,) if n]
        if self.state.truncated:
            notes.append(
                f"Only the page's first {MAX_PAGE_CHARS:,} characters were read for claims."
            )
        if not claims:
            notes.append("No checkable factual claims were found on the page.")
        left = len(claims) - len(results)
        if left:
            notes.append(
                f"{left} of {len(claims)} claims are not checked yet; "
                f"`ii-desktop check --resume {self.check_id}` continues."
            )
        return {
            "type": "check_report",
            "check_id": self.check_id,
            "notebook_id": self.state.notebook_id,
            "url": self.state.source.url,
            "title": self.state.source.title,
            "reason": "cancelled" if self.cancelled or left else "done",
            "claims": [
                {
                    key: r.get(key)
                    for key in (
                        "claim",
                        "quote",
                        "span",
                        "verdict",
                        "rationale",
                        "evidence",
                        "note",
                        "run_id",
                    )
                    if key in r
                }
                for r in results
            ],
            "summary": summary(results, len(claims)),
            "notes": notes,
            "finished_at": time.time(),
        }


def new_check(paths: AppPaths, source: PageInput) -> CheckState:
    """A check of ``source``, with its notebook ("Fact check: TITLE", tagged
    fact-check) made now so each verdict is saved there as it lands."""
    from ii_desktop.notebooks import NotebookStore
    from ii_desktop.notebooks.store import new_id

    title = " ".join(f"Fact check: {source.title}".split())[:200]
    notebook_id: str | None = None
    try:
        with NotebookStore.open(paths.ensure()) as store:
            notebook = store.create(title, distinct=True)
            store.tag(notebook.id, ["fact-check"])
            notebook_id = notebook.id
    except AppError as exc:  # the check still runs; its verdicts are kept in its state
        log.warning("the fact check's notebook could not be made: %s", exc)
    return CheckState(notebook_id or new_id(), notebook_id, source)

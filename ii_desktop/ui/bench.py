"""``ii-desktop bench ui``: how the window holds up while a long answer streams.

A scripted 20,000-token research run (reasoning, a search and a page visit served by a
small server on 127.0.0.1, then a long Markdown answer) plays through the real window
offscreen as fast as the replay engine sends it. A 2 ms timer on the GUI thread records
how late it fires: those delays are the stalls a user would feel. Render time is
attributed to the answer's token count, so the cost of the first and the last thousand
tokens can be compared. The baseline renders the same events the naive way (one
``QTextBrowser.setMarkdown`` of the whole answer per chunk) in the same process; it is
stopped after ``BASELINE_TOKENS`` because it grows with the square of the answer.

Also measured: process start to first painted window (a child process), and opening
a notebook of 200 saved runs until the window has painted it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QElapsedTimer,
    QMessageLogContext,
    QObject,
    Qt,
    QTimer,
    QtMsgType,
    Signal,
    Slot,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication, QTextBrowser

from ii_desktop.agent.events import Answer, RunFinished
from ii_desktop.core.settings import AppPaths, EngineSettings, Settings, ToolSettings, save_settings
from ii_desktop.engine.replay import ReplayEngine
from ii_desktop.ui.markdown_stream import MARKDOWN

ANSWER_TOKENS = 20_000
BASELINE_TOKENS = 4_000
CHARS_PER_TOKEN = 4
TICK_MS = 2


def _answer(tokens: int) -> str:
    """A long Markdown answer: headings, paragraphs with citations, lists, a table."""
    parts = []
    n = 0
    section = 0
    while n * CHARS_PER_TOKEN < tokens * CHARS_PER_TOKEN:
        section += 1
        parts.append(f"## Section {section}: the river's course\n\n")
        parts.append(
            "The Seine rises at Source-Seine on the Langres plateau and flows north-west "
            "through Troyes, Paris and Rouen to the English Channel at Le Havre "
            "[PAGE]. Its basin covers about 78,650 square kilometres, and its flow at "
            "Paris averages some 310 cubic metres per second. " * 3 + "\n\n"
        )
        parts.append("- Length: 777 km\n- Source: Source-Seine\n- Mouth: Le Havre\n\n")
        parts.append("| Town | Distance |\n|---|---|\n| Troyes | 180 km |\n| Paris | 400 km |\n\n")
        n = sum(len(p) for p in parts) // CHARS_PER_TOKEN
    return "".join(parts)


def _turns(page_url: str) -> list[str]:
    search = (
        "<think>\nI should find the Seine's length and course first.\n</think>\n\n"
        '<tool_call>\n{"name": "web_search", "arguments": {"query": "Seine river course"}}\n'
        "</tool_call>"
    )
    visit = (
        "<think>\nThe first result looks authoritative; read it.\n</think>\n\n"
        '<tool_call>\n{"name": "web_visit", "arguments": {"url": "' + page_url + '"}}\n'
        "</tool_call>"
    )
    reasoning = "The page confirms the length and the course. " * 40
    answer = _answer(ANSWER_TOKENS).replace("[PAGE]", f"[{page_url}]")
    return [search, visit, f"<think>\n{reasoning}\n</think>\n\n{answer}"]


# a page to fact-check and the pages that confirm or contradict it (screenshots)
CHECK_PAGES = {
    "/article": "<html><head><title>Ten facts about the Seine</title></head><body><article>"
    "<h1>Ten facts about the Seine</h1>"
    "<p>The Seine is 777 kilometres long and flows through Paris on its way to the "
    "English Channel.</p><p>The river rises at Source-Seine, on the Langres plateau. "
    "In 1990 it was declared the longest river in Europe.</p>"
    "<p>Paris has 37 bridges across the Seine, the oldest of them the Pont Neuf, "
    "finished in 1607.</p><p>It is, quite simply, the most romantic river in the "
    "world.</p><p>Every summer since 2002 part of the river bank becomes a beach, Paris "
    "Plages.</p></article></body></html>",
    "/atlas": "<html><head><title>Seine</title></head><body><article><h1>Seine</h1>"
    "<p>The Seine is a river in northern France. Its length is 777 kilometres, and it "
    "flows through Paris before it reaches the English Channel at Le Havre. The Pont "
    "Neuf, completed in 1607, is the oldest standing bridge across the river in Paris."
    "</p></article></body></html>",
    "/rivers": "<html><head><title>Rivers of Europe</title></head><body><article>"
    "<h1>Rivers of Europe</h1><p>The Volga is the longest river in Europe, at 3,530 "
    "kilometres. The Danube follows at 2,850 kilometres.</p></article></body></html>",
}


class _Site(BaseHTTPRequestHandler):
    """A SearXNG-like JSON search and one article page."""

    def do_GET(self) -> None:
        base = f"http://{self.headers.get('Host')}"
        if self.path.startswith("/search"):
            results = [
                {
                    "url": f"{base}/seine",
                    "title": "The Seine",
                    "content": "The Seine is a 777 km river in northern France.",
                }
            ]
            if "facts" in self.path:  # the fact-check screenshot's searches
                results += [
                    {"url": f"{base}{path}", "title": path.strip("/").title(), "content": ""}
                    for path in ("/atlas", "/rivers")
                ]
            body = json.dumps({"results": results}).encode()
            kind = "application/json"
        elif self.path in CHECK_PAGES:
            body = CHECK_PAGES[self.path].encode()
            kind = "text/html; charset=utf-8"
        else:
            text = "<p>The Seine is 777 km long and rises on the Langres plateau.</p>" * 30
            page = f"<html><head><title>The Seine</title></head><body><article>{text}</article>"
            body = (page + "</body></html>").encode()
            kind = "text/html; charset=utf-8"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return None


class _Ticks(QObject):
    """Records how late a repeating timer fires on the GUI thread."""

    def __init__(self) -> None:
        super().__init__()
        self.delays: list[float] = []
        self._clock = QElapsedTimer()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0

    def start(self) -> None:
        self.delays = []
        self._clock.start()
        self._last = 1e-9  # the first tick is measured from the start
        self._timer.start()

    def stop(self) -> None:
        self._tick()  # a stall still under way when the stream ends counts too
        self._timer.stop()

    def _tick(self) -> None:
        now = self._clock.nsecsElapsed() / 1e6
        if self._last:
            self.delays.append(max(0.0, now - self._last - TICK_MS))
        self._last = now


def _stall_figures(delays: list[float]) -> dict[str, float]:
    if len(delays) < 2:
        return {"p99_stall_ms": 0.0, "max_stall_ms": 0.0}
    ordered = sorted(delays)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {"p99_stall_ms": round(p99, 2), "max_stall_ms": round(ordered[-1], 2)}


class _RenderClock:
    """Render time against answer position: the cost of the first and the last stretch
    of ``SPAN`` tokens, per thousand tokens."""

    SPAN = 2000

    def __init__(self) -> None:
        self.samples: list[tuple[int, int, float]] = []  # (chars before, chars after, ms)
        self._chars = 0

    def add(self, answer_chars: int, seconds: float) -> None:
        self.samples.append((self._chars, answer_chars, seconds * 1000))
        self._chars = answer_chars

    def _rate(self, lo: int, hi: int) -> float:
        spent = 0.0
        for start, end, ms in self.samples:
            if end <= start:
                continue
            overlap = max(0, min(end, hi) - max(start, lo))
            spent += ms * overlap / (end - start)
        tokens = (hi - lo) / CHARS_PER_TOKEN
        return round(spent / tokens * 1000, 3) if tokens else 0.0

    def first_last(self, tokens: int) -> tuple[float, float]:
        total = self._chars
        span = min(self.SPAN, tokens // 2) * CHARS_PER_TOKEN
        return self._rate(0, span), self._rate(max(0, total - span), total)


def _wait(app: QApplication, done: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.001)


def _stream_app(
    app: QApplication, paths: AppPaths, site: str
) -> tuple[dict[str, float], list[Any]]:
    from ii_desktop.ui.main_window import MainWindow

    tools = ToolSettings(
        search_providers=("searxng",),
        provider_urls={"searxng": site},
        allow_hosts=(site.split("//", 1)[1],),
    )
    save_settings(paths, Settings(engine=EngineSettings(model_path="replay"), tools=tools))
    turns = _turns(f"{site}/seine")
    window = MainWindow(
        paths, engine_factory=lambda s, p: (ReplayEngine(turns), None), start_engine=True
    )
    window.resize(1180, 800)
    window.show()
    _wait(app, lambda: window.session is not None, 30)
    events: list[Any] = []  # as the run sent them, before the window joins text pieces
    post = window._post
    window._post = lambda e: (events.append(e), post(e))  # type: ignore[method-assign]
    clock = _RenderClock()
    ticks = _Ticks()
    finished: list[Any] = []
    window.run_finished.connect(finished.append)
    window.ask("How long is the Seine, and what is its course?")
    view = window.live_view
    assert view is not None
    original = view.flush

    def timed_flush() -> None:
        t = time.perf_counter()
        original()
        clock.add(len(view.answer.text), time.perf_counter() - t)

    view.flush = timed_flush  # type: ignore[method-assign]
    view._timer.timeout.disconnect()
    view._timer.timeout.connect(timed_flush)
    ticks.start()
    _wait(app, lambda: bool(finished), 600)
    # and until the answer is fully drawn (a burst is drawn over several ticks)
    _wait(app, lambda: not view.answer.behind and not view._timer.isActive(), 60)
    ticks.stop()
    first, last = clock.first_last(ANSWER_TOKENS)
    figures = {**_stall_figures(ticks.delays)}
    figures["ms_per_1k_tokens_first"] = first
    figures["ms_per_1k_tokens_last"] = last
    figures["answer_chars"] = len(view.answer.text)
    window.close()
    return figures, events


class _Feeder(QObject):
    """Replays recorded events from a thread through a queued signal, as a run does; the
    receiver runs on the GUI thread (``handler`` is called from a slot of this object)."""

    event = Signal(object)

    def __init__(self, handler: Any) -> None:
        super().__init__()
        self._handler = handler
        self.event.connect(self._receive, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def _receive(self, event: Any) -> None:
        self._handler(event)

    def play(self, events: list[Any]) -> threading.Thread:
        thread = threading.Thread(target=lambda: [self.event.emit(e) for e in events], daemon=True)
        thread.start()
        return thread


def _stream_baseline(app: QApplication, events: list[Any]) -> dict[str, float]:
    view = QTextBrowser()
    view.resize(900, 800)
    view.show()
    clock = _RenderClock()
    text: list[str] = []
    limit = BASELINE_TOKENS * CHARS_PER_TOKEN
    answers = []
    for e in events:
        if isinstance(e, Answer):
            answers.append(e)
            if sum(len(a.text) for a in answers) > limit:
                break
    state = {"seen": 0}

    def naive(event: Any) -> None:
        state["seen"] += 1
        if isinstance(event, Answer):
            text.append(event.text)
            t = time.perf_counter()
            whole = "".join(text)
            view.document().setMarkdown(whole, MARKDOWN)
            clock.add(len(whole), time.perf_counter() - t)

    feeder = _Feeder(naive)
    ticks = _Ticks()
    ticks.start()
    feeder.play(answers)
    _wait(app, lambda: state["seen"] >= len(answers), 600)
    ticks.stop()
    first, last = clock.first_last(BASELINE_TOKENS)
    figures = _stall_figures(ticks.delays)
    assert threading.current_thread() is threading.main_thread()
    view.close()
    return {
        "baseline_p99_stall_ms": figures["p99_stall_ms"],
        "baseline_max_stall_ms": figures["max_stall_ms"],
        "baseline_ms_per_1k_tokens_first": first,
        "baseline_ms_per_1k_tokens_last": last,
        "baseline_tokens": BASELINE_TOKENS,
    }


def _launch_ms() -> float:
    env = {**os.environ, "II_DESKTOP_EXIT_AFTER_PAINT": "1"}
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory() as data:
        env["II_DESKTOP_DATA_DIR"] = data
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "ii_desktop"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert proc.stdout is not None
        painted = None
        for line in proc.stdout:
            if line.startswith("first-paint"):
                painted = time.perf_counter()
                break
        proc.wait(60)
    if painted is None:
        return -1.0
    return round((painted - started) * 1000, 1)


def _long_notebook(app: QApplication, paths: AppPaths, runs: int = 200) -> float:
    from ii_desktop.agent.events import (
        Reasoning,
        RunStarted,
        Source,
        Stats,
        ToolCall,
        ToolResult,
    )
    from ii_desktop.notebooks import NotebookStore, RunRecorder
    from ii_desktop.ui.main_window import MainWindow

    with NotebookStore.open(paths) as store:
        notebook = store.create("A long notebook")
        for i in range(runs):
            recorder = RunRecorder(store, notebook.id, f"Question {i} about the Seine?")
            rid = recorder.run_id
            for event in (
                RunStarted(rid, f"Question {i} about the Seine?", "normal"),
                Reasoning(rid, "Thinking about the river. " * 30),
                ToolCall(rid, "c1", "web_search", {"query": f"seine {i}"}),
                ToolResult(rid, "c1", "web_search", True, "r", data={"results": [{}] * 10}),
                Source(rid, 1, "https://en.wikipedia.org/wiki/Seine", "Seine", "page"),
                Answer(rid, "The Seine is 777 km long [https://en.wikipedia.org/wiki/Seine]. " * 8),
                Stats(rid, 1, 900, 800, 100, 200, 500.0, 40.0, 0.1, 900, 800, 100, 200),
                RunFinished(rid, "answered", "The Seine is 777 km long. " * 8, rounds=1),
            ):
                recorder(event)
            recorder.close()
        notebook_id = notebook.id
    window = MainWindow(paths, engine_factory=lambda s, p: (ReplayEngine([]), None))
    window.resize(1180, 800)
    window.show()
    _wait(app, lambda: window.session is not None, 30)
    window.notebook_id = None
    window.conversation.clear()
    app.processEvents()
    started = time.perf_counter()
    window.open_notebook(notebook_id)
    _wait(app, lambda: len(window.conversation.views) > 0, 60)
    window.conversation.repaint()
    app.processEvents()
    elapsed = time.perf_counter() - started
    window.close()
    return round(elapsed * 1000, 1)


def _quiet_offscreen_notes(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """The offscreen platform notes on every window that it cannot size itself to its
    contents: noise in a figures report. Everything else is printed as Qt would."""
    if "propagateSizeHints" not in message:
        print(message, file=sys.stderr)


def run_ui_bench() -> dict[str, Any]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    qInstallMessageHandler(_quiet_offscreen_notes)
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site = f"http://127.0.0.1:{server.server_address[1]}"
    result: dict[str, Any] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            paths = AppPaths(Path(tmp) / "stream").ensure()
            figures, events = _stream_app(app, paths, site)
            result.update(figures)
            result["answer_tokens"] = ANSWER_TOKENS
            result.update(_stream_baseline(app, events))
            result["launch_to_window_ms"] = _launch_ms()
            long_paths = AppPaths(Path(tmp) / "long").ensure()
            save_settings(long_paths, Settings(engine=EngineSettings(model_path="replay")))
            result["open_long_notebook_ms"] = _long_notebook(app, long_paths)
    finally:
        server.shutdown()
    first = result["ms_per_1k_tokens_first"] or 1e-9
    result["targets_met"] = {
        "p99<=16ms": result["p99_stall_ms"] <= 16,
        "last/first<=1.5": result["ms_per_1k_tokens_last"] / first <= 1.5,
        "window<=1s": 0 <= result["launch_to_window_ms"] <= 1000,
        "long_notebook<=300ms": result["open_long_notebook_ms"] <= 300,
    }
    return result

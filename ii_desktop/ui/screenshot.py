"""``ii-desktop dev screenshot OUT.png --scenario research|first-run|settings [--dark]``.

Renders the window offscreen and saves a PNG. ``research`` plays a scripted run (a
search and a page read against a server on 127.0.0.1, reasoning, a cited answer)
through the real window, so the picture is what a user sees after asking.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication

from ii_desktop.core.settings import AppPaths, EngineSettings, Settings, ToolSettings, save_settings
from ii_desktop.engine.replay import ReplayEngine
from ii_desktop.ui import theme

SCENARIOS = ("research", "streaming", "reader", "first-run", "settings", "check")
SIZE = (1180, 780)


def _turns(site: str) -> list[str]:
    page = f"{site}/seine"
    return [
        "<think>\nThe user wants the Seine's length and source. I'll search first, then read "
        "the most authoritative page.\n</think>\n\n"
        '<tool_call>\n{"name": "web_search", "arguments": {"query": "Seine river length source"}}'
        "\n</tool_call>",
        "<think>\nThe first result is an atlas page; read it before answering.\n</think>\n\n"
        '<tool_call>\n{"name": "web_visit", "arguments": {"url": "' + page + '"}}\n</tool_call>',
        "<think>\nThe page gives 777 km and the source on the Langres plateau. That answers "
        "both parts.\n</think>\n\n"
        f"The **Seine** is about **777 km** long [{page}]. It rises at *Source-Seine* on the "
        "Langres plateau in Burgundy and flows north-west through Troyes, Paris and Rouen to "
        f"the English Channel at Le Havre [{page}].\n\n"
        "- **Length:** 777 km\n- **Source:** Source-Seine, Côte-d'Or\n"
        "- **Mouth:** the English Channel, at Le Havre\n",
    ]


def _check_turns(site: str) -> list[str]:
    """The scripted model of the ``check`` scenario: its claims, then each one checked."""
    claims = [
        (
            "The Seine is 777 kilometres long and flows through Paris.",
            "The Seine is 777 kilometres long and flows through Paris",
        ),
        (
            "In 1990 the Seine was declared the longest river in Europe.",
            "In 1990 it was declared the longest river in Europe.",
        ),
        (
            "The Pont Neuf, the oldest bridge across the Seine in Paris, was finished in 1607.",
            "the oldest of them the Pont Neuf, finished in 1607",
        ),
        ("Paris has 37 bridges across the Seine.", "Paris has 37 bridges across the Seine"),
    ]
    listed = json.dumps([{"claim": c, "quote": q} for c, q in claims])

    def check(path: str, verdict: str, why: str, quote: str | None) -> list[str]:
        url = f"{site}{path}"
        evidence = f'- "{quote}" ({url})' if quote else ""
        return [
            '<tool_call>\n{"name": "web_search", "arguments": {"query": "Seine facts"}}'
            "\n</tool_call>",
            '<tool_call>\n{"name": "web_visit", "arguments": {"url": "' + url + '"}}\n</tool_call>',
            f"\\boxed{{{verdict}}}\nRationale: {why}\nEvidence:\n{evidence}",
        ]

    return [
        f"<think>\nThe checkable claims.\n</think>\n\n{listed}",
        # in the order they are checked: the most check-worthy first
        *check(
            "/atlas",
            "SUPPORTED",
            "The atlas dates the Pont Neuf to 1607.",
            "The Pont Neuf, completed in 1607",
        ),
        *check(
            "/seine",
            "SUPPORTED",
            "An atlas gives the same length and course.",
            "The Seine is 777 km long",
        ),
        *check(
            "/rivers",
            "REFUTED",
            "The Volga, at 3,530 km, is Europe's longest river.",
            "The Volga is the longest river in Europe",
        ),
        *check("/atlas", "NOT ENOUGH EVIDENCE", "No page read counts the bridges.", None),
    ]


def _wait(app: QApplication, done: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.005)


def render(out: Path, scenario: str, dark: bool = False) -> Path:
    """Render ``scenario`` to ``out`` (PNG); returns the path."""
    from ii_desktop.ui.bench import _Site
    from ii_desktop.ui.main_window import MainWindow

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    theme.force_scheme(dark)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            paths = AppPaths(Path(tmp)).ensure()
            if scenario != "first-run":
                tools = ToolSettings(
                    search_providers=("searxng",),
                    provider_urls={"searxng": site},
                    allow_hosts=(site.split("//", 1)[1],),
                )
                from ii_desktop.engine.tiny_model import build_tiny_model

                # a real (tiny) model folder, so Settings can show its memory needs
                folder = build_tiny_model(Path(tmp) / "models" / "II-Search-4B-4bit")
                model = EngineSettings(model_path=str(folder))
                save_settings(paths, Settings(engine=model, tools=tools))
            turns = _check_turns(site) if scenario == "check" else _turns(site)
            # paced like a local model (about 400 tokens/s; slower to catch it streaming)
            delay = 0.03 if scenario == "streaming" else 0.004
            window = MainWindow(
                paths, engine_factory=lambda s, p: (ReplayEngine(turns, delay=delay), None)
            )
            window.resize(*SIZE)
            window.show()
            target: Any = window
            if scenario in ("research", "streaming", "reader"):
                _wait(app, lambda: window.session is not None)
                finished: list[Any] = []
                window.run_finished.connect(finished.append)
                window.ask("How long is the Seine, and where does it rise?")
                if scenario == "streaming":  # mid-answer, reasoning and tools done
                    _wait(app, lambda: len(window.live_view.answer.text) > 120)
                else:
                    _wait(app, lambda: bool(finished))
                    _wait(app, lambda: window.sidebar_has_items(), 10)
                window.engine_label.setText("II-Search-4B-4bit · 4bit-g64 · 40,960 tokens")
                if scenario == "reader":
                    from ii_desktop.ui.reader import ReaderDialog

                    view = window.conversation.views[-1]
                    page = next(iter(view._pages.values()))
                    target = ReaderDialog(page, window)
                    target.show()
            elif scenario == "check":
                from ii_desktop.ui.check_view import CheckWindow

                _wait(app, lambda: window.session is not None)
                window.open_dropped([f"{site}/article"], [])
                _wait(app, lambda: bool(window.findChildren(CheckWindow)))
                view = window.findChildren(CheckWindow)[0]
                _wait(app, lambda: view.report is not None)
                view.expanded.update({0, 1})
                view._render_claims()
                view.resize(*SIZE)
                target = view
            elif scenario == "settings":
                from ii_desktop.ui.settings_dialog import SettingsDialog

                dialog = SettingsDialog(paths, window.settings, window)
                dialog.show()
                target = dialog
            for _ in range(20):
                app.processEvents()
                time.sleep(0.01)
            out.parent.mkdir(parents=True, exist_ok=True)
            if not target.grab().save(str(out)):
                raise OSError(f"Could not write {out}")
            if window.active is not None:
                window.active.cancel()
                window.active.wait(10)
            window._closing = True
            window.close()
    finally:
        server.shutdown()
        theme.force_scheme(None)
    return out

"""The research window end to end: a replayed run through real tools, views and notebook."""

from __future__ import annotations

import plistlib

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication

from ii_desktop.agent.events import (
    Answer,
    PromptProgress,
    Reasoning,
    RunFinished,
    Stats,
    ToolCall,
    ToolResult,
)
from ii_desktop.core.settings import (
    EngineSettings,
    Settings,
    ToolSettings,
    app_paths,
    load_settings,
    save_settings,
)
from ii_desktop.engine.replay import ReplayEngine
from ii_desktop.notebooks import NotebookStore
from ii_desktop.ui import theme, widgets
from ii_desktop.ui.drops import read_webloc, urls_from_drop
from ii_desktop.ui.main_window import MainWindow
from tests.helpers.research import page_and_search, tool_call

pytestmark = pytest.mark.gui

ARTICLE = (
    b"<html><head><title>The Seine</title></head><body><article>"
    + b"<p>The Seine is a 777 km long river in northern France. It rises at Source-Seine "
    b"on the Langres plateau and flows through Paris to the English Channel.</p>"
    * 4
    + b"</article></body></html>"
)


def turns(url: str, answer: str = "") -> list[str]:
    return [
        "<think>\nFind the river first.\n</think>\n\n" + tool_call("web_search", query="Seine"),
        "<think>\nRead the atlas page.\n</think>\n\n" + tool_call("web_visit", url=url),
        "<think>\nThe page says 777 km.\n</think>\n\n"
        + (answer or f"The Seine is **777 km** long [{url}].\n\n- It flows through Paris.\n"),
    ]


@pytest.fixture(autouse=True)
def never_block_on_close(monkeypatch):
    """A window closed at teardown mid-run must not wait on a modal question."""
    monkeypatch.setattr(widgets, "confirm", lambda *a, **k: True)


@pytest.fixture
def servers():
    with page_and_search("/seine", ARTICLE) as both:
        yield both


def make_window(qtbot, servers, script, delay=0.0, engines=None):
    pages, search = servers
    tools = ToolSettings(
        search_providers=("searxng",),
        provider_urls={"searxng": search.url},
        allow_hosts=(pages.host,),
    )
    save_settings(app_paths(), Settings(engine=EngineSettings(model_path="replay"), tools=tools))
    made = engines if engines is not None else []

    def factory(settings, paths):
        engine = ReplayEngine(list(script), delay=delay)
        made.append(engine)
        return engine, None

    window = MainWindow(app_paths(), engine_factory=factory)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.session is not None, timeout=10000)
    return window, made


def ask_and_wait(qtbot, window, question, mode="normal"):
    with qtbot.waitSignal(window.run_finished, timeout=30000) as done:
        window.ask(question, mode)
    return done.args[0]


def test_a_replayed_run_reaches_every_view_and_the_notebook(qtbot, servers):
    pages, _ = servers
    url = pages.url("/seine")
    window, _ = make_window(qtbot, servers, turns(url))
    seen = []
    window.run_event.connect(seen.append)
    active = ask_and_wait(qtbot, window, "How long is the Seine?")
    assert active.finished.reason == "answered"
    view = window.conversation.views[-1]
    # reasoning streamed as plain text, never the raw tags
    assert "Read the atlas page." in view.reasoning.text
    assert "<think>" not in view.reasoning.text and "<tool_call>" not in view.answer.text
    # folded once the answer started (the default preference)
    assert not view.thinking_button.isChecked() and view.reasoning_view.isHidden()
    # the tool timeline: one search, one visit, both ok
    rows = list(view._rows.values())
    assert [r.name for r in rows] == ["web_search", "web_visit"]
    assert all(r.state == "ok" for r in rows)
    assert rows[0].detail.endswith("results from searxng")
    assert rows[1].target == "The Seine" and rows[1].detail == "127.0.0.1"
    # the answer as Markdown, its citation a numbered link to a read source
    doc = view.answer_view.document()
    assert "777 km" in doc.toPlainText()
    assert "[" + str(next(n for n, s in view._sources.items() if s.url == url)) + "]" in (
        doc.toPlainText()
    )
    assert "cite:" in view.answer_view.toHtml()
    assert "read" in view.sources_label.text() and "The Seine" in view.sources_label.text()
    assert "tokens" in view.stats_label.text()
    assert any(isinstance(e, Reasoning) for e in seen) and any(isinstance(e, Answer) for e in seen)
    assert any(isinstance(e, ToolResult) for e in seen)
    # the notebook holds the run
    with NotebookStore.open(app_paths()) as store:
        (record,) = store.runs(active.notebook_id)
    assert record.status == "answered" and "777 km" in record.answer
    assert window.notebook_id == active.notebook_id


def test_a_citation_click_reveals_its_source(qtbot, servers):
    pages, _ = servers
    url = pages.url("/seine")
    window, _ = make_window(qtbot, servers, turns(url))
    ask_and_wait(qtbot, window, "How long is the Seine?")
    view = window.conversation.views[-1]
    n = next(n for n, s in view._sources.items() if s.url == url)
    view._link_clicked(QUrl(f"cite:{n}"))
    assert view._highlighted == n
    assert theme.colors().highlight in view.sources_label.text()


def test_stop_mid_stream_keeps_what_streamed(qtbot, servers):
    pages, _ = servers
    long_answer = "The Seine is long. " * 400
    window, _ = make_window(qtbot, servers, turns(pages.url("/seine"), long_answer), delay=0.01)
    with qtbot.waitSignal(window.run_finished, timeout=30000) as done:
        window.ask("How long is the Seine?")
        qtbot.waitUntil(
            lambda: window.live_view is not None and bool(window.live_view.answer.text),
            timeout=20000,
        )
        assert window.composer.send_button.text() == "Stop"
        window.stop()
    active = done.args[0]
    assert active.finished.reason == "cancelled"
    view = window.conversation.views[-1]
    assert "Stopped" in view.status_label.text()
    assert window.composer.send_button.text() == "Ask"
    with NotebookStore.open(app_paths()) as store:
        (record,) = store.runs(active.notebook_id)
    assert record.status == "cancelled"
    assert record.answer and record.answer in long_answer


def test_a_follow_up_continues_the_notebooks_conversation(qtbot, servers):
    pages, _ = servers
    url = pages.url("/seine")
    script = [*turns(url), "<think>\nFrom before.\n</think>\n\nIt rises on the Langres plateau."]
    window, engines = make_window(qtbot, servers, script)
    first = ask_and_wait(qtbot, window, "How long is the Seine?")
    second = ask_and_wait(qtbot, window, "Where does it rise?")
    assert second.notebook_id == first.notebook_id
    request = engines[0].requests[-1]
    contents = [m["content"] for m in request.messages]
    assert any("How long is the Seine?" in c for c in contents)  # the earlier question rides along
    assert request.conversation_id == engines[0].requests[0].conversation_id
    assert len(window.conversation.views) == 2
    with NotebookStore.open(app_paths()) as store:
        assert len(store.runs(first.notebook_id)) == 2


def test_reopening_a_notebook_draws_its_runs_from_the_store(qtbot, servers):
    from concurrent.futures import Future

    pages, _ = servers
    window, engines = make_window(qtbot, servers, turns(pages.url("/seine")))
    active = ask_and_wait(qtbot, window, "How long is the Seine?")
    preloaded = []

    def preload(conversation_id):
        preloaded.append(conversation_id)
        done = Future()
        done.set_result(True)
        return done

    engines[0].preload = preload  # the MLX engine's: bring the notebook's KV cache in
    window.new_notebook()
    assert not window.conversation.views
    window.open_notebook(active.notebook_id)
    qtbot.waitUntil(lambda: len(window.conversation.views) == 1, timeout=10000)
    qtbot.waitUntil(lambda: bool(preloaded), timeout=5000)
    assert preloaded == [engines[0].requests[0].conversation_id]
    view = window.conversation.views[0]
    assert "777 km" in view.answer_view.document().toPlainText()
    assert [r.name for r in view._rows.values()] == ["web_search", "web_visit"]
    assert view.reasoning.text
    # the reader of a saved visit shows the page as it was read, from the notebook
    from ii_desktop.ui.reader import ReaderDialog

    url = pages.url("/seine")
    view.source_opened.emit({"url": url, "title": "The Seine", **view._pages.get(url, {})})
    qtbot.waitUntil(lambda: any(isinstance(w, ReaderDialog) for w in window._open_windows()))
    reader = next(w for w in window._open_windows() if isinstance(w, ReaderDialog))
    assert "777 km" in reader.page_view.toPlainText()
    assert "777 km" in reader.model_view.toPlainText()
    reader.close()


def test_url_and_webloc_drops_start_a_check(qtbot, servers, tmp_path, monkeypatch):
    webloc = tmp_path / "Seine.webloc"
    webloc.write_bytes(plistlib.dumps({"URL": "https://en.wikipedia.org/wiki/Seine"}))
    assert read_webloc(webloc) == "https://en.wikipedia.org/wiki/Seine"
    (tmp_path / "bad.webloc").write_bytes(b"not a plist")
    assert read_webloc(tmp_path / "bad.webloc") is None
    web, files = urls_from_drop([QUrl.fromLocalFile(str(webloc))], "")
    assert web == ["https://en.wikipedia.org/wiki/Seine"] and files == []
    web, _ = urls_from_drop([], "see https://example.org/a page")
    assert web == ["https://example.org/a"]

    window, _ = make_window(qtbot, servers, [])
    opened = []
    monkeypatch.setattr(window, "_open_check", lambda name, read: opened.append(name))
    mime = QMimeData()
    mime.setUrls([QUrl("https://example.org/report")])
    drop = QDropEvent(
        QPointF(100, 100),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(drop)
    assert opened == ["https://example.org/report"]  # the check window: tests/ui/test_check_view.py


def test_without_a_model_the_first_run_screen_shows(qtbot):
    window = MainWindow(app_paths())
    qtbot.addWidget(window)
    window.show()
    assert window.pages.currentWidget() is window.first_run
    assert window.statusBar().currentMessage() == "No model chosen"


def test_an_engine_that_fails_to_load_says_so_in_the_window(qtbot, tmp_path):
    missing = tmp_path / "no-such-model"
    save_settings(app_paths(), Settings(engine=EngineSettings(model_path=str(missing))))
    window = MainWindow(app_paths())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=20000)
    assert "not found" in window.banner.text().lower()
    assert window.session is None
    window.ask("Anything?")
    assert window.conversation.views == []  # nothing started, the message stays


def test_the_theme_switch_restyles_the_window(qtbot, servers):
    pages, _ = servers
    window, _ = make_window(qtbot, servers, turns(pages.url("/seine")))
    ask_and_wait(qtbot, window, "How long is the Seine?")
    try:
        theme.force_scheme(True)
        window.apply_theme()
        assert theme.DARK.window in window.styleSheet()
        # the menu bar (in the window off the Mac) turns dark too, not light with light text
        corner = window.menuBar().grab().toImage().pixelColor(2, 2)
        assert corner.lightness() < 80, corner.name()
        view = window.conversation.views[-1]
        assert theme.DARK.muted in view.sources_label.text()
        theme.force_scheme(False)
        window.apply_theme()
        assert theme.LIGHT.window in window.styleSheet()
    finally:
        theme.force_scheme(None)


def test_closing_mid_run_asks_then_cancels_and_keeps_the_run(qtbot, servers, monkeypatch):
    pages, _ = servers
    long_answer = "The Seine is long. " * 400
    window, _ = make_window(qtbot, servers, turns(pages.url("/seine"), long_answer), delay=0.01)
    window.ask("How long is the Seine?")
    qtbot.waitUntil(lambda: bool(window.live_view.answer.text), timeout=20000)
    asked = []
    monkeypatch.setattr(widgets, "confirm", lambda *a, **k: asked.append((a, k)) and False)
    window.close()
    assert asked and window.isVisible()  # kept researching: still open, still running
    assert asked[0][0][3] == "Stop and Close" and asked[0][1]["cancel"] == "Keep Researching"
    monkeypatch.setattr(widgets, "confirm", lambda *a, **k: True)
    active = window.active
    window.close()
    assert not window.isVisible()
    assert active.done() and active.finished.reason == "cancelled"
    with NotebookStore.open(app_paths()) as store:
        (record,) = store.runs(active.notebook_id)
    assert record.status == "cancelled" and record.answer


def test_run_finished_event_is_shown_even_after_a_failure(qtbot, servers):
    window, _ = make_window(qtbot, servers, [])  # the replay has no turns: the run errors
    active = ask_and_wait(qtbot, window, "Anything?")
    assert active.finished.reason == "error"
    view = window.conversation.views[-1]
    assert "failed" in view.status_label.text()
    assert isinstance(view.finished, RunFinished)


def test_a_link_opened_from_the_dock_starts_a_check(qtbot, servers, monkeypatch):
    from PySide6.QtGui import QFileOpenEvent
    from PySide6.QtWidgets import QApplication

    from ii_desktop.ui.app import FileOpenHandler

    window, _ = make_window(qtbot, servers, [])
    opened = []
    monkeypatch.setattr(window, "_open_check", lambda name, read: opened.append(name))
    handler = FileOpenHandler(window)
    app = QApplication.instance()
    app.installEventFilter(handler)
    try:
        QApplication.sendEvent(app, QFileOpenEvent(QUrl("https://example.org/dock")))
        qtbot.waitUntil(lambda: bool(opened))
    finally:
        app.removeEventFilter(handler)
    assert opened == ["https://example.org/dock"]


def test_streamed_text_waiting_in_the_inbox_is_joined_in_order(qtbot, servers):
    window, _ = make_window(qtbot, servers, [])
    view = window.conversation.add_live("How long is the Seine?", "normal")
    window.live_view = view
    view.run_id = "r1"
    seen = []
    window.run_event.connect(seen.append)
    call = ToolCall("r1", "c1", "web_search", {"query": "Seine"})
    for event in (
        Reasoning("r1", "Find "),
        Reasoning("r1", "the river."),
        Answer("r1", "The Seine "),
        call,
        Answer("r1", "is 777 "),
        Answer("r2", "another run's text"),
        Answer("r1", "km long."),
    ):
        window._post(event)  # as a run thread does, faster than the window drains
    qtbot.waitUntil(lambda: len(seen) >= 5)
    assert seen == [
        Reasoning("r1", "Find the river."),
        Answer("r1", "The Seine "),
        call,
        Answer("r1", "is 777 "),
        Answer("r1", "km long."),
    ]


def test_long_prompts_show_progress_and_the_status_bar_shows_memory(qtbot, servers):
    window, _ = make_window(qtbot, servers, [])
    view = window.conversation.add_live("How long is the Seine?", "normal")
    window.live_view = view
    view.run_id = "r1"
    before = view.working_label.text()
    window._post(PromptProgress("r1", 100, 200))  # too short to report
    window._post(PromptProgress("r1", 2048, 8192))
    qtbot.waitUntil(lambda: "%" in view.working_label.text())
    assert view.working_label.text() == "Reading 8,192 tokens of context… 25%"
    assert before != view.working_label.text()
    window._post(Reasoning("r1", "Now the model writes."))
    qtbot.waitUntil(lambda: view.working_label.text() == before)
    stats = Stats(
        "r1", 1, 9, 0, 9, 4, 100.0, 20.0, 0.1, 9, 0, 9, 4, peak_memory_bytes=2_900_000_000
    )
    window._post(stats)
    qtbot.waitUntil(lambda: "peak memory" in window.engine_label.text())
    assert "2.9 GB peak memory" in window.engine_label.text()
    window._post(Stats("r1", 2, 9, 0, 9, 4, 100.0, 20.0, 0.1, 9, 0, 9, 4, 3_100_000_000))
    qtbot.waitUntil(lambda: "3.1 GB" in window.engine_label.text())
    assert window.engine_label.text().count("peak memory") == 1


def test_the_window_menu_lists_the_research_window_and_open_readers(qtbot, servers):
    from ii_desktop.ui.reader import ReaderDialog

    window, _ = make_window(qtbot, servers, [])
    page = {"url": "https://example.org/seine", "title": "The Seine", "text": "777 km."}
    window.open_reader(page)
    qtbot.waitUntil(lambda: any(isinstance(w, ReaderDialog) for w in window._open_windows()))
    reader = next(w for w in window._open_windows() if isinstance(w, ReaderDialog))
    assert not reader.isModal(), "reading a source must not lock the research window"
    for _ in range(2):  # refilled each time the menu opens, never duplicated
        window._fill_window_menu()
        titles = [a.text() for a in window._window_actions]
        assert titles == [window.windowTitle(), "The Seine"]
    reader.showMinimized()
    window._window_actions[1].trigger()
    qtbot.waitUntil(lambda: not reader.isMinimized())
    reader.close()
    qtbot.waitUntil(lambda: len(window._open_windows()) == 1)


def test_keyboard_only_the_window_opens_in_the_question_and_tab_moves_on(qtbot, servers):
    window, _ = make_window(qtbot, servers, [])
    window.activateWindow()
    qtbot.waitUntil(lambda: window.composer.edit.hasFocus())
    window.composer.edit.setPlainText("How long")
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Tab)
    assert window.composer.edit.toPlainText() == "How long", "Tab types nothing"
    assert window.composer.mode.hasFocus()
    order = []
    for _ in range(6):
        widget = QApplication.focusWidget()
        order.append(widget.accessibleName())
        qtbot.keyClick(widget, Qt.Key.Key_Tab)
    assert {"Answer mode", "Ask", "Search notebooks"} <= set(order)
    # every control on the way has a name a screen reader can say
    assert all(order)


def test_a_damaged_notebook_database_is_reported_in_the_window(qtbot, servers, monkeypatch):
    from ii_desktop.notebooks import NotebookStore

    window, _ = make_window(qtbot, servers, [])
    window.check_store()  # a sound store: nothing to say
    qtbot.wait(300)
    assert window.banner.isHidden()
    monkeypatch.setattr(
        NotebookStore, "problems", lambda self: ["row 3 missing from index runs_by_status"]
    )
    window.check_store()
    qtbot.waitUntil(lambda: window.banner.isVisible())
    assert "damaged (row 3 missing" in window.banner.text()
    assert "Export Notebook" in window.banner.text()


@pytest.mark.parametrize(("answer", "opened"), [("refuse", False), ("once", True), ("host", True)])
def test_a_url_the_model_was_not_shown_is_opened_only_if_the_user_says_so(
    qtbot, servers, answer, opened
):
    pages, _ = servers
    unseen = pages.url("/seine") + "?notes=private"  # new data on a shown page: not seen
    script = [
        *turns(pages.url("/seine"))[:2],
        "<think>\nThe page said to check.\n</think>\n\n" + tool_call("web_visit", url=unseen),
        "<think>\nDone.\n</think>\n\nThe Seine is 777 km long.",
    ]
    window, _ = make_window(qtbot, servers, script)
    asked = []
    window.consent.prompt = lambda parent, url: asked.append(url) or answer
    seen = []
    window.run_event.connect(seen.append)
    ask_and_wait(qtbot, window, "How long is the Seine?")
    assert asked == [unseen], "asked once, with the whole URL"
    visit = [e for e in seen if isinstance(e, ToolResult)][-1]
    if opened:
        assert visit.ok and visit.data["allowed_by"] == "user_consent"
    else:
        assert visit.error_kind == "unseen_url" and "The user declined" in visit.text
    hosts = load_settings(app_paths()).tools.trusted_hosts
    assert hosts == (("127.0.0.1",) if answer == "host" else ())


def test_a_mistake_in_settings_json_is_said_in_the_window_and_the_rest_is_used(qtbot):
    paths = app_paths().ensure()
    text = '{\n  "engine": {\n    "model_path": "replay",\n    "kv_bits": 16\n  }\n}\n'
    paths.settings_file.write_text(text)
    window = MainWindow(paths, engine_factory=lambda s, p: (ReplayEngine(["Hi."]), None))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.session is not None, timeout=10000)  # the model path kept
    assert window.banner.isVisible()
    assert "settings.json line 4: engine.kv_bits is 16" in window.banner.text()
    assert "8 or 4" in window.banner.text()
    assert paths.settings_file.read_text() == text, "the window leaves the file as it is"


def test_citations_show_their_passage_and_a_weak_one_is_marked(qtbot, servers):
    pages, _ = servers
    url = pages.url("/seine")
    answer = f"The Seine is 777 km long [{url}]. It has 45 bridges in Paris [{url}]."
    window, _ = make_window(qtbot, servers, turns(url, answer))
    ask_and_wait(qtbot, window, "How long is the Seine?")
    view = window.conversation.views[-1]
    assert "[1]" in view.answer_view.toPlainText()  # the best sentence decides: strong
    tip = view.citation_tip(1)
    assert "[1] The Seine" in tip and "777 km long river" in tip
    view.reveal_source(1)
    assert "“The Seine is a 777 km long river" in view.sources_label.text()
    view.reveal_source(1)  # chosen again: the passage folds away
    assert "777 km long river in northern" not in view.sources_label.text()


def test_a_citation_whose_page_lacks_its_facts_is_weak_in_the_window(qtbot, servers):
    pages, _ = servers
    url = pages.url("/seine")
    window, _ = make_window(qtbot, servers, turns(url, f"Paris has 45 bridges [{url}]."))
    ask_and_wait(qtbot, window, "How many bridges?")
    view = window.conversation.views[-1]
    assert "[1*]" in view.answer_view.toPlainText()
    assert "may not support what cites it" in view.sources_label.text()
    assert "may not say this" in view.citation_tip(1)


def test_a_model_made_default_mid_run_is_used_once_the_run_ends(qtbot, servers, monkeypatch):
    from ii_desktop.ui import model_jobs

    pages, _ = servers
    answer = "The Seine is long. " * 100
    window, _ = make_window(qtbot, servers, turns(pages.url("/seine"), answer), delay=0.005)
    used: list[str] = []
    monkeypatch.setattr(MainWindow, "use_model", lambda self, path: used.append(path))
    with qtbot.waitSignal(window.run_finished, timeout=30000) as done:
        window.ask("How long is the Seine?")
        qtbot.waitUntil(lambda: window.live_view is not None, timeout=10000)
        model_jobs.hub().default_changed.emit("/models/II-Search-4B-4bit")
        assert used == []  # switching engines now would stop the run
        assert "II-Search-4B-4bit is ready" in window.statusBar().currentMessage()
    assert done.args[0].finished.reason == "answered"
    assert used == ["/models/II-Search-4B-4bit"]
    model_jobs.hub().default_changed.emit("/models/other")  # no run: at once
    assert used[-1] == "/models/other"

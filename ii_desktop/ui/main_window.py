"""The research window: notebooks on the left, the conversation and the question box.

The window owns a ``ResearchSession`` (one engine for the app's life, so every
notebook's KV cache survives between questions). Runs stream their events from their
own thread through a queued signal; the GUI thread never waits on the engine, a tool
or the disk: loading the model, listing notebooks and reading runs all happen in the
background and come back as signals.

The window's menus are in ``window_menus``, its engine start-up and settings in
``window_engine``, and what it does with a dropped page or file in ``window_drops``:
mixins of ``MainWindow``, each for one concern.
"""

from __future__ import annotations

import dataclasses
import html
import logging
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ii_desktop.agent.events import Answer, Reasoning, Stats
from ii_desktop.core.errors import AppError
from ii_desktop.core.events import Event
from ii_desktop.core.settings import APP_NAME, AppPaths, load_settings_report
from ii_desktop.ui import theme, widgets
from ii_desktop.ui.background import run_in_background
from ii_desktop.ui.composer import Composer
from ii_desktop.ui.consent import ConsentBroker
from ii_desktop.ui.conversation import ConversationView
from ii_desktop.ui.run_view import RunView
from ii_desktop.ui.window_drops import DropHandling
from ii_desktop.ui.window_engine import EngineFactory, EngineStartup, build_engine, configured
from ii_desktop.ui.window_menus import OPENED_AT, WindowMenus

if TYPE_CHECKING:  # the research core loads after the window is shown
    from ii_desktop.engine.request import Sampling
    from ii_desktop.research import ResearchSession
    from ii_desktop.research.session import ActiveRun

log = logging.getLogger(__name__)

DEFAULT_SIZE = QSize(1180, 780)
WINDOW_STATE_FILE = "window.ini"
GEOMETRY_KEY = "main_window/geometry"
SPLITTER_KEY = "main_window/splitter"
NOTEBOOK_KEY = "main_window/notebook"
CLOSE_WAIT_MS = 15000
STORE_CHECK_DELAY_MS = 3000  # after the window and the model have started
DRAIN_BUDGET_S = 0.003  # GUI time per batch of run events
# A run thread computing in Python holds the GIL for up to the switch interval each time
# the GUI thread wants it back after a call into Qt (5 ms by default); 1 ms keeps a
# frame's work within budget while a run streams.
GUI_SWITCH_INTERVAL_S = 0.001


def default_size(available: QSize) -> QSize:
    """The first-run window size: DEFAULT_SIZE, shrunk to fit a small screen."""
    return DEFAULT_SIZE.boundedTo(available * 0.9)


class MainWindow(WindowMenus, EngineStartup, DropHandling, QMainWindow):
    """The app's window. ``engine_factory`` replaces how the engine is built (the
    benchmark and tests pass a replay engine); by default it follows the settings.

    Signals:
        run_event(object): a research event, re-emitted on the GUI thread.
        engine_ready(): the engine finished loading.
        run_finished(object): a run ended (its ``ActiveRun``).
    """

    run_event = Signal(object)
    engine_ready = Signal()
    run_finished = Signal(object)
    _event_in = Signal(object)  # from run threads; queued to the GUI thread
    _done_in = Signal(object)
    _recording_in = Signal(str)  # a run's notebook exists on disk: show it in the sidebar

    def __init__(
        self,
        paths: AppPaths,
        parent: QWidget | None = None,
        engine_factory: EngineFactory | None = None,
        start_engine: bool = True,
    ) -> None:
        super().__init__(parent)
        sys.setswitchinterval(min(sys.getswitchinterval(), GUI_SWITCH_INTERVAL_S))
        self._paths = paths
        self._engine_factory = engine_factory or build_engine
        self.settings, settings_problems = load_settings_report(paths)
        self.session: ResearchSession | None = None
        self.active: ActiveRun | None = None
        self.live_view: RunView | None = None
        self.notebook_id: str | None = None
        self._closing = False
        self._engine_error: str | None = None
        self._engine_text = ""
        self.setWindowTitle(APP_NAME)
        self.setAcceptDrops(True)
        # run threads put events in an inbox and wake the GUI thread once per batch; the
        # GUI drains it a few milliseconds at a time, so a flood never blocks the window
        self._inbox: deque[Event | _Text] = deque()
        self._inbox_lock = threading.Lock()
        self._event_in.connect(self._drain, Qt.ConnectionType.QueuedConnection)
        self._done_in.connect(self._on_done, Qt.ConnectionType.QueuedConnection)
        self._recording_in.connect(
            lambda nid: self.sidebar.refresh(select_id=nid), Qt.ConnectionType.QueuedConnection
        )
        # a run asks here before opening a URL the model was not shown
        self.consent = ConsentBroker(self)
        self.consent.trusted.connect(self._trust_host)
        self._build()
        self._build_menus()
        self.apply_theme()
        hints = QGuiApplication.styleHints()
        hints.colorSchemeChanged.connect(lambda *_: self.apply_theme())
        self._restore_state()
        if settings_problems:  # the file is kept as it is; say what in it was not used
            self.show_problem("<br>".join(html.escape(p) for p in settings_problems), rich=True)
            self.first_run.show_settings_problems(settings_problems)
        # a child timer: it dies with the window, so it never fires into a closed one
        self._store_timer = QTimer(self)
        self._store_timer.setSingleShot(True)
        self._store_timer.timeout.connect(self.check_store)
        self._store_timer.start(STORE_CHECK_DELAY_MS)
        if configured(self.settings):
            self.pages.setCurrentWidget(self.research_page)
            self.composer.edit.setFocus()  # the window opens ready for a question
            if start_engine:
                QTimer.singleShot(0, self.start_engine)
        else:
            self.pages.setCurrentWidget(self.first_run)
            self.statusBar().showMessage("No model chosen")
        self.watch_models()  # after the line above: a resumed download says so instead
        self.composer.set_ready(self.session is not None)

    # --- building -------------------------------------------------------------------

    def _build(self) -> None:
        from ii_desktop.ui.first_run import FirstRunPage
        from ii_desktop.ui.sidebar import NotebookSidebar

        self.sidebar = NotebookSidebar(self._paths)
        self.sidebar.notebook_selected.connect(self.open_notebook)
        self.sidebar.new_notebook_requested.connect(self.new_notebook)
        self.sidebar.notebook_deleted.connect(self._notebook_deleted)
        self.sidebar.problem.connect(self.show_problem)

        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.setTextFormat(Qt.TextFormat.RichText)
        self.banner.linkActivated.connect(self._banner_link)
        self.banner.hide()

        self.conversation = ConversationView()
        self.conversation.fold_reasoning = self.settings.ui.fold_reasoning
        self.conversation.source_opened.connect(self.open_reader)
        self.conversation.regenerate_requested.connect(self.ask)
        self.conversation.edit_requested.connect(self.composer_edit)

        self.composer = Composer()
        self.composer.submitted.connect(self.ask)
        self.composer.stop_requested.connect(self.stop)

        right = QWidget()
        right.setObjectName("page")
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 12)
        column.setSpacing(8)
        banner_row = QHBoxLayout()
        banner_row.setContentsMargins(24, 10, 24, 0)
        banner_row.addWidget(self.banner)
        column.addLayout(banner_row)
        column.addWidget(self.conversation, 1)
        composer_row = QHBoxLayout()
        composer_row.setContentsMargins(24, 0, 24, 0)
        composer_row.addWidget(self.composer)
        column.addLayout(composer_row)

        self.splitter = QSplitter()
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([260, 920])
        self.sidebar.setMinimumWidth(200)
        self.research_page = self.splitter

        self.first_run = FirstRunPage()
        self.first_run.model_chosen.connect(self.use_model)
        self.first_run.server_chosen.connect(self.use_server)
        self.first_run.models_requested.connect(self.open_models)

        self.pages = QStackedWidget()
        self.pages.addWidget(self.research_page)
        self.pages.addWidget(self.first_run)
        self.setCentralWidget(self.pages)

        self.engine_label = QLabel()
        self.engine_label.setObjectName("muted")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(160)
        self.progress.setMaximumHeight(10)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().addPermanentWidget(self.engine_label)
        self.statusBar().setSizeGripEnabled(False)

    def apply_theme(self) -> None:
        theme.apply_link_color(self)
        self.setStyleSheet(theme.stylesheet())
        self.conversation.restyle()

    # --- asking -------------------------------------------------------------------------

    def ask(self, question: str, mode: str = "normal") -> None:
        question = question.strip()
        if not question:
            return
        if self.active is not None and not self.active.done():
            self.show_problem("A question is still being researched. Stop it first.")
            return
        if self.session is None:
            self.show_problem(
                self._engine_error or "The model is still loading; ask again in a moment."
            )
            self.composer.set_question(question, mode)
            return
        from ii_desktop.agent.run import RunOptions
        from ii_desktop.research.session import RunRequest

        self.hide_problem()
        sampling = self._sampling()
        options = RunOptions(mode=mode, sampling=sampling, max_tokens=self._max_tokens())
        request = RunRequest(question, options, notebook_id=self.notebook_id)
        view = self.conversation.add_live(question, mode)
        self.live_view = view
        try:
            self.active = self.session.start(
                request,
                on_event=self._post,
                on_recording=lambda r: r.notebook_id and self._recording_in.emit(r.notebook_id),
            )
        except AppError as exc:
            self.show_problem(exc.message)
            return
        view.run_id = self.active.run_id
        watcher = self.active

        def wait() -> None:
            watcher.wait()
            self._done_in.emit(watcher)

        run_in_background(wait, name="ii-run-watch")
        self.composer.set_running(True)
        self.stop_action.setEnabled(True)

    def _sampling(self) -> Sampling:
        from ii_desktop.engine.request import Sampling

        sampling = getattr(self.settings, "sampling", None)
        if sampling is None:
            return Sampling()
        return Sampling(
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            top_k=sampling.top_k,
            repetition_penalty=sampling.repetition_penalty,
        )

    def _max_tokens(self) -> int:
        sampling = getattr(self.settings, "sampling", None)
        return int(getattr(sampling, "max_tokens", 2048))

    def stop(self) -> None:
        if self.active is not None and not self.active.done():
            self.active.cancel()
            self.statusBar().showMessage("Stopping…", 3000)

    def _post(self, event: Event) -> None:
        """From a run thread: queue the event; wake the GUI thread if it was idle.

        Streamed text that arrives while the previous piece still waits joins it, so a
        flood of tokens costs the GUI thread one event per batch, not one per token."""
        with self._inbox_lock:
            wake = not self._inbox
            last = self._inbox[-1] if self._inbox else None
            if (
                isinstance(last, _Text)
                and type(event) is last.kind
                and getattr(event, "run_id", None) == last.run_id
            ):
                last.pieces.append(event.text)  # type: ignore[attr-defined]
            elif isinstance(event, (Answer, Reasoning)):
                self._inbox.append(_Text(type(event), event.run_id, [event.text]))
            else:
                self._inbox.append(event)
        if wake:
            self._event_in.emit(None)

    @Slot(object)
    def _drain(self, _: object = None) -> None:
        deadline = time.perf_counter() + DRAIN_BUDGET_S
        while True:
            with self._inbox_lock:
                if not self._inbox:
                    return
                item = self._inbox.popleft()
            self._on_event(item.event() if isinstance(item, _Text) else item)
            if time.perf_counter() > deadline:
                QTimer.singleShot(0, self._drain)  # let paint and input run first
                return

    def _on_event(self, event: Event) -> None:
        view = self.live_view
        if view is None or getattr(event, "run_id", None) != view.run_id:
            return  # a late event from an earlier run
        view.apply(event)
        if isinstance(event, Stats) and event.peak_memory_bytes:
            self._show_memory(event.peak_memory_bytes)
        self.run_event.emit(event)

    def _show_memory(self, peak: int) -> None:
        label = self._engine_text or self.engine_label.text()
        self.engine_label.setText(f"{label} · {peak / 1e9:.1f} GB peak memory")
        self.engine_label.setToolTip(
            "The most memory the model has used so far (weights, KV caches and work space)"
        )

    @Slot(object)
    def _on_done(self, active: ActiveRun) -> None:
        if active is not self.active:
            return
        with self._inbox_lock:
            pending = bool(self._inbox)
        if pending:  # the run's last events are still queued: show them first
            QTimer.singleShot(5, lambda: self._on_done(active))
            return
        self.composer.set_running(False)
        self.stop_action.setEnabled(False)
        if active.failure is not None and self.live_view is not None:
            from ii_desktop.agent.events import RunFinished

            message = str(active.failure)
            self.live_view.apply(RunFinished(active.run_id, "error", "", message))
        if active.save_problem:
            self.show_problem(active.save_problem)
        if active.notebook_id:
            self.notebook_id = active.notebook_id
            self.sidebar.refresh(select_id=active.notebook_id)
        self.run_finished.emit(active)
        self.use_pending_model()  # one the model manager made the default meanwhile

    def composer_edit(self, question: str, mode: str) -> None:
        self.composer.set_question(question, mode)

    # --- notebooks ------------------------------------------------------------------

    def new_notebook(self) -> None:
        if self.active is not None and not self.active.done():
            self.show_problem("A question is still being researched. Stop it first.")
            return
        self.notebook_id = None
        self.live_view = None
        self.conversation.clear()
        self.composer.edit.setFocus()

    def open_notebook(self, notebook_id: str) -> None:
        if notebook_id == self.notebook_id and self.conversation.views:
            return
        if self.active is not None and not self.active.done():
            self.show_problem("A question is still being researched. Stop it first.")
            return
        paths = self._paths

        def load() -> Any:
            from ii_desktop.notebooks import NotebookStore

            with NotebookStore.open(paths) as store:
                return store.runs(notebook_id), store.conversation(notebook_id).conversation_id

        def show(loaded: Any) -> None:
            records, conversation_id = loaded
            self.notebook_id = notebook_id
            self.live_view = None
            self.conversation.show_records(records)
            # bring the notebook's KV cache in (and finish a rewrite it was saved before)
            # while the user reads, so the follow-up prefills only its question
            preload = getattr(self.session.engine, "preload", None) if self.session else None
            if preload is not None and records:
                run_in_background(lambda: preload(conversation_id).result())

        def failed(exc: BaseException) -> None:
            self.show_problem(
                getattr(exc, "message", None) or f"Could not open the notebook: {exc}"
            )

        run_in_background(load, show, failed, name="ii-open-notebook")

    def _notebook_deleted(self, notebook_id: str) -> None:
        if notebook_id == self.notebook_id:
            self.new_notebook()

    def open_reader(self, page: dict[str, Any]) -> None:
        from ii_desktop.ui.reader import ReaderDialog

        if page.get("markdown"):  # a visit of this session: its page came with it
            _show_reader(ReaderDialog(page, self))
            return
        # a saved run's visit: the page's text is kept once, in the notebook's pages
        url, paths = str(page.get("url") or ""), self._paths

        def load() -> Any:
            from ii_desktop.notebooks import NotebookStore

            with NotebookStore.open(paths) as store:
                return store.page(url)

        def show(saved: Any) -> None:
            if saved is None and not page.get("text"):
                page["text"] = "This page was only seen in search results; it was never read."
            elif saved is not None:
                page.update(text=saved.model_text or saved.full_text, markdown=saved.markdown)
                page["title"] = saved.title or page.get("title")
            _show_reader(ReaderDialog(page, self))

        run_in_background(
            load, show, lambda exc: self.show_problem(f"Could not read the page: {exc}")
        )

    # --- messages -------------------------------------------------------------------

    def _trust_host(self, host: str) -> None:
        """The user chose to always open pages of ``host``: keep it in the settings."""
        tools = self.settings.tools
        if host in tools.trusted_hosts:
            return
        trusted = dataclasses.replace(tools, trusted_hosts=(*tools.trusted_hosts, host))
        self._apply_settings(dataclasses.replace(self.settings, tools=trusted))
        self.statusBar().showMessage(f"Pages of {host} will open without asking", 4000)

    def check_store(self) -> None:
        """The notebook database's full integrity check, in the background once per
        launch (it reads the whole file, so it is not done on every open)."""
        paths = self._paths

        def check() -> list[str]:
            from ii_desktop.notebooks import NotebookStore

            with NotebookStore.open(paths) as store:
                return store.problems()

        def report(found: list[str]) -> None:
            if found and not self._closing:
                self.show_problem(
                    "The notebook database is damaged (" + found[0] + "). Export the "
                    "notebooks you need now (File › Export Notebook); the damaged file is "
                    "set aside and a new one started when the app next finds it unreadable."
                )

        run_in_background(check, report, lambda exc: log.warning("store check: %s", exc))

    def show_problem(self, message: str, rich: bool = False) -> None:
        text = message if rich else html.escape(message)
        self.banner.setText(f"{text} &nbsp; <a href='dismiss'>Dismiss</a>")
        self.banner.show()

    def hide_problem(self) -> None:
        self.banner.hide()

    def _banner_link(self, link: str) -> None:
        if link == "settings":
            self.open_settings()
        self.hide_problem()

    def sidebar_has_items(self) -> bool:
        count = getattr(getattr(self.sidebar, "list", None), "count", None)
        return bool(count()) if callable(count) else True

    # --- state ------------------------------------------------------------------------

    def _window_state(self) -> QSettings:
        path = self._paths.data_dir / WINDOW_STATE_FILE
        return QSettings(str(path), QSettings.Format.IniFormat)

    def _restore_state(self) -> None:
        state = self._window_state()
        geometry = state.value(GEOMETRY_KEY)
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(default_size(self.screen().availableGeometry().size()))
        splitter = state.value(SPLITTER_KEY)
        if splitter is not None:
            self.splitter.restoreState(splitter)
        last = state.value(NOTEBOOK_KEY)
        self.sidebar.refresh(select_id=str(last) if last else None)
        if last and configured(self.settings):
            QTimer.singleShot(0, lambda: self.open_notebook(str(last)))

    def _save_state(self) -> None:
        state = self._window_state()
        state.setValue(GEOMETRY_KEY, self.saveGeometry())
        state.setValue(SPLITTER_KEY, self.splitter.saveState())
        state.setValue(NOTEBOOK_KEY, self.notebook_id or "")
        state.sync()
        if state.status() != QSettings.Status.NoError:
            log.warning("Could not save the window state to %s", state.fileName())

    def closeEvent(self, event: QCloseEvent) -> None:
        running = self.active is not None and not self.active.done()
        if running and not self._closing:
            stop = widgets.confirm(
                self,
                "Stop the research and close?",
                "A question is still being researched. What was found so far is kept in "
                "the notebook.",
                "Stop and Close",
                cancel="Keep Researching",
            )
            if not stop:
                event.ignore()
                return
        self._closing = True
        self._save_state()
        self.unwatch_models()
        self.consent.refuse_all()
        if self.active is not None:
            self.active.cancel()
            self.active.wait(CLOSE_WAIT_MS / 1000)
        if self.session is not None:
            self.session.close()
            self.session = None
        super().closeEvent(event)


def _show_reader(reader: QWidget) -> None:
    """A reader is a window of its own: the research window stays usable beside it."""
    reader.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    reader.setWindowFlag(Qt.WindowType.Window, True)
    reader.setProperty(OPENED_AT, time.monotonic())  # the Window menu lists in this order
    reader.show()
    reader.raise_()


@dataclass
class _Text:
    """Streamed text waiting in the inbox: consecutive pieces of one kind and run."""

    kind: type[Answer] | type[Reasoning]
    run_id: str
    pieces: list[str]

    def event(self) -> Answer | Reasoning:
        return self.kind(self.run_id, "".join(self.pieces))

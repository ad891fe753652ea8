"""The research window's engine: starting it in the background and applying settings.

``EngineStartup`` is a mixin of ``MainWindow``. The engine is built on a worker thread
after the window's first paint (what a run needs is imported there too); a change of
model or server in the settings closes the old engine and starts the new one.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt

from ii_desktop.core.errors import AppError
from ii_desktop.core.settings import AppPaths, ServerSettings, Settings, save_settings
from ii_desktop.ui.background import run_in_background

if TYPE_CHECKING:  # the research core loads after the window is shown
    from PySide6.QtCore import Signal
    from PySide6.QtWidgets import QLabel, QMainWindow, QProgressBar, QStackedWidget, QWidget

    from ii_desktop.engine.base import Engine
    from ii_desktop.research import ResearchSession
    from ii_desktop.research.session import ActiveRun
    from ii_desktop.ui.composer import Composer
    from ii_desktop.ui.conversation import ConversationView
    from ii_desktop.ui.first_run import FirstRunPage

    _Base = QMainWindow
else:
    _Base = object

EngineFactory = Callable[[Settings, AppPaths], "tuple[Engine, Any]"]


def build_engine(settings: Settings, paths: AppPaths) -> tuple[Engine, Any]:
    """The engine the settings ask for (the research core is imported on first call)."""
    from ii_desktop.research import build_engine as build

    return build(settings, paths)


def describe_engine(settings: Settings) -> str:
    from ii_desktop.research import describe_engine as describe

    return describe(settings)


def configured(settings: Settings) -> bool:
    """Whether a model or a model server has been chosen."""
    return bool(settings.server.enabled or settings.engine.model_path)


class EngineStartup(_Base):
    """The engine of ``MainWindow``, which provides what is declared here."""

    if TYPE_CHECKING:
        engine_ready: Signal
        settings: Settings
        session: ResearchSession | None
        _paths: AppPaths
        _engine_factory: EngineFactory
        _engine_error: str | None
        _engine_text: str
        _closing: bool
        engine_label: QLabel
        progress: QProgressBar
        composer: Composer
        conversation: ConversationView
        pages: QStackedWidget
        research_page: QWidget
        first_run: FirstRunPage
        active: ActiveRun | None

        def show_problem(self, message: str, rich: bool = False) -> None: ...

    def start_engine(self) -> None:
        """Build the engine in the background (the local model loads on its thread)."""
        if self.session is not None or self._closing:
            return
        settings, paths = self.settings, self._paths
        factory = self._engine_factory
        self._engine_error = None
        self.engine_label.setText(f"Loading {describe_engine(settings)}…")
        self.progress.setRange(0, 0)  # busy: mlx gives no load progress
        self.progress.show()
        started = time.monotonic()

        def build() -> tuple[Engine, Any]:
            # what a run needs is imported here, off the GUI thread, after the first paint
            import ii_desktop.agent.run
            import ii_desktop.research.session  # noqa: F401
            from ii_desktop.tools.reader import load_extractors

            load_extractors()

            engine, ready = factory(settings, paths)
            try:
                info = ready.result() if ready is not None else None
            except BaseException:
                engine.close()
                raise
            return engine, info

        def done(result: tuple[Engine, Any]) -> None:
            from ii_desktop.research import ResearchSession

            engine, info = result
            if self._closing:
                run_in_background(engine.close)
                return
            self.session = ResearchSession(
                paths,
                settings.tools,
                engine,
                consent=self.consent.ask,
                on_trust=self.consent.on_trust,
            )
            self.progress.hide()
            label = describe_engine(settings)
            if info is not None and getattr(info, "context_length", None):
                label += f" · {info.quantization} · {info.context_length:,} tokens"
                for note in getattr(info, "notes", ()):
                    self.show_problem(note)
            self._engine_text = label
            self.engine_label.setText(label)
            self.statusBar().showMessage(f"Model ready in {time.monotonic() - started:.1f} s", 4000)
            self.composer.set_ready(True)
            self.engine_ready.emit()

        def failed(exc: BaseException) -> None:
            self.progress.hide()
            message = (
                exc.message if isinstance(exc, AppError) else f"The model could not start: {exc}"
            )
            self._engine_error = message
            self.engine_label.setText("Model not loaded")
            self.show_problem(
                f"{html.escape(message)} <a href='settings'>Open Settings</a>", rich=True
            )

        run_in_background(build, done, failed, name="ii-engine-start")

    def use_model(self, path: str) -> None:
        self._apply_settings(
            Settings(
                engine=_replace(self.settings.engine, model_path=path),
                tools=self.settings.tools,
                server=ServerSettings(),
                ui=self.settings.ui,
                **_extra(self.settings),
            )
        )

    def use_server(self, server: ServerSettings) -> None:
        self._apply_settings(
            Settings(
                engine=self.settings.engine,
                tools=self.settings.tools,
                server=server,
                ui=self.settings.ui,
                **_extra(self.settings),
            )
        )

    def _apply_settings(self, settings: Settings, save: bool = True) -> None:
        if save:
            try:
                save_settings(self._paths, settings)
            except AppError as exc:
                self.show_problem(exc.message)
                return
        restart = settings.engine != self.settings.engine or settings.server != self.settings.server
        self.settings = settings
        self.conversation.fold_reasoning = settings.ui.fold_reasoning
        if not configured(settings):
            self.pages.setCurrentWidget(self.first_run)
            return
        self.pages.setCurrentWidget(self.research_page)
        if self.session is not None:
            self.session.tool_settings = settings.tools
        if restart or self.session is None:
            old, self.session = self.session, None
            self.composer.set_ready(False)
            if old is not None:
                run_in_background(old.close, lambda ok: self.start_engine(), name="ii-engine-stop")
            else:
                self.start_engine()

    def open_models(self) -> Any:
        """The model manager; a model it makes the default is used at once."""
        from ii_desktop.ui.model_manager import ModelManager

        dialog = ModelManager(self._paths, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()  # a default it chooses reaches use_model through watch_models
        return dialog

    def model_made_default(self, path: str) -> None:
        """The model manager made ``path`` the default: use it now, or, while a question
        is being researched, once that run ends (switching engines would stop it)."""
        if self.active is not None and not self.active.done():
            self._pending_model = path
            name = path.rstrip("/").rsplit("/", 1)[-1]
            self.statusBar().showMessage(
                f"{name} is ready; the window uses it once this question is answered"
            )
            return
        self._pending_model = None
        self.use_model(path)

    def use_pending_model(self) -> None:
        """After a run: the model the manager made the default while it ran."""
        path = getattr(self, "_pending_model", None)
        if path is not None:
            self._pending_model = None
            self.use_model(path)

    def unwatch_models(self) -> None:
        from ii_desktop.ui import model_jobs

        if getattr(self, "_models_watched", False):
            self._models_watched = False
            model_jobs.hub().default_changed.disconnect(self.model_made_default)

    def watch_models(self) -> None:
        """Use each model the model manager makes the default, whether or not its window
        is open, and continue the downloads that quitting cut off."""
        from ii_desktop.ui import model_jobs

        model_jobs.hub().default_changed.connect(self.model_made_default)
        self._models_watched = True
        jobs = model_jobs.resume_interrupted(self._paths)
        if jobs:
            names = ", ".join(job.name for job in jobs)
            self.statusBar().showMessage(
                f"Downloading {names} again from where it stopped (Edit > Models… shows it)",
                8000,
            )

    def open_settings(self) -> None:
        from ii_desktop.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self._paths, self.settings, self)
        dialog.saved.connect(lambda s: self._apply_settings(s, save=False))
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.open()


def _replace(settings: Any, **changes: Any) -> Any:
    import dataclasses

    return dataclasses.replace(settings, **changes)


def _extra(settings: Settings) -> dict[str, Any]:
    """Sections of Settings beyond engine, tools, server and ui, carried over as they are."""
    import dataclasses

    known = {"engine", "tools", "server", "ui"}
    return {
        f.name: getattr(settings, f.name)
        for f in dataclasses.fields(settings)
        if f.name not in known
    }

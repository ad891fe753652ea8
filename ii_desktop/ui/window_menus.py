"""The research window's menu bar: File, Edit, View, Research, Window and Help.

``WindowMenus`` is a mixin of ``MainWindow``: it builds the menus, keeps the Window menu
listing the open windows (as on a Mac) and holds the small commands only a menu offers
(zoom, bring all to front, about).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from ii_desktop.core.settings import APP_NAME

OPENED_AT = "ii_opened_at"  # a reader's opening time, for the Window menu's order

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow, QMenu

    from ii_desktop.ui.composer import Composer
    from ii_desktop.ui.conversation import ConversationView
    from ii_desktop.ui.sidebar import NotebookSidebar

    _Base = QMainWindow
else:
    _Base = object


class WindowMenus(_Base):
    """The menus of ``MainWindow``, which provides what is declared here."""

    if TYPE_CHECKING:
        sidebar: NotebookSidebar
        composer: Composer
        conversation: ConversationView

        def new_notebook(self) -> None: ...
        def open_settings(self) -> None: ...
        def open_models(self) -> None: ...
        def stop(self) -> None: ...

    new_action: QAction
    stop_action: QAction
    sidebar_action: QAction
    window_menu: QMenu

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.new_action = self._add(
            file_menu, "New Notebook", self.new_notebook, QKeySequence.StandardKey.New
        )
        self._add(file_menu, "Import Notebook…", lambda: self.sidebar.import_notebook())
        export = file_menu.addMenu("Export Notebook")
        for fmt, label in (
            ("md", "Markdown…"),
            ("html", "HTML…"),
            ("pdf", "PDF…"),
            ("json", "JSON…"),
        ):
            self._add(export, label, lambda f=fmt: self.sidebar.export_selected(f))
        file_menu.addSeparator()
        self._add(file_menu, "Close Window", self.close, QKeySequence.StandardKey.Close)
        quit_action = self._add(file_menu, "Quit", self.close, QKeySequence.StandardKey.Quit)
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)

        edit = bar.addMenu("&Edit")
        self._add(edit, "Copy Answer", self._copy_last_answer, "Ctrl+Shift+C")
        self._add(
            edit,
            "Find in Notebooks",
            lambda: self.sidebar.focus_search(),
            QKeySequence.StandardKey.Find,
        )
        settings = self._add(
            edit, "Settings…", self.open_settings, QKeySequence.StandardKey.Preferences
        )
        settings.setMenuRole(QAction.MenuRole.PreferencesRole)
        self._add(edit, "Models…", self.open_models, "Ctrl+Shift+M")

        view = bar.addMenu("&View")
        self.sidebar_action = self._add(view, "Show Notebooks", self._toggle_sidebar, "Ctrl+Alt+S")
        self.sidebar_action.setCheckable(True)
        self.sidebar_action.setChecked(True)
        self.sidebar_action.setMenuRole(QAction.MenuRole.NoRole)

        research = bar.addMenu("&Research")
        self._add(research, "Ask", lambda: self.composer._send(), "Ctrl+Return")
        self.stop_action = self._add(research, "Stop", self.stop, "Ctrl+.")
        self.stop_action.setEnabled(False)
        self._add(research, "Focus Question", lambda: self.composer.edit.setFocus(), "Ctrl+L")

        window = bar.addMenu("&Window")
        self._add(window, "Minimize", self.showMinimized, "Ctrl+M")
        self._add(window, "Zoom", self._zoom)
        window.addSeparator()
        self._add(window, "Bring All to Front", self._bring_all_to_front)
        window.addSeparator()
        self.window_menu = window
        self._window_actions: list[QAction] = []
        window.aboutToShow.connect(self._fill_window_menu)

        help_menu = bar.addMenu("&Help")
        about = self._add(help_menu, f"About {APP_NAME}", self._about)
        about.setMenuRole(QAction.MenuRole.AboutRole)
        self._add(
            help_menu,
            "Model Card",
            lambda: QDesktopServices.openUrl(
                QUrl("https://huggingface.co/Intelligent-Internet/II-Search-4B")
            ),
        )

    def _open_windows(self) -> list[QWidget]:
        """This window and the readers open beside it, in the order they were opened."""
        readers = [
            w
            for w in QApplication.topLevelWidgets()
            if w is not self and w.isVisible() and w.parent() is self and w.windowTitle()
        ]
        readers.sort(key=lambda w: float(w.property(OPENED_AT) or 0.0))
        return [self, *readers]

    def _fill_window_menu(self) -> None:
        """The Window menu lists each open window, the active one checked (as on a Mac)."""
        for action in self._window_actions:
            self.window_menu.removeAction(action)
            action.deleteLater()
        self._window_actions = []
        for w in self._open_windows():
            action = QAction(w.windowTitle(), self.window_menu)
            action.setCheckable(True)
            action.setChecked(w.isActiveWindow())
            action.triggered.connect(lambda *_, w=w: _bring_forward(w))
            self.window_menu.addAction(action)
            self._window_actions.append(action)

    def _bring_all_to_front(self) -> None:
        for w in self._open_windows():
            if w is not self:
                _bring_forward(w)
        _bring_forward(self)

    def _add(self, menu: Any, text: str, slot: Callable[[], Any], shortcut: Any = None) -> QAction:
        action = QAction(text, self)
        action.setMenuRole(QAction.MenuRole.NoRole)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda *_: slot())
        menu.addAction(action)
        return action

    def _copy_last_answer(self) -> None:
        if self.conversation.views:
            self.conversation.views[-1].copy_answer()

    def _toggle_sidebar(self) -> None:
        self.sidebar.setVisible(not self.sidebar.isVisible())
        self.sidebar_action.setChecked(self.sidebar.isVisible())

    def _zoom(self) -> None:
        if self.isMaximized():
            self.showNormal()
        else:
            self.showMaximized()

    def _about(self) -> None:
        QMessageBox.about(
            self,
            f"About {APP_NAME}",
            "A private research assistant around the open model II-Search-4B. It searches "
            "the web, reads pages and answers with numbered sources; notebooks stay on "
            "this computer.",
        )


def _bring_forward(window: QWidget) -> None:
    if window.isMinimized():
        window.showNormal()
    window.raise_()
    window.activateWindow()

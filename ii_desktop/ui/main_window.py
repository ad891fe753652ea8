"""The main window: says whether a model is set up and holds the question box.

The engine is not connected yet, so the window only reports the state it finds in
the settings and keeps the question box off until a model is chosen.
"""

from __future__ import annotations

import html
import logging

from PySide6.QtCore import QSettings, QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ii_desktop.core.settings import APP_NAME, AppPaths, load_settings

log = logging.getLogger(__name__)

DEFAULT_SIZE = QSize(1100, 720)
WINDOW_STATE_FILE = "window.ini"
GEOMETRY_KEY = "main_window/geometry"


def default_size(available: QSize) -> QSize:
    """The first-run window size: DEFAULT_SIZE, shrunk to fit a small screen."""
    return DEFAULT_SIZE.boundedTo(available * 0.9)


class MainWindow(QMainWindow):
    """The app's only window for now.

    Args:
        paths: Where the app's data lives; settings and window state are read from it.

    Signals:
        question_asked(str): The user asked a question (text stripped, never empty).
    """

    question_asked = Signal(str)

    def __init__(self, paths: AppPaths, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._paths = paths
        self._model_path = load_settings(paths).engine.model_path
        self.setWindowTitle(APP_NAME)
        self.setCentralWidget(self._build_body())
        self._show_state()
        self._restore_geometry()

    def _build_body(self) -> QWidget:
        self.header = QLabel("II-Search research assistant")
        font = QFont(self.header.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.header.setFont(font)

        self.state_view = QTextBrowser()
        self.state_view.setOpenLinks(False)
        self.state_view.document().setDocumentMargin(14)

        self.data_dir_label = QLabel(f"Data folder: {self._paths.data_dir}")
        self.data_dir_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.question_input = QLineEdit()
        self.question_input.setPlaceholderText("Ask a research question…")
        self.question_input.setClearButtonEnabled(True)
        self.ask_button = QPushButton("Ask")
        self.ask_button.setDefault(True)
        self.question_input.returnPressed.connect(self._ask)
        self.ask_button.clicked.connect(self._ask)

        ask_row = QHBoxLayout()
        ask_row.addWidget(self.question_input, stretch=1)
        ask_row.addWidget(self.ask_button)

        layout = QVBoxLayout()
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(12)
        layout.addWidget(self.header)
        layout.addWidget(self.state_view, stretch=1)
        layout.addWidget(self.data_dir_label)
        layout.addLayout(ask_row)
        body = QWidget()
        body.setLayout(layout)
        return body

    @property
    def model_ready(self) -> bool:
        """Whether settings name a model, so questions can be asked."""
        return bool(self._model_path)

    def _show_state(self) -> None:
        settings_file = html.escape(str(self._paths.settings_file))
        if self.model_ready:
            model = html.escape(str(self._model_path))
            self.state_view.setHtml(
                f"<h3>Model</h3><p><code>{model}</code></p><p>Type a research question below.</p>"
            )
            self.statusBar().showMessage("Model chosen; the research engine is not connected yet.")
        else:
            self.state_view.setHtml(
                "<h3>No model chosen yet</h3>"
                "<p>Questions are answered by the local II-Search-4B model, so one has to be "
                "chosen before you can ask anything.</p>"
                "<p>Set <code>engine.model_path</code> to the model folder in "
                f"<code>{settings_file}</code>, then reopen the app. To check a folder first, "
                "run <code>ii-desktop model check DIR</code>.</p>"
            )
            self.statusBar().showMessage("No model chosen")
        self.question_input.setEnabled(self.model_ready)
        self.ask_button.setEnabled(self.model_ready)

    def _ask(self) -> None:
        question = self.question_input.text().strip()
        if not self.model_ready or not question:
            return
        self.question_asked.emit(question)
        self.statusBar().showMessage("The research engine is not connected yet.")

    # Window geometry lives in the data folder, not the platform's settings store,
    # so every data folder (and every test) keeps its own.
    def _window_state(self) -> QSettings:
        path = self._paths.data_dir / WINDOW_STATE_FILE
        return QSettings(str(path), QSettings.Format.IniFormat)

    def _restore_geometry(self) -> None:
        geometry = self._window_state().value(GEOMETRY_KEY)
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(default_size(self.screen().availableGeometry().size()))

    def _save_geometry(self) -> None:
        state = self._window_state()
        state.setValue(GEOMETRY_KEY, self.saveGeometry())
        state.sync()
        if state.status() != QSettings.Status.NoError:
            log.warning("Could not save the window size to %s", state.fileName())

    def closeEvent(self, event: QCloseEvent) -> None:
        self._save_geometry()
        super().closeEvent(event)

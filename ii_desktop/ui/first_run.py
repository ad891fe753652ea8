"""The first-run page: shown in the main window while no model is set up.

Three ways in, one card each: a model folder on this Mac (checked and sized before it
is used), an OpenAI-compatible model server, or how to make the 4-bit copy of
II-Search-4B once. The page only says what was chosen (``model_chosen``,
``server_chosen``); the window saves it and starts the engine.
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QGuiApplication, QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ii_desktop.core.errors import AppError
from ii_desktop.core.settings import ServerSettings
from ii_desktop.engine.model_files import ModelFolder
from ii_desktop.tools import secrets
from ii_desktop.ui import theme
from ii_desktop.ui.settings_dialog import (
    NO_KEYCHAIN_TEXT,
    FolderProblem,
    check_folder_field,
    check_server_url,
    extra_style,
    format_bytes,
    memory_report,
    model_setting,
)

STACK_BELOW_WIDTH = 900  # narrower than this, the cards stack
MAX_CONTENT_WIDTH = 1120
MODEL_CHECK_DELAY_MS = 400
KEYCHAIN_CHECK_DELAY_MS = 300  # after the first paint: finding keyring's backends is slow
_QUANT = re.compile(r"(\d+)bit-g(\d+)")


def describe_quantization(folder: ModelFolder) -> str:
    """``4-bit (groups of 64)`` for quantized weights, else the weights' type."""
    found = _QUANT.fullmatch(folder.quantization)
    if found:
        return f"{found.group(1)}-bit (groups of {found.group(2)})"
    return f"{folder.quantization}, not quantized"


def _label(text: str = "", role: str = "") -> QLabel:
    label = QLabel(text)
    if role:
        label.setObjectName(role)
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    return label


def _field_label(text: str, buddy: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(buddy)
    return label


def _restyle(widget: QWidget) -> None:
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class FirstRunPage(QWidget):
    """Set up the model: a folder on this Mac, a model server, or how to get the model.

    Signals:
        model_chosen(str): A checked model folder (its absolute path, or the Hugging
            Face id typed for a cached copy); emitted by "Use this model".
        server_chosen(ServerSettings): A model server, ``enabled=True``; its API key,
            when one was typed, is already in the keychain.
    """

    model_chosen = Signal(str)
    server_chosen = Signal(object)
    models_requested = Signal()  # open the model manager (download and quantize)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._folder: ModelFolder | None = None
        self._checked_text: str | None = None
        self._keychain = True  # checked once the window has painted (keyring is slow)
        self._model_timer = QTimer(self)
        self._model_timer.setSingleShot(True)
        self._model_timer.setInterval(MODEL_CHECK_DELAY_MS)
        self._model_timer.timeout.connect(self._check_typed_folder)
        self._apply_style()
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._apply_style)

        self.title = QLabel("Set up II-Search-4B")
        self.title.setObjectName("title")
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.9)
        font.setBold(True)
        self.title.setFont(font)
        self.intro = _label(
            "ii-desktop answers research questions with II-Search-4B, a small model that "
            "searches the web, reads pages and cites its sources. Tell it where the model is; "
            "you can change this later in Settings.",
            "muted",
        )
        self.intro.setMaximumWidth(680)
        self.intro.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        intro_row = QHBoxLayout()
        intro_row.addStretch(1)
        intro_row.addWidget(self.intro, stretch=100)
        intro_row.addStretch(1)
        # what in settings.json was not used (the file itself is never changed for it)
        self.settings_note = _label("", "warn")
        self.settings_note.setAccessibleName("Problems in the settings file")
        self.settings_note.setTextFormat(Qt.TextFormat.PlainText)
        self.settings_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.settings_note.setMaximumWidth(680)
        self.settings_note.hide()
        note_row = QHBoxLayout()
        note_row.addStretch(1)
        note_row.addWidget(self.settings_note, stretch=100)
        note_row.addStretch(1)

        self.cards = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.cards.setSpacing(16)
        self.folder_card = self._build_folder_card()
        self.server_card = self._build_server_card()
        self.download_card = self._build_download_card()
        for card in (self.folder_card, self.server_card, self.download_card):
            self.cards.addWidget(card, stretch=1)

        column = QWidget()
        column.setObjectName("firstRunContent")
        column.setMaximumWidth(MAX_CONTENT_WIDTH)
        body = QVBoxLayout(column)
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(10)
        body.addStretch(2)
        body.addWidget(self.title, alignment=Qt.AlignmentFlag.AlignHCenter)
        body.addLayout(intro_row)
        body.addLayout(note_row)
        body.addSpacing(22)
        body.addLayout(self.cards)
        body.addStretch(3)

        content = QWidget()
        content.setObjectName("firstRunContent")
        centre = QHBoxLayout(content)
        centre.setContentsMargins(40, 32, 40, 32)
        centre.addStretch(0)
        centre.addWidget(column, stretch=1)
        centre.addStretch(0)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        scroll.viewport().setAutoFillBackground(False)
        content.setAutoFillBackground(False)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    # --- building ----------------------------------------------------------------

    def _apply_style(self) -> None:
        c = theme.colors()
        self.setStyleSheet(
            theme.stylesheet(c)
            + extra_style(c)
            + f"""
QWidget#firstRunContent {{ background: transparent; }}
QLabel#cardTitle {{ font-weight: 600; }}
QPlainTextEdit#command {{
    background: {c.code}; border: 1px solid {c.border}; border-radius: 6px; padding: 4px;
}}
"""
        )

    def _card(self, title: str, text: str) -> tuple[QFrame, QVBoxLayout]:
        card = QFrame()
        card.setObjectName("card")
        card.setMinimumWidth(260)
        layout = QVBoxLayout(card)
        layout.setContentsMargins(20, 18, 20, 18)
        layout.setSpacing(10)
        heading = QLabel(title)
        heading.setObjectName("cardTitle")
        font = QFont(heading.font())
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        heading.setFont(font)
        heading.setWordWrap(True)
        layout.addWidget(heading)
        layout.addWidget(_label(text, "muted"))
        return card, layout

    def _build_folder_card(self) -> QFrame:
        card, layout = self._card(
            "Use a model folder on this Mac",
            "A Qwen3 model in MLX format, such as a 4-bit copy of II-Search-4B. Questions and "
            "pages never leave this Mac.",
        )
        self.folder_edit = QLineEdit()
        self.folder_edit.setAccessibleName("Model folder")
        self.folder_edit.setPlaceholderText("Paste a folder path")
        self.folder_edit.setClearButtonEnabled(True)
        self.folder_edit.textEdited.connect(self._folder_text_edited)
        self.folder_edit.returnPressed.connect(self._check_typed_folder)
        self.folder_edit.editingFinished.connect(self._check_if_changed)
        self.choose_button = QPushButton("Choose…")
        self.choose_button.setAccessibleName("Choose the model folder")
        self.choose_button.clicked.connect(self._choose_with_dialog)
        row = QHBoxLayout()
        row.setSpacing(8)
        row.addWidget(self.folder_edit, stretch=1)
        row.addWidget(self.choose_button)
        layout.addSpacing(4)
        layout.addLayout(row)

        self.folder_details = QWidget()
        grid = QGridLayout(self.folder_details)
        grid.setContentsMargins(0, 4, 0, 0)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(4)
        self.model_name_label = QLabel()
        self.quantization_label = QLabel()
        self.memory_label = _label()
        self.context_label = _label()
        rows = (
            ("Model", self.model_name_label),
            ("Weights", self.quantization_label),
            ("Memory", self.memory_label),
            ("Context", self.context_label),
        )
        for i, (name, value) in enumerate(rows):
            key = QLabel(name)
            key.setObjectName("muted")
            key.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            value.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(key, i, 0)
            grid.addWidget(value, i, 1)
        grid.setColumnStretch(1, 1)
        self.folder_details.hide()
        layout.addWidget(self.folder_details)

        self.folder_message = _label("", "error")
        self.folder_message.setAccessibleName("Model folder check")
        self.folder_message.hide()
        layout.addWidget(self.folder_message)
        layout.addStretch(1)

        self.use_button = QPushButton("Use this model")
        self.use_button.setObjectName("primary")
        self.use_button.setAccessibleName("Use this model")
        self.use_button.setEnabled(False)
        self.use_button.clicked.connect(self.use_model)
        layout.addWidget(self.use_button, alignment=Qt.AlignmentFlag.AlignRight)
        return card

    def _build_server_card(self) -> QFrame:
        card, layout = self._card(
            "Connect to a model server",
            "II-Search-4B served by vLLM, SGLang, LM Studio, Ollama or another "
            "OpenAI-compatible server.",
        )
        self.url_edit = QLineEdit()
        self.url_edit.setAccessibleName("Model server URL")
        self.url_edit.setPlaceholderText("http://localhost:8000/v1")
        self.name_edit = QLineEdit()
        self.name_edit.setAccessibleName("Model name on the server")
        self.name_edit.setPlaceholderText("II-Search-4B")
        self.key_edit = QLineEdit()
        self.key_edit.setAccessibleName("Model server API key (optional)")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("Only if the server asks for one")
        self.key_edit.setEnabled(self._keychain)
        grid = QGridLayout()
        grid.setContentsMargins(0, 4, 0, 0)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(8)
        for i, (text, edit) in enumerate(
            (("URL", self.url_edit), ("Model", self.name_edit), ("API key", self.key_edit))
        ):
            label = _field_label(text, edit)
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            grid.addWidget(label, i, 0)
            grid.addWidget(edit, i, 1)
            edit.returnPressed.connect(self._connect_clicked)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)
        self.key_note = _label("", "warn")
        self.key_note.hide()
        layout.addWidget(self.key_note)
        self._keychain_timer = QTimer(self)  # dies with the page: never fires into a closed one
        self._keychain_timer.setSingleShot(True)
        self._keychain_timer.timeout.connect(self.check_keychain)
        self._keychain_timer.start(KEYCHAIN_CHECK_DELAY_MS)
        self.server_message = _label("", "error")
        self.server_message.hide()
        layout.addWidget(self.server_message)
        layout.addStretch(1)

        self.connect_button = QPushButton("Connect")
        self.connect_button.setObjectName("primary")
        self.connect_button.setAccessibleName("Connect to the model server")
        self.connect_button.clicked.connect(self._connect_clicked)
        layout.addWidget(self.connect_button, alignment=Qt.AlignmentFlag.AlignRight)
        return card

    def _build_download_card(self) -> QFrame:
        card, layout = self._card(
            "Download the model",
            "No copy yet? Download II-Search-4B (about 8 GB, resumable) and make a 4-bit copy "
            "on this Mac (about 2.3 GB). Nothing is downloaded until you ask.",
        )
        # a download started earlier (or resumed at start) shows here while it runs
        self.download_status = _label("", "muted")
        self.download_status.hide()
        layout.addWidget(self.download_status)
        layout.addStretch(1)
        self.download_button = QPushButton("Download…")
        self.download_button.setAccessibleName("Open the model manager to download the model")
        self.download_button.clicked.connect(self.models_requested.emit)
        layout.addWidget(self.download_button, alignment=Qt.AlignmentFlag.AlignRight)
        self._jobs_timer = QTimer(self)  # a child: it dies with the page
        self._jobs_timer.setInterval(500)
        self._jobs_timer.timeout.connect(self.show_model_jobs)
        self._jobs_timer.start()
        return card

    def show_model_jobs(self) -> None:
        """Say what the model manager is doing (a download, a copy) while it does it."""
        if not self.isVisible():
            return
        from ii_desktop.ui.model_jobs import describe_progress, running_jobs

        jobs = running_jobs()
        if not jobs:
            if self.download_status.isVisible():
                self.download_status.hide()
                self.download_button.setText("Download…")
            return
        job = jobs[0]
        verb = "Downloading" if job.kind == "download" else "Making a copy:"
        self.download_status.setText(f"{verb} {job.name}. {describe_progress(job.last)}")
        self.download_status.show()
        self.download_button.setText("Show Progress…")

    def resizeEvent(self, event: QResizeEvent) -> None:
        narrow = event.size().width() < STACK_BELOW_WIDTH
        direction = QBoxLayout.Direction.TopToBottom if narrow else QBoxLayout.Direction.LeftToRight
        if self.cards.direction() != direction:
            self.cards.setDirection(direction)
        super().resizeEvent(event)

    def show_settings_problems(self, problems: list[str]) -> None:
        """Say above the cards what in the settings file could not be used."""
        self._say(self.settings_note, "\n".join(problems), "warn")

    # --- a model folder ------------------------------------------------------------

    def choose_folder(self, path: str) -> bool:
        """Check ``path`` as the Choose… button does; whether it can be used.

        A usable folder shows its name, weights, memory and longest context and turns on
        "Use this model"; any other shows why in plain words.
        """
        self.folder_edit.setText(path)
        return self._check_folder(path)

    def _choose_with_dialog(self) -> None:
        start = self.folder_edit.text().strip()
        if not start or not Path(start).expanduser().is_dir():
            start = str(Path.home())
        chosen = QFileDialog.getExistingDirectory(self, "Choose the model folder", start)
        if chosen:
            self.choose_folder(chosen)

    def _folder_text_edited(self) -> None:
        self._checked_text = None
        self._folder = None
        self.use_button.setEnabled(False)
        self._model_timer.start()

    def _check_if_changed(self) -> None:
        if self._checked_text != self.folder_edit.text().strip():
            self._check_typed_folder()

    def _check_typed_folder(self) -> None:
        if self.folder_edit.text().strip():
            self._check_folder(self.folder_edit.text())

    def _check_folder(self, path: str) -> bool:
        self._model_timer.stop()
        self._checked_text = path.strip()
        self._folder = None
        self.use_button.setEnabled(False)
        self.folder_message.setToolTip("")
        try:
            folder = check_folder_field(path)
            report = memory_report(folder, None, None, False)
        except AppError as exc:
            self.folder_details.hide()
            self._say(self.folder_message, exc.message, "error")
            if isinstance(exc, FolderProblem):
                self.folder_message.setToolTip(exc.detail)
            return False
        self._folder = folder
        est = report.estimate
        self.model_name_label.setText(folder.name)
        self.quantization_label.setText(
            f"{describe_quantization(folder)} · {format_bytes(est.weights)}"
        )
        self.memory_label.setText(f"{format_bytes(est.total)} at {report.context:,} tokens")
        if report.fits:
            self.context_label.setText(f"Up to {report.fits:,} tokens fit this Mac")
        else:
            self.context_label.setText("—")
        self.folder_details.show()
        if report.fits == 0:
            self._say(
                self.folder_message,
                "This Mac's memory cannot hold the weights; expect it to be very slow.",
                "warn",
            )
        else:
            self._say(self.folder_message, "")
        self.use_button.setEnabled(True)
        return True

    def use_model(self) -> None:
        """Check the folder again (it may have moved since) and emit ``model_chosen`` for
        it; nothing when it cannot be used."""
        if not self._check_folder(self.folder_edit.text()) or self._folder is None:
            return
        self.model_chosen.emit(model_setting(self.folder_edit.text(), self._folder))

    # --- a model server ------------------------------------------------------------

    def check_keychain(self) -> None:
        """Whether API keys can be stored here; without a keychain the key field is off
        and a note says which environment variable to set instead."""
        self._keychain = secrets.keychain_available()
        self.key_edit.setEnabled(self._keychain)
        if self._keychain:
            self.key_note.hide()
        else:
            self.key_note.setText(NO_KEYCHAIN_TEXT.format(names=secrets.env_var("openai")))
            self.key_note.show()

    def connect_server(self, url: str, name: str, key: str = "") -> bool:
        """Fill in the server card and press Connect; whether ``server_chosen`` was emitted."""
        self.url_edit.setText(url)
        self.name_edit.setText(name)
        self.check_keychain()
        if self._keychain or not key:
            self.key_edit.setText(key)
        return self._connect(key)

    def _connect_clicked(self) -> None:
        self._connect(self.key_edit.text())

    def _connect(self, key: str) -> bool:
        url = self.url_edit.text().strip()
        name = self.name_edit.text().strip()
        key = key.strip()
        try:
            if not url:
                raise AppError("Enter the server's URL, like http://localhost:8000/v1.")
            check_server_url(url)
            server = ServerSettings(enabled=True, base_url=url, model_name=name)
            if key:
                secrets.set_api_key("openai", key)
        except AppError as exc:
            self._say(self.server_message, exc.message, "error")
            return False
        self.key_edit.clear()
        if key:
            self.key_edit.setPlaceholderText("•••• stored in the keychain")
        self._say(self.server_message, "")
        self.server_chosen.emit(server)
        return True

    # --- getting the model -------------------------------------------------------------

    def _say(self, label: QLabel, text: str, role: str = "error") -> None:
        label.setObjectName(role)
        label.setText(text)
        label.setVisible(bool(text))
        _restyle(label)

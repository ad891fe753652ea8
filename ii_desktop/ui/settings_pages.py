"""The Settings dialog's six pages: Model, Sampling, Search, Network, Server and Window.

``SettingsPages`` is a mixin of ``SettingsDialog`` that builds each tab's form: its
fields with their accessible names, and the notes under them. It only lays them out;
loading, checking and saving the values is the dialog's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ii_desktop.core.settings import (
    DEFAULT_REPETITION_PENALTY,
    DEFAULT_TEMPERATURE,
    DEFAULT_TOP_K,
    DEFAULT_TOP_P,
    LONG_CONTEXT_MAX,
)
from ii_desktop.tools import secrets
from ii_desktop.ui.settings_providers import SEARCH_KEYS, SERVER_KEY
from ii_desktop.ui.widgets import ComboBox, DoubleSpinBox, SpinBox

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDialog, QListWidgetItem

    _Base = QDialog
else:
    _Base = object

KV_BITS_LABELS = ("Full precision", "8-bit", "4-bit")  # same order as KV_BITS_CHOICES
KEY_LABELS = {"serper": "Serper key:", "tavily": "Tavily key:", "brave": "Brave key:"}
SERVER_CONTEXT_MAX = 1_048_576
MARGIN = 20


def text_label(text: str, role: str = "muted") -> QLabel:
    label = QLabel(text)
    label.setObjectName(role)
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    return label


def _form() -> tuple[QWidget, QFormLayout]:
    page = QWidget()
    outer = QVBoxLayout(page)
    outer.setContentsMargins(MARGIN, MARGIN + 4, MARGIN, MARGIN)
    form = QFormLayout()
    outer.addLayout(form)
    outer.addStretch(1)
    form.setHorizontalSpacing(14)
    form.setVerticalSpacing(12)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    form.setFormAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
    return page, form


def _row(*widgets: QWidget, stretch: bool = False) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(8)
    for widget in widgets:
        row.addWidget(widget)
    if stretch:
        row.addStretch(1)
    return row


class SettingsPages(_Base):
    """The tabs of ``SettingsDialog``, which provides what is declared here."""

    if TYPE_CHECKING:
        _keychain: bool

        def _model_text_edited(self) -> None: ...
        def _check_model_now(self) -> None: ...
        def _choose_folder(self) -> None: ...
        def _open_models(self) -> None: ...
        def _update_memory(self) -> None: ...
        def _long_context_toggled(self) -> None: ...
        def restore_sampling_defaults(self) -> None: ...
        def _provider_toggled(self, item: QListWidgetItem) -> None: ...
        def _update_move_buttons(self) -> None: ...
        def move_provider(self, step: int) -> None: ...
        def remove_key(self, provider: str) -> None: ...
        def _show_key_state(self, provider: str) -> None: ...

    def _build_model_tab(self) -> QWidget:
        page, form = _form()
        self.model_edit = QLineEdit()
        self.model_edit.setAccessibleName("Model folder")
        self.model_edit.setPlaceholderText("A Qwen3 MLX model folder, such as ii-search-4b-4bit")
        self.model_edit.setClearButtonEnabled(True)
        self.model_edit.textEdited.connect(self._model_text_edited)
        self.model_edit.editingFinished.connect(self._check_model_now)
        self.choose_button = QPushButton("Choose…")
        self.choose_button.setAccessibleName("Choose the model folder")
        self.choose_button.setAutoDefault(False)
        self.choose_button.clicked.connect(self._choose_folder)
        self.models_button = QPushButton("Models…")
        self.models_button.setAccessibleName("Open the model manager")
        self.models_button.setToolTip("Download, quantize, choose or remove models")
        self.models_button.setAutoDefault(False)
        self.models_button.clicked.connect(self._open_models)
        self.model_status = text_label("")
        self.model_status.setAccessibleName("Model folder check")
        folder_box = QVBoxLayout()
        folder_box.setSpacing(6)
        folder_box.addLayout(_row(self.model_edit, self.choose_button, self.models_button))
        folder_box.addWidget(self.model_status)
        form.addRow("Model folder:", folder_box)

        self.context_spin = SpinBox()
        self.context_spin.setAccessibleName("Context length")
        self.context_spin.setRange(0, LONG_CONTEXT_MAX)
        self.context_spin.setSingleStep(1024)
        self.context_spin.setSpecialValueText("Model's limit")
        self.context_spin.setSuffix(" tokens")
        self.context_spin.setGroupSeparatorShown(True)
        self.context_spin.setMinimumWidth(170)
        self.context_spin.valueChanged.connect(self._update_memory)
        form.addRow("Context length:", self.context_spin)

        self.long_context_check = QCheckBox("Long context (YaRN, up to 131,072 tokens)")
        self.long_context_check.setAccessibleName("Long context (YaRN)")
        self.long_context_check.toggled.connect(self._long_context_toggled)
        form.addRow("", self.long_context_check)

        self.kv_combo = ComboBox()
        self.kv_combo.setAccessibleName("KV cache precision")
        self.kv_combo.addItems(list(KV_BITS_LABELS))
        self.kv_combo.currentIndexChanged.connect(self._update_memory)
        kv_box = QVBoxLayout()
        kv_box.setSpacing(6)
        kv_box.addLayout(_row(self.kv_combo, stretch=True))
        kv_box.addWidget(text_label("8-bit and 4-bit caches hold longer contexts in less memory."))
        form.addRow("KV cache:", kv_box)

        self.memory_label = text_label("")
        self.memory_label.setAccessibleName("Memory needed")
        self.memory_label.setTextFormat(Qt.TextFormat.PlainText)
        form.addRow("Memory:", self.memory_label)
        return page

    def _build_sampling_tab(self) -> QWidget:
        page, form = _form()
        self.temperature_spin = self._double_spin("Temperature", 0.0, 2.0, 0.05)
        self.top_p_spin = self._double_spin("Top-p", 0.01, 1.0, 0.05)
        self.top_k_spin = SpinBox()
        self.top_k_spin.setAccessibleName("Top-k")
        self.top_k_spin.setRange(0, 1000)
        self.top_k_spin.setSpecialValueText("Off")
        self.top_k_spin.setMinimumWidth(110)
        self.penalty_spin = self._double_spin("Repetition penalty", 0.5, 2.0, 0.05)
        self.max_tokens_spin = SpinBox()
        self.max_tokens_spin.setAccessibleName("Maximum tokens per turn")
        self.max_tokens_spin.setRange(1, LONG_CONTEXT_MAX)
        self.max_tokens_spin.setSingleStep(256)
        self.max_tokens_spin.setSuffix(" tokens")
        self.max_tokens_spin.setGroupSeparatorShown(True)
        self.max_tokens_spin.setMinimumWidth(140)
        form.addRow("Temperature:", self.temperature_spin)
        form.addRow("Top-p:", self.top_p_spin)
        form.addRow("Top-k:", self.top_k_spin)
        form.addRow("Repetition penalty:", self.penalty_spin)
        form.addRow("Tokens per turn:", self.max_tokens_spin)

        self.restore_button = QPushButton("Restore the model card's defaults")
        self.restore_button.setAccessibleName("Restore the model card's sampling defaults")
        self.restore_button.setAutoDefault(False)
        self.restore_button.clicked.connect(self.restore_sampling_defaults)
        box = QVBoxLayout()
        box.setSpacing(6)
        box.addLayout(_row(self.restore_button, stretch=True))
        box.addWidget(
            text_label(
                f"II-Search-4B's card recommends temperature {DEFAULT_TEMPERATURE}, top-p "
                f"{DEFAULT_TOP_P}, top-k {DEFAULT_TOP_K} and repetition penalty "
                f"{DEFAULT_REPETITION_PENALTY}. Temperature 0 always picks the likeliest word."
            )
        )
        form.addRow("", box)
        return page

    def _double_spin(self, name: str, low: float, high: float, step: float) -> QDoubleSpinBox:
        spin = DoubleSpinBox()
        spin.setAccessibleName(name)
        spin.setDecimals(2)
        spin.setRange(low, high)
        spin.setSingleStep(step)
        spin.setMinimumWidth(110)
        return spin

    def _build_search_tab(self) -> QWidget:
        page, form = _form()
        self.provider_list = QListWidget()
        self.provider_list.setObjectName("providers")
        self.provider_list.setAccessibleName("Search providers, in the order they are tried")
        self.provider_list.itemChanged.connect(self._provider_toggled)
        self.provider_list.currentRowChanged.connect(self._update_move_buttons)
        self.up_button = QPushButton("Move up")
        self.up_button.setAccessibleName("Move the search provider up")
        self.up_button.setAutoDefault(False)
        self.up_button.clicked.connect(lambda: self.move_provider(-1))
        self.down_button = QPushButton("Move down")
        self.down_button.setAccessibleName("Move the search provider down")
        self.down_button.setAutoDefault(False)
        self.down_button.clicked.connect(lambda: self.move_provider(1))
        self.providers_note = text_label(
            "Checked providers are tried from the top; when one fails the next is used."
        )
        box = QVBoxLayout()
        box.setSpacing(6)
        box.addWidget(self.provider_list)
        box.addLayout(_row(self.up_button, self.down_button, stretch=True))
        box.addWidget(self.providers_note)
        form.addRow("Search with:", box)

        self.searxng_edit = QLineEdit()
        self.searxng_edit.setAccessibleName("SearXNG URL")
        self.searxng_edit.setPlaceholderText("https://searx.example.org")
        form.addRow("SearXNG URL:", self.searxng_edit)

        self.key_edits: dict[str, QLineEdit] = {}
        self.key_remove_buttons: dict[str, QPushButton] = {}
        for provider in SEARCH_KEYS:
            form.addRow(KEY_LABELS[provider], self._key_row(provider))
        self.keys_note = text_label("")
        form.addRow("", self.keys_note)
        return page

    def _key_row(self, provider: str) -> QHBoxLayout:
        label = secrets.KEYED_PROVIDERS[provider]
        if provider == SERVER_KEY:
            label = "model server"
        edit = QLineEdit()
        edit.setAccessibleName(f"{label} API key")
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.setEnabled(self._keychain)
        remove = QPushButton("Remove")
        remove.setAccessibleName(f"Remove the {label} API key from the keychain")
        remove.setAutoDefault(False)
        remove.clicked.connect(lambda: self.remove_key(provider))
        self.key_edits[provider] = edit
        self.key_remove_buttons[provider] = remove
        self._show_key_state(provider)
        return _row(edit, remove)

    def _build_network_tab(self) -> QWidget:
        page, form = _form()
        self.hosts_edit = QPlainTextEdit()
        self.hosts_edit.setAccessibleName("Allowed hosts, one per line")
        self.hosts_edit.setPlaceholderText("localhost:8080\nwiki.internal")
        self.hosts_edit.setTabChangesFocus(True)
        self.hosts_edit.setFixedHeight(110)
        box = QVBoxLayout()
        box.setSpacing(6)
        box.addWidget(self.hosts_edit)
        box.addWidget(
            text_label(
                "One per line, as host or host:port. Pages on these hosts are read even when "
                "they are on your private network."
            )
        )
        form.addRow("Allowed hosts:", box)

        self.private_check = QCheckBox("Allow pages on my private network")
        self.private_check.setAccessibleName("Allow pages on my private network")
        warn = text_label(
            "The research tools could then open anything on your home or office network, "
            "such as routers and internal sites. Leave this off unless you need it.",
            "warn",
        )
        private_box = QVBoxLayout()
        private_box.setSpacing(6)
        private_box.addWidget(self.private_check)
        private_box.addWidget(warn)
        form.addRow("", private_box)
        return page

    def _build_server_tab(self) -> QWidget:
        page, form = _form()
        self.server_check = QCheckBox("Use a model server instead of the local model")
        self.server_check.setAccessibleName("Use a model server instead of the local model")
        form.addRow("", self.server_check)
        self.server_url_edit = QLineEdit()
        self.server_url_edit.setAccessibleName("Model server URL")
        self.server_url_edit.setPlaceholderText("http://localhost:8000/v1")
        url_box = QVBoxLayout()
        url_box.setSpacing(6)
        url_box.addWidget(self.server_url_edit)
        url_box.addWidget(
            text_label(
                "vLLM, SGLang, LM Studio, Ollama or any OpenAI-compatible server; the URL "
                "usually ends in /v1."
            )
        )
        form.addRow("Server URL:", url_box)
        self.server_model_edit = QLineEdit()
        self.server_model_edit.setAccessibleName("Model name on the server")
        self.server_model_edit.setPlaceholderText("II-Search-4B")
        form.addRow("Model name:", self.server_model_edit)
        self.server_context_spin = SpinBox()
        self.server_context_spin.setAccessibleName("Server context length")
        self.server_context_spin.setRange(0, SERVER_CONTEXT_MAX)
        self.server_context_spin.setSingleStep(1024)
        self.server_context_spin.setSpecialValueText("Server's limit")
        self.server_context_spin.setSuffix(" tokens")
        self.server_context_spin.setGroupSeparatorShown(True)
        self.server_context_spin.setMinimumWidth(170)
        form.addRow("Context length:", self.server_context_spin)
        form.addRow("API key:", self._key_row(SERVER_KEY))
        self.server_key_note = text_label("")
        form.addRow("", self.server_key_note)
        return page

    def _build_window_tab(self) -> QWidget:
        page, form = _form()
        self.fold_check = QCheckBox("Fold the reasoning when the answer starts")
        self.fold_check.setAccessibleName("Fold the reasoning when the answer starts")
        box = QVBoxLayout()
        box.setSpacing(6)
        box.addWidget(self.fold_check)
        box.addWidget(text_label("The model's thinking stays one click away."))
        form.addRow("Answers:", box)
        return page

"""The Settings dialog: the model, sampling, search, network, model server and window.

Nothing is written until Save; then the settings file is replaced and ``saved`` is
emitted with the new settings. Whatever is wrong (a folder that is not a model, a
server URL without http://, a keychain that refuses a key) is said in words next to
Save and the dialog stays open. API keys go to the system keychain, never to the
settings file, and a stored key is never shown.

The model folder is checked as it is chosen: ``inspect_model`` reads only
config.json and the safetensors headers, so it is quick enough for the GUI thread.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ii_desktop.core.errors import AppError, ConfigError, ModelFormatError
from ii_desktop.core.settings import (
    DEFAULT_REPETITION_PENALTY,
    DEFAULT_TEMPERATURE,
    DEFAULT_TOP_K,
    DEFAULT_TOP_P,
    KV_BITS_CHOICES,
    LONG_CONTEXT_MAX,
    SEARCH_PROVIDERS,
    AppPaths,
    SamplingSettings,
    Settings,
    save_settings,
)
from ii_desktop.engine import memory
from ii_desktop.engine.model_files import ModelFolder, inspect_model
from ii_desktop.tools import secrets
from ii_desktop.ui import theme
from ii_desktop.ui.widgets import ComboBox, DoubleSpinBox, SpinBox

KV_BITS_LABELS = ("Full precision", "8-bit", "4-bit")  # same order as KV_BITS_CHOICES
PROVIDER_LABELS = {
    "ddgs": "DuckDuckGo (no key needed)",
    "searxng": "SearXNG (your own instance)",
    "serper": "Serper (Google results; needs a key)",
    "tavily": "Tavily (needs a key)",
    "brave": "Brave Search (needs a key)",
    "local": "Your notebooks (pages you saved)",
}
SEARCH_KEYS = ("serper", "tavily", "brave")
SERVER_KEY = "openai"
KEY_LABELS = {"serper": "Serper key:", "tavily": "Tavily key:", "brave": "Brave key:"}
STORED_PLACEHOLDER = "•••• stored in the keychain"
NO_KEYCHAIN_TEXT = (
    "No system keychain is available, so API keys cannot be stored; set {names} in the "
    "environment instead."
)
SERVER_CONTEXT_MAX = 1_048_576
MODEL_CHECK_DELAY_MS = 400
MARGIN = 20


# --- helpers shared with the first-run page -----------------------------------------


def format_bytes(n: float) -> str:
    """``2.3 GiB``, ``310 MiB`` or ``2.9 MiB``."""
    mib = n / 1024**2
    if n >= memory.GIB:
        return f"{n / memory.GIB:.1f} GiB"
    return f"{mib:.0f} MiB" if mib >= 10 else f"{mib:.1f} MiB"


def check_model_folder(text: str) -> ModelFolder:
    """``inspect_model`` with every failure turned into a ``ModelError`` in plain words."""
    text = text.strip()
    if not text:
        raise ModelFormatError("Choose the model's folder first.")
    try:
        return inspect_model(text)
    except AppError:
        raise
    except OSError as exc:
        raise ModelFormatError(f"Cannot read {text}: {exc.strerror or exc}.") from None
    except (ValueError, TypeError, KeyError):
        raise ModelFormatError(f"{text} could not be read as a model folder.") from None


def model_setting(text: str, folder: ModelFolder) -> str:
    """What to store for a checked folder: its absolute path, or the Hugging Face id typed."""
    typed = Path(text.strip()).expanduser()
    return str(folder.path) if typed.is_dir() else text.strip()


@dataclass(frozen=True)
class MemoryReport:
    context: int  # the context the estimate is for (the chosen one, capped at the limit)
    limit: int  # the model's limit in this mode
    estimate: memory.MemoryEstimate
    fits: int  # the longest context that fits this machine (0: not even the weights)


def memory_report(
    folder: ModelFolder, context_length: int | None, kv_bits: int | None, long_context: bool
) -> MemoryReport:
    """Memory for ``folder`` at ``context_length`` (None: the model's limit), as model check."""
    try:
        limit = memory.max_context(folder.config, long_context)
        context = min(context_length or limit, limit)
        est = memory.estimate(folder.config, context, kv_bits, folder.path)
        fits = memory.largest_context(folder.config, kv_bits, long_context, folder=folder.path)
    except (KeyError, ValueError, TypeError, ZeroDivisionError):
        raise ModelFormatError(
            f"{folder.name}'s config.json lacks the sizes needed to estimate its memory."
        ) from None
    return MemoryReport(context, limit, est, fits)


def check_server_url(url: str) -> None:
    """A ConfigError unless ``url`` is an http(s) URL with a host."""
    if not url:
        return
    if not url.startswith(("http://", "https://")):
        raise ConfigError("The model server URL must start with http:// or https://.")
    try:
        host = urlsplit(url).hostname
    except ValueError:
        host = None
    if not host or any(ch.isspace() for ch in url):
        raise ConfigError("The model server URL needs a host, like http://localhost:8000/v1.")


def key_is_stored(provider: str) -> bool:
    """Whether the keychain holds a key for ``provider`` (never returns the key)."""
    if not secrets.keychain_available():
        return False
    import keyring
    import keyring.errors

    try:
        return bool((keyring.get_password(secrets.SERVICE, provider) or "").strip())
    except keyring.errors.KeyringError:
        return False


def extra_style(c: theme.Colors) -> str:
    """Rules the app style sheet lacks: message colours, framed lists."""
    return f"""
QLabel#error {{ color: {c.error}; }}
QLabel#warn {{ color: {c.warn}; }}
QLabel#ok {{ color: {c.ok}; }}
QLabel#muted {{ color: {c.muted}; }}
QListWidget#providers {{
    background: {c.surface}; border: 1px solid {c.border}; border-radius: 6px; padding: 2px;
}}
QListWidget#providers::item {{ padding: 4px 6px; }}
QListWidget#providers::item:selected {{ background: {c.highlight}; color: {c.text}; }}
QTabWidget::tab-bar {{ alignment: center; }}
QTabWidget::pane {{
    border: 1px solid {c.border}; border-radius: 8px; top: -14px; padding-top: 14px;
}}
QTabBar::tab {{
    background: {c.surface}; color: {c.text}; border: 1px solid {c.border};
    padding: 5px 14px; margin: 0; min-width: 52px;
}}
QTabBar::tab:first {{ border-top-left-radius: 6px; border-bottom-left-radius: 6px; }}
QTabBar::tab:last {{ border-top-right-radius: 6px; border-bottom-right-radius: 6px; }}
QTabBar::tab:!first {{ border-left: none; }}
QTabBar::tab:selected {{
    background: {c.accent}; color: {c.accent_text}; border-color: {c.accent};
}}
QTabBar::tab:!selected:hover {{ background: {c.sidebar}; }}
QPushButton:default:disabled, QPushButton#primary:disabled {{
    background: {c.surface}; color: {c.muted}; border: 1px solid {c.border};
}}
QAbstractSpinBox {{ padding-right: 22px; }}
QAbstractSpinBox::up-button, QAbstractSpinBox::down-button {{
    subcontrol-origin: border; width: 20px; border: none; background: transparent;
}}
QAbstractSpinBox::up-button {{ subcontrol-position: top right; }}
QAbstractSpinBox::down-button {{ subcontrol-position: bottom right; }}
QComboBox {{ padding-right: 26px; }}
QComboBox::drop-down {{
    subcontrol-origin: border; subcontrol-position: center right; width: 24px; border: none;
}}
QComboBox QAbstractItemView {{
    background: {c.surface}; border: 1px solid {c.border};
    selection-background-color: {c.accent}; selection-color: {c.accent_text};
}}
"""


def _label(text: str, role: str = "muted") -> QLabel:
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


class SettingsProblem(ConfigError):
    """A setting that cannot be saved, with the tab that holds it."""

    def __init__(self, message: str, tab: QWidget) -> None:
        super().__init__(message)
        self.tab = tab


class SettingsDialog(QDialog):
    """Edit the settings; Save writes them and emits ``saved``.

    Args:
        paths: Where the settings file lives.
        settings: The settings to start from; sections and fields the dialog does not
            show are kept as they are.

    Signals:
        saved(Settings): The new settings, after they were written to the settings file.
    """

    saved = Signal(object)

    def __init__(self, paths: AppPaths, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._paths = paths
        self._original = settings
        self._folder: ModelFolder | None = None
        self._model_error = ""
        self._checked_text: str | None = None
        self._keychain = secrets.keychain_available()
        self._model_timer = QTimer(self)
        self._model_timer.setSingleShot(True)
        self._model_timer.setInterval(MODEL_CHECK_DELAY_MS)
        self._model_timer.timeout.connect(self._check_model)

        self.setWindowTitle("Settings")
        self.setModal(True)
        self._apply_style()
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._apply_style)

        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Settings sections")
        self.model_tab = self._build_model_tab()
        self.sampling_tab = self._build_sampling_tab()
        self.search_tab = self._build_search_tab()
        self.network_tab = self._build_network_tab()
        self.server_tab = self._build_server_tab()
        self.window_tab = self._build_window_tab()
        self.tabs.addTab(self.model_tab, "Model")
        self.tabs.addTab(self.sampling_tab, "Sampling")
        self.tabs.addTab(self.search_tab, "Search")
        self.tabs.addTab(self.network_tab, "Network")
        self.tabs.addTab(self.server_tab, "Server")
        self.tabs.addTab(self.window_tab, "Window")

        self.message_label = _label("", "error")
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAccessibleName("Cancel")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        self.save_button = QPushButton("Save")
        self.save_button.setAccessibleName("Save settings")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        buttons = QHBoxLayout()
        buttons.setSpacing(10)
        buttons.addWidget(self.message_label, stretch=1)
        buttons.addWidget(self.cancel_button, alignment=Qt.AlignmentFlag.AlignBottom)
        buttons.addWidget(self.save_button, alignment=Qt.AlignmentFlag.AlignBottom)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(MARGIN, MARGIN, MARGIN, MARGIN)
        layout.setSpacing(16)
        layout.addWidget(self.tabs, stretch=1)
        layout.addLayout(buttons)

        self._load(settings)
        hint = self.sizeHint()
        self.resize(max(hint.width(), 680), max(hint.height(), 600))

    # --- building ----------------------------------------------------------------

    def _apply_style(self) -> None:
        self.setStyleSheet(theme.stylesheet() + extra_style(theme.colors()))

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
        self.model_status = _label("")
        self.model_status.setAccessibleName("Model folder check")
        folder_box = QVBoxLayout()
        folder_box.setSpacing(6)
        folder_box.addLayout(_row(self.model_edit, self.choose_button))
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
        kv_box.addWidget(_label("8-bit and 4-bit caches hold longer contexts in less memory."))
        form.addRow("KV cache:", kv_box)

        self.memory_label = _label("")
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
            _label(
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
        self.providers_note = _label(
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
        self.keys_note = _label("")
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
            _label(
                "One per line, as host or host:port. Pages on these hosts are read even when "
                "they are on your private network."
            )
        )
        form.addRow("Allowed hosts:", box)

        self.private_check = QCheckBox("Allow pages on my private network")
        self.private_check.setAccessibleName("Allow pages on my private network")
        warn = _label(
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
            _label(
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
        self.server_key_note = _label("")
        form.addRow("", self.server_key_note)
        return page

    def _build_window_tab(self) -> QWidget:
        page, form = _form()
        self.fold_check = QCheckBox("Fold the reasoning when the answer starts")
        self.fold_check.setAccessibleName("Fold the reasoning when the answer starts")
        box = QVBoxLayout()
        box.setSpacing(6)
        box.addWidget(self.fold_check)
        box.addWidget(_label("The model's thinking stays one click away."))
        form.addRow("Answers:", box)
        return page

    # --- loading -----------------------------------------------------------------

    def _load(self, settings: Settings) -> None:
        engine = settings.engine
        self.long_context_check.setChecked(engine.long_context)
        self.kv_combo.setCurrentIndex(KV_BITS_CHOICES.index(engine.kv_bits))
        self.model_edit.setText(engine.model_path or "")
        self._check_model()
        self.context_spin.setValue(engine.context_length or 0)
        self._update_memory()

        self._set_sampling(settings.sampling)

        tools = settings.tools
        chain = list(tools.search_providers)
        rest = [p for p in SEARCH_PROVIDERS if p not in chain]
        self.provider_list.blockSignals(True)
        for name in chain + rest:
            item = QListWidgetItem(PROVIDER_LABELS.get(name, name))
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setFlags(
                Qt.ItemFlag.ItemIsEnabled
                | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsUserCheckable
            )
            item.setCheckState(Qt.CheckState.Checked if name in chain else Qt.CheckState.Unchecked)
            self.provider_list.addItem(item)
        self.provider_list.blockSignals(False)
        self.provider_list.setCurrentRow(0)
        rows = self.provider_list.count()
        self.provider_list.setFixedHeight(
            self.provider_list.sizeHintForRow(0) * rows + 2 * self.provider_list.frameWidth() + 8
        )
        self.searxng_edit.setText(tools.provider_urls.get("searxng", ""))
        self.hosts_edit.setPlainText("\n".join(tools.allow_hosts))
        self.private_check.setChecked(tools.allow_private_network)

        server = settings.server
        self.server_check.setChecked(server.enabled)
        self.server_url_edit.setText(server.base_url)
        self.server_model_edit.setText(server.model_name)
        self.server_context_spin.setValue(server.context_length or 0)

        self.fold_check.setChecked(settings.ui.fold_reasoning)
        self._show_keys_note()

    def _set_sampling(self, sampling: SamplingSettings) -> None:
        self.temperature_spin.setValue(sampling.temperature)
        self.top_p_spin.setValue(sampling.top_p)
        self.top_k_spin.setValue(sampling.top_k)
        self.penalty_spin.setValue(sampling.repetition_penalty)
        self.max_tokens_spin.setValue(sampling.max_tokens)

    # --- the model folder ----------------------------------------------------------

    def set_model_folder(self, path: str) -> bool:
        """Put ``path`` in the folder field and check it now; whether it is a usable model."""
        self.model_edit.setText(path)
        self._check_model()
        return self._folder is not None

    def _choose_folder(self) -> None:
        start = self.model_edit.text().strip()
        if not start or not Path(start).expanduser().is_dir():
            start = str(self._paths.models_dir if self._paths.models_dir.is_dir() else Path.home())
        chosen = QFileDialog.getExistingDirectory(self, "Choose the model folder", start)
        if chosen:
            self.set_model_folder(chosen)

    def _model_text_edited(self) -> None:
        self._checked_text = None
        self._model_timer.start()

    def _check_model_now(self) -> None:
        if self._checked_text != self.model_edit.text().strip():
            self._check_model()

    def _check_model(self) -> None:
        self._model_timer.stop()
        text = self.model_edit.text().strip()
        self._checked_text = text
        self._folder = None
        self._model_error = ""
        if not text:
            self.model_status.setObjectName("muted")
            self.model_status.setText(
                "No model chosen: questions cannot be answered until one is, unless a model "
                "server is used."
            )
        else:
            try:
                self._folder = check_model_folder(text)
            except AppError as exc:
                self._model_error = exc.message
            if self._folder is not None:
                folder = self._folder
                model_type = folder.config.get("model_type", "model")
                self.model_status.setObjectName("ok")
                self.model_status.setText(f"{folder.name}: {model_type}, {folder.quantization}")
            else:
                self.model_status.setObjectName("error")
                self.model_status.setText(self._model_error)
        self._restyle(self.model_status)
        self._apply_context_limit()
        self._update_memory()
        self.save_button.setEnabled(not self._model_error)
        if self._model_error:
            self._say("Choose a model folder that works, or clear the field, to save.", "muted")
        elif self.message_label.objectName() == "muted":
            self._say("")

    def _say(self, text: str, role: str = "error") -> None:
        self.message_label.setObjectName(role)
        self.message_label.setText(text)
        self._restyle(self.message_label)

    def _long_context_toggled(self) -> None:
        self._apply_context_limit()
        self._update_memory()

    def _apply_context_limit(self) -> None:
        limit = LONG_CONTEXT_MAX
        if self._folder is not None:
            try:
                limit = memory.max_context(self._folder.config, self.long_context_check.isChecked())
            except (ValueError, TypeError):
                limit = LONG_CONTEXT_MAX
        self.context_spin.setMaximum(limit)

    def _kv_bits(self) -> int | None:
        return KV_BITS_CHOICES[max(self.kv_combo.currentIndex(), 0)]

    def _update_memory(self) -> None:
        if self._folder is None:
            self.memory_label.setObjectName("muted")
            self.memory_label.setText("Choose a model folder to see how much memory it needs.")
            self._restyle(self.memory_label)
            return
        try:
            report = memory_report(
                self._folder,
                self.context_spin.value() or None,
                self._kv_bits(),
                self.long_context_check.isChecked(),
            )
        except AppError as exc:
            self.memory_label.setObjectName("warn")
            self.memory_label.setText(exc.message)
            self._restyle(self.memory_label)
            return
        est = report.estimate
        lines = [
            f"{format_bytes(est.weights)} for the weights + {format_bytes(est.kv_cache)} for the "
            f"KV cache at {report.context:,} tokens",
            f"{format_bytes(est.total)} in all, with the app's own share.",
        ]
        if report.fits == 0:
            lines.append("This Mac's memory cannot hold even the weights.")
        else:
            lines.append(f"The longest context that fits this Mac: {report.fits:,} tokens.")
        too_long = report.fits == 0 or report.context > report.fits
        self.memory_label.setObjectName("warn" if too_long else "muted")
        self.memory_label.setText("\n".join(lines))
        self._restyle(self.memory_label)

    def _restyle(self, widget: QWidget) -> None:
        widget.style().unpolish(widget)
        widget.style().polish(widget)

    # --- sampling ----------------------------------------------------------------

    def restore_sampling_defaults(self) -> None:
        """Put the model card's sampling back (saved only on Save)."""
        self._set_sampling(SamplingSettings())  # its defaults are the card's

    # --- search providers ------------------------------------------------------------

    def provider_order(self) -> list[str]:
        """The checked providers, in the order they will be tried."""
        items = [self.provider_list.item(i) for i in range(self.provider_list.count())]
        return [
            item.data(Qt.ItemDataRole.UserRole)
            for item in items
            if item.checkState() == Qt.CheckState.Checked
        ]

    def set_provider_checked(self, name: str, checked: bool) -> None:
        """Check or uncheck a provider, as a click on its box would."""
        for i in range(self.provider_list.count()):
            item = self.provider_list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == name:
                state = Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
                item.setCheckState(state)
                return
        raise KeyError(name)

    def select_provider(self, name: str) -> None:
        for i in range(self.provider_list.count()):
            if self.provider_list.item(i).data(Qt.ItemDataRole.UserRole) == name:
                self.provider_list.setCurrentRow(i)
                return
        raise KeyError(name)

    def move_provider(self, step: int) -> None:
        """Move the selected provider up (-1) or down (+1) the fallback chain."""
        row = self.provider_list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.provider_list.count():
            return
        self.provider_list.blockSignals(True)
        item = self.provider_list.takeItem(row)
        self.provider_list.insertItem(target, item)
        self.provider_list.blockSignals(False)
        self.provider_list.setCurrentRow(target)
        self._update_move_buttons()

    def _update_move_buttons(self) -> None:
        row = self.provider_list.currentRow()
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < self.provider_list.count() - 1)

    def _provider_toggled(self, item: QListWidgetItem) -> None:
        if item.checkState() == Qt.CheckState.Checked or self.provider_order():
            self.providers_note.setObjectName("muted")
            self.providers_note.setText(
                "Checked providers are tried from the top; when one fails the next is used."
            )
        else:
            self.provider_list.blockSignals(True)
            item.setCheckState(Qt.CheckState.Checked)
            self.provider_list.blockSignals(False)
            self.providers_note.setObjectName("warn")
            self.providers_note.setText("At least one search provider must stay on.")
        self._restyle(self.providers_note)

    # --- API keys ----------------------------------------------------------------

    def _show_key_state(self, provider: str) -> None:
        edit = self.key_edits[provider]
        stored = self._keychain and key_is_stored(provider)
        from_env = bool(os.environ.get(secrets.env_var(provider), "").strip())
        if stored:
            edit.setPlaceholderText(STORED_PLACEHOLDER)
        elif from_env:
            edit.setPlaceholderText(f"Taken from {secrets.env_var(provider)}")
        elif self._keychain:
            edit.setPlaceholderText("Paste a key to store it")
        else:
            edit.setPlaceholderText("Cannot be stored here")
        self.key_remove_buttons[provider].setEnabled(stored)

    def _show_keys_note(self, text: str = "", role: str = "muted") -> None:
        notes = ((self.keys_note, SEARCH_KEYS), (self.server_key_note, (SERVER_KEY,)))
        for note, providers in notes:
            if not self._keychain:
                names = [secrets.env_var(p) for p in providers]
                names_text = " or ".join(
                    [", ".join(names[:-1]), names[-1]] if names[:-1] else names
                )
                note.setObjectName("warn")
                note.setText(NO_KEYCHAIN_TEXT.format(names=names_text))
            else:
                note.setObjectName(role)
                note.setText(
                    text or "Keys are kept in the system keychain, never in the settings file."
                )
            self._restyle(note)

    def remove_key(self, provider: str) -> None:
        """Delete a stored key from the keychain now."""
        label = secrets.KEYED_PROVIDERS[provider]
        try:
            removed = secrets.delete_api_key(provider)
        except AppError as exc:
            self._show_keys_note(exc.message, "error")
            return
        self.key_edits[provider].clear()
        self._show_key_state(provider)
        if removed:
            self._show_keys_note(f"Removed the {label} API key from the keychain.")
        else:
            self._show_keys_note(f"No {label} API key was stored.")

    def _store_keys(self) -> None:
        for provider, edit in self.key_edits.items():
            key = edit.text().strip()
            if not key:
                continue
            tab = self.server_tab if provider == SERVER_KEY else self.search_tab
            try:
                secrets.set_api_key(provider, key)
            except AppError as exc:
                raise SettingsProblem(exc.message, tab) from None
            edit.clear()
            self._show_key_state(provider)

    # --- result ------------------------------------------------------------------

    def result_settings(self) -> Settings:
        """The edited settings as a new ``Settings``.

        Raises:
            SettingsProblem: (a ConfigError) a value cannot be saved; its message says why
                and ``tab`` is the tab that holds it.
        """
        original = self._original
        if self._checked_text != self.model_edit.text().strip():
            self._check_model()
        model_text = self.model_edit.text().strip()
        if self._model_error:
            raise SettingsProblem(self._model_error, self.model_tab)
        model_path = model_setting(model_text, self._folder) if self._folder else None
        try:
            engine = dataclasses.replace(
                original.engine,
                model_path=model_path,
                context_length=self.context_spin.value() or None,
                long_context=self.long_context_check.isChecked(),
                kv_bits=self._kv_bits(),
            )
        except ConfigError as exc:
            raise SettingsProblem(exc.message, self.model_tab) from None

        try:
            sampling = SamplingSettings(
                temperature=round(self.temperature_spin.value(), 2),
                top_p=round(self.top_p_spin.value(), 2),
                top_k=self.top_k_spin.value(),
                repetition_penalty=round(self.penalty_spin.value(), 2),
                max_tokens=self.max_tokens_spin.value(),
            )
        except ConfigError as exc:
            raise SettingsProblem(exc.message, self.sampling_tab) from None

        urls = dict(original.tools.provider_urls)
        searxng = self.searxng_edit.text().strip()
        if searxng:
            if not searxng.startswith(("http://", "https://")) or not urlsplit(searxng).netloc:
                raise SettingsProblem(
                    "The SearXNG URL must start with http:// or https://, like "
                    "https://searx.example.org.",
                    self.search_tab,
                )
            urls["searxng"] = searxng
        else:
            urls.pop("searxng", None)
        hosts = tuple(self._allowed_hosts())
        try:
            tools = dataclasses.replace(
                original.tools,
                search_providers=tuple(self.provider_order()),
                provider_urls=urls,
                allow_hosts=hosts,
                allow_private_network=self.private_check.isChecked(),
            )
        except ConfigError as exc:
            raise SettingsProblem(exc.message, self.search_tab) from None

        url = self.server_url_edit.text().strip()
        try:
            check_server_url(url)
            server = dataclasses.replace(
                original.server,
                enabled=self.server_check.isChecked(),
                base_url=url,
                model_name=self.server_model_edit.text().strip(),
                context_length=self.server_context_spin.value() or None,
            )
        except ConfigError as exc:
            raise SettingsProblem(exc.message, self.server_tab) from None

        ui = dataclasses.replace(original.ui, fold_reasoning=self.fold_check.isChecked())
        return dataclasses.replace(
            original, engine=engine, tools=tools, server=server, ui=ui, sampling=sampling
        )

    def _allowed_hosts(self) -> list[str]:
        hosts: list[str] = []
        for line in self.hosts_edit.toPlainText().splitlines():
            entry = line.strip()
            if not entry:
                continue
            if "://" in entry or "/" in entry or any(ch.isspace() for ch in entry):
                raise SettingsProblem(
                    f"“{entry}” is not a host: write just the name, like localhost or "
                    "wiki.internal:8080.",
                    self.network_tab,
                )
            if entry.count(":") == 1:
                port = entry.partition(":")[2]
                if not (port.isdigit() and 0 < int(port) < 65536):
                    raise SettingsProblem(
                        f"“{entry}” has no valid port; write host or host:port.", self.network_tab
                    )
            if entry not in hosts:
                hosts.append(entry)
        return hosts

    def save(self) -> None:
        """Check, store typed keys, write the settings, emit ``saved`` and close."""
        self._say("")
        try:
            settings = self.result_settings()
            self._store_keys()
            save_settings(self._paths, settings)
        except SettingsProblem as exc:
            self.tabs.setCurrentWidget(exc.tab)
            self._say(exc.message)
            return
        except AppError as exc:
            self._say(exc.message)
            return
        self._show_keys_note()
        self.saved.emit(settings)
        self.accept()

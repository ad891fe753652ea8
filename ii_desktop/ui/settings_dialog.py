"""The Settings dialog: the model, sampling, search, network, model server and window.

Nothing is written until Save; then the settings file is replaced and ``saved`` is
emitted with the new settings. Whatever is wrong (a folder that is not a model, a
server URL without http://, a keychain that refuses a key) is said in words next to
Save and the dialog stays open. API keys go to the system keychain, never to the
settings file, and a stored key is never shown.

The model folder is checked as it is chosen: ``inspect_model`` reads only
config.json and the safetensors headers, so it is quick enough for the GUI thread.

The tabs are built in ``settings_pages``, the search providers and API keys are handled
in ``settings_providers``, and the checks shared with the first-run page are in
``settings_checks``; the names callers use are re-exported here.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from urllib.parse import urlsplit

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QListWidgetItem,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ii_desktop.core.errors import AppError, ConfigError, ModelFormatError
from ii_desktop.core.settings import (
    KV_BITS_CHOICES,
    LONG_CONTEXT_MAX,
    SEARCH_PROVIDERS,
    AppPaths,
    SamplingSettings,
    Settings,
    save_settings,
)
from ii_desktop.engine import memory
from ii_desktop.engine.model_files import ModelFolder
from ii_desktop.tools import secrets
from ii_desktop.ui import theme
from ii_desktop.ui.settings_checks import (
    NO_KEYCHAIN_TEXT,
    SettingsProblem,
    check_model_folder,
    check_server_url,
    extra_style,
    format_bytes,
    memory_report,
    model_setting,
)
from ii_desktop.ui.settings_pages import MARGIN, SettingsPages, text_label
from ii_desktop.ui.settings_providers import PROVIDER_LABELS, STORED_PLACEHOLDER, ProvidersAndKeys

MODEL_CHECK_DELAY_MS = 400


class FolderProblem(ModelFormatError):
    """A model folder that cannot be used: ``message`` is one short line for under the
    field, ``detail`` the engine's own words (with the path)."""

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(message)
        self.detail = detail


def check_folder_field(text: str) -> ModelFolder:
    """``check_model_folder`` for a folder field: the same checks, and a reason short
    enough for one line under the field, which already shows the path.

    Raises:
        FolderProblem: the folder cannot be used.
    """
    try:
        return check_model_folder(text)
    except AppError as exc:
        raise FolderProblem(_field_reason(text.strip(), exc.message), exc.message) from None


def _field_reason(text: str, message: str) -> str:
    if not text:
        return message
    path = Path(text).expanduser()
    if not path.exists():
        if text.count("/") == 1 and not text.startswith((".", "/", "~")):
            return "Folder not found, and not in the Hugging Face cache."
        return "Folder not found: check the path, or use Choose…"
    if not path.is_dir():
        return "This is a file: choose the folder that holds it."
    if not (path / "config.json").is_file():
        return "No config.json here, so it is not a model folder."
    if not any(path.glob("*.safetensors")):
        return "No weights here (no .safetensors files)."
    for shown in (str(path.resolve()), str(path), text):  # say "this folder", not the path
        if message.startswith(shown + " "):
            return "This folder" + message[len(shown) :]
    return message


class SettingsDialog(SettingsPages, ProvidersAndKeys, QDialog):
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

        self.message_label = text_label("", "error")
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

    # --- style -------------------------------------------------------------------

    def _apply_style(self) -> None:
        self.setStyleSheet(theme.stylesheet() + extra_style(theme.colors()))

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

    def _open_models(self) -> None:
        """The model manager; the model it makes the default fills the folder field."""
        from ii_desktop.ui.model_manager import ModelManager

        manager = ModelManager(self._paths, self)
        manager.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        manager.default_changed.connect(self.set_model_folder)
        manager.show()

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
        self.model_status.setToolTip("")
        if not text:
            self.model_status.setObjectName("muted")
            self.model_status.setText(
                "No model chosen: questions cannot be answered until one is, unless a model "
                "server is used."
            )
        else:
            try:
                self._folder = check_folder_field(text)
            except FolderProblem as exc:
                self._model_error = exc.message
                self.model_status.setToolTip(exc.detail)
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

    # --- result ------------------------------------------------------------------

    def result_settings(self) -> Settings:
        """The edited settings as a new ``Settings``.

        Raises:
            SettingsProblem: (a ConfigError) a value cannot be saved; its message says why
                and ``tab`` is the tab that holds it.
        """
        original = self._original
        self._check_model()  # again, even if unchanged: the folder may have moved since
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


__all__ = [
    "NO_KEYCHAIN_TEXT",
    "STORED_PLACEHOLDER",
    "FolderProblem",
    "SettingsDialog",
    "SettingsProblem",
    "check_folder_field",
    "check_model_folder",
    "check_server_url",
    "extra_style",
    "format_bytes",
    "memory_report",
    "model_setting",
]

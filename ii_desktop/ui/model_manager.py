"""The model manager: the models on this Mac, downloading II-Search-4B with progress,
speed and cancel, a 4- or 8-bit copy made on the Mac, the default chosen, a model removed.

Downloads and conversions are jobs (``model_jobs``) that outlive the dialog: closing it
leaves a download running (and the copy it goes on into), and reopening shows it again.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ii_desktop.core.errors import AppError
from ii_desktop.core.settings import AppPaths, load_settings, save_settings
from ii_desktop.ui import theme, widgets
from ii_desktop.ui.background import run_in_background
from ii_desktop.ui.model_jobs import (
    Job,
    clear_state,
    describe_progress,
    hub,
    running_jobs,
    start_copy,
    start_download,
    with_model,
)

log = logging.getLogger(__name__)
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1


def _row_text(entry: Any) -> str:
    from ii_desktop.models.info import format_size

    quant = entry.quantization
    kind = f"{quant['bits']}-bit" if quant else "full precision"
    bits = [kind, format_size(entry.size_bytes)]
    if entry.tool_calling:
        bits.append("tools")
    if entry.thinking:
        bits.append("thinking")
    where = {
        "app": "in the app's folder",
        "huggingface": "Hugging Face cache",
        "lmstudio": "LM Studio",
    }
    head = f"{entry.name}{'  ✓ default' if entry.is_default else ''}"
    detail = " · ".join(bits) + f" · {where.get(entry.source, entry.source)}"
    if not entry.complete:
        detail = "download unfinished · choose Resume"
    return f"{head}\n{detail}"


class ModelManager(QDialog):
    """See the module docstring. ``default_changed`` carries the new default's path."""

    default_changed = Signal(str)

    def __init__(self, paths: AppPaths, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.setMinimumSize(640, 520)
        self.paths = paths
        self.entries: list[Any] = []
        self.job: Job | None = None

        title = QLabel("Models")
        title.setObjectName("title")
        intro = QLabel(
            "II-Search-4B runs on this Mac from a model folder. Download the card's MLX build "
            "once, then make a 4-bit copy (about 2.3 GB) to run it fast in little memory."
        )
        intro.setWordWrap(True)
        intro.setObjectName("muted")
        self.list = QListWidget()
        self.list.setAccessibleName("Models on this Mac")
        self.list.setWordWrap(True)
        self.list.itemSelectionChanged.connect(self._update_buttons)
        self.empty = QLabel("No models on this Mac yet: download one below.")
        self.empty.setObjectName("muted")
        self.empty.hide()

        self.default_button = QPushButton("Use as default")
        self.default_button.clicked.connect(self.set_default)
        self.bits = QComboBox()
        self.bits.addItem("4-bit copy")
        if _memory_gb() >= 32:  # an 8-bit 4B model wants the room to run long contexts
            self.bits.addItem("8-bit copy")
        self.bits.setAccessibleName("Bits of the copy")
        self.bits.currentIndexChanged.connect(self._update_then_copy)
        self.quantize_button = QPushButton("Make copy")
        self.quantize_button.setToolTip("Quantize the selected model on this Mac")
        self.quantize_button.clicked.connect(self.quantize_selected)
        self.resume_button = QPushButton("Resume")
        self.resume_button.clicked.connect(self.resume_selected)
        self.remove_button = QPushButton("Remove…")
        self.remove_button.clicked.connect(self.remove_selected)
        actions = QHBoxLayout()
        for button in (self.default_button, self.resume_button):
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(self.bits)
        actions.addWidget(self.quantize_button)
        actions.addWidget(self.remove_button)

        from ii_desktop.models.download import DEFAULT_REPO

        self.repo = QLineEdit(DEFAULT_REPO)
        self.repo.setAccessibleName("Hugging Face repo to download")
        self.download_button = QPushButton("Download")
        self.download_button.setObjectName("primary")
        self.download_button.clicked.connect(self.download)
        get = QHBoxLayout()
        get.addWidget(QLabel("Download"))
        get.addWidget(self.repo, stretch=1)
        get.addWidget(self.download_button)
        self.then_copy = QCheckBox()
        self.then_copy.setChecked(True)
        self._update_then_copy()
        self.remove_source_button = QPushButton("Remove the full-size copy")
        self.remove_source_button.clicked.connect(self.remove_source)
        self.remove_source_button.hide()
        self.offered_source: Path | None = None

        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(6)
        self.progress_label = QLabel("")
        self.progress_label.setObjectName("muted")
        self.cancel_button = QPushButton("Stop")
        self.cancel_button.setToolTip("Stop; what has arrived is kept for Resume")
        self.cancel_button.clicked.connect(self.cancel_job)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        working = QHBoxLayout()
        working.addWidget(self.progress_label, stretch=1)
        working.addWidget(self.cancel_button)

        close = QPushButton("Close")
        close.clicked.connect(self.close)
        for button in self.findChildren(QPushButton):  # Return never starts a download
            button.setAutoDefault(False)
        for button in (
            self.default_button,
            self.quantize_button,
            self.resume_button,
            self.remove_button,
            self.download_button,
            self.cancel_button,
            self.remove_source_button,
        ):
            button.setAutoDefault(False)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(close)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addWidget(self.list, stretch=1)
        layout.addWidget(self.empty)
        layout.addLayout(actions)
        layout.addSpacing(6)
        layout.addLayout(get)
        layout.addWidget(self.then_copy)
        layout.addWidget(self.progress)
        layout.addLayout(working)
        layout.addWidget(self.message)
        offer = QHBoxLayout()
        offer.addWidget(self.remove_source_button)
        offer.addStretch(1)
        layout.addLayout(offer)
        layout.addLayout(bottom)
        c = theme.colors()
        self.setStyleSheet(
            theme.stylesheet(c) + f"QLabel#title {{ font-size: 17px; font-weight: 600; }}"
            f"QLabel#muted {{ color: {c.muted}; }}"
            f"QLabel#error {{ color: {c.error}; }}"
            f"QListWidget::item {{ padding: 6px 4px; }}"
        )
        self._timer = QTimer(self)  # a child timer: it dies with the dialog
        self._timer.setInterval(200)
        self._timer.timeout.connect(self._show_job)
        hub().default_changed.connect(self.default_changed)
        hub().job_started.connect(self._adopt)
        running = running_jobs()
        if running:  # a download started earlier is still going: show it again
            self._watch(running[0])
        else:
            self._show_job()
        self.refresh()

    # --- the list -------------------------------------------------------------------

    def refresh(self) -> None:
        from ii_desktop.models.catalog import list_models

        default = load_settings(self.paths).engine.model_path
        models_dir = self.paths.models_dir

        def done(entries: list[Any]) -> None:
            self.entries = entries
            selected = self.selected()
            self.list.clear()
            for entry in entries:
                item = QListWidgetItem(_row_text(entry))
                item.setData(ENTRY_ROLE, entry.path)
                self.list.addItem(item)
                if selected is not None and entry.path == selected.path:
                    item.setSelected(True)
            self.empty.setVisible(not entries)
            self._update_buttons()

        run_in_background(
            lambda: list_models(models_dir, default),
            done,
            lambda exc: self._say(f"The models could not be listed: {exc}", "error"),
        )

    def selected(self) -> Any:
        items = self.list.selectedItems()
        if not items:
            return None
        path = items[0].data(ENTRY_ROLE)
        return next((e for e in self.entries if e.path == path), None)

    def _bits(self) -> int:
        return 8 if self.bits.currentText().startswith("8") else 4

    def _update_then_copy(self) -> None:
        if hasattr(self, "then_copy"):
            self.then_copy.setText(
                f"When it arrives, make a {self._bits()}-bit copy, check that it loads and use it"
            )

    def _update_buttons(self) -> None:
        entry = self.selected()
        busy = self.job is not None and not self.job.finished
        complete = entry is not None and entry.complete
        self.default_button.setEnabled(complete and not entry.is_default)
        self.quantize_button.setEnabled(complete and not busy and not entry.quantization)
        self.remove_button.setEnabled(entry is not None and entry.source == "app" and not busy)
        self.resume_button.setVisible(entry is not None and not entry.complete)
        self.resume_button.setEnabled(not busy)
        self.download_button.setEnabled(not busy)
        self.download_button.setText("Downloading…" if busy else "Download")

    def _say(self, text: str, role: str = "muted") -> None:
        self.message.setObjectName(role)
        self.message.setText(text)
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)

    # --- actions --------------------------------------------------------------------

    def set_default(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        settings = load_settings(self.paths)
        try:
            save_settings(self.paths, with_model(settings, entry.path))
        except AppError as exc:
            self._say(exc.message, "error")
            return
        self._say(f"{entry.name} is the default model now.")
        hub().default_changed.emit(entry.path)  # this dialog relays it too
        self.refresh()

    def remove_selected(self) -> None:
        entry = self.selected()
        if entry is None or entry.source != "app":
            return
        self._remove(Path(entry.path), entry.size_bytes)

    def remove_source(self) -> None:
        """Remove the full-size model a copy was just made from, after asking."""
        source = self.offered_source
        if source is None:
            return
        if self._remove(source, _folder_size(source)):
            self.offered_source = None
            self.remove_source_button.hide()

    def _remove(self, path: Path, size_bytes: int) -> bool:
        from ii_desktop.models.info import format_size

        size = format_size(size_bytes)
        if not widgets.confirm(
            self, f"Remove {path.name}?", f"This deletes its folder ({size}) from this Mac."
        ):
            return False
        try:
            if path.resolve().parent != self.paths.models_dir.resolve():
                raise OSError("it is not in the app's models folder")
            shutil.rmtree(path)
            clear_state(self.paths, path)  # a removed download is not resumed
        except OSError as exc:
            self._say(f"{path.name} could not be removed: {exc.strerror or exc}", "error")
            return False
        settings = load_settings(self.paths)
        if settings.engine.model_path and Path(settings.engine.model_path) == path:
            save_settings(self.paths, with_model(settings, None))
        if self.offered_source == path:
            self.offered_source = None
            self.remove_source_button.hide()
        self._say(f"Removed {path.name}; {size} freed.")
        self.refresh()
        return True

    def download(self, repo: str | None = None) -> Job | None:
        repo_id = (repo or self.repo.text()).strip()
        bits = self._bits() if self.then_copy.isChecked() else None
        try:
            job = start_download(self.paths, repo_id, bits)
        except AppError as exc:
            self._say(exc.message, "error")
            return None
        self._watch(job)
        return job

    def resume_selected(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        from ii_desktop.models.download import _read_record

        repo = _read_record(Path(entry.path)).get("repo_id")
        if not repo:
            self._say(f"{entry.name} does not say where it came from; download it again.", "error")
            return
        self.download(str(repo))

    def quantize_selected(self) -> Job | None:
        entry = self.selected()
        if entry is None:
            return None
        return self.quantize(entry, self._bits())

    def quantize(self, entry: Any, bits: int) -> Job | None:
        return self._quantize(Path(entry.path), entry.name, bits)

    def _quantize(self, source: Path, name: str, bits: int) -> Job | None:
        try:
            job = start_copy(self.paths, source, bits, announce=False)
        except AppError as exc:
            self._say(exc.message, "error")
            return None
        self._watch(job)
        return job

    @Slot(object)
    def _adopt(self, job: Job) -> None:
        """A job started elsewhere (a resumed download) shows here when nothing else does."""
        if self.job is None and not job.finished:
            self._watch(job)

    def cancel_job(self) -> None:
        if self.job is not None:
            self.job.cancel.set()
            self.cancel_button.setEnabled(False)
            self.progress_label.setText("Stopping…")

    # --- a running job --------------------------------------------------------------

    def _watch(self, job: Job) -> None:
        self.job = job
        self._say("")
        self.cancel_button.setEnabled(True)
        self._timer.start()
        self._show_job()

    def _show_job(self) -> None:
        job = self.job
        busy = job is not None and not job.finished
        for widget in (self.progress, self.progress_label, self.cancel_button):
            widget.setVisible(busy)
        self.empty.setText(
            "No models on this Mac yet: this one is listed when it has arrived."
            if busy
            else "No models on this Mac yet: download one below."
        )
        self._update_buttons()
        if job is None:
            return
        if not job.finished:
            last = job.last
            verb = "Downloading" if job.kind == "download" else "Making"
            self.progress_label.setText(f"{verb} {job.name}: {describe_progress(last)}")
            if last is not None and hasattr(last, "fraction"):
                self.progress.setValue(int(last.fraction * 1000))
            elif last is not None:
                self.progress.setValue(int(last.step / max(1, last.steps) * 1000))
            return
        self._timer.stop()
        self.job = None
        self._finished(job)
        if self.job is None:  # nothing chained on
            self._show_job()
        self.refresh()

    def _finished(self, job: Job) -> None:
        from ii_desktop.models.download import DownloadCancelled

        if job.error is not None:
            if isinstance(job.error, DownloadCancelled):
                self._say("Stopped. What arrived is kept: choose Resume to continue.")
            elif isinstance(job.error, AppError):
                self._say(job.error.message, "error")
            else:
                log.error("a model job failed: %r", job.error)
                self._say(f"That did not work: {job.error}", "error")
            return
        if job.kind == "download":
            path = Path(job.result.path)
            if job.next is not None:  # gone on into the copy
                self._watch(job.next)
                return
            if job.next_error is not None:
                self._say(job.next_error, "error")
                return
            self._say(
                f"Downloaded to {path}. Select it and choose Make copy for a 4-bit copy "
                f"(recommended{'; 8-bit suits this Mac too' if _memory_gb() >= 32 else ''})."
            )
            return
        path = Path(job.result)
        if job.next_error is not None:  # made, but the settings could not be saved
            self._say(job.next_error, "error")
            return
        source = job.source
        if source is not None and source.is_dir() and _in_folder(source, self.paths):
            from ii_desktop.models.info import format_size

            self.offered_source = source
            self.remove_source_button.setText(
                f"Remove the full-size copy ({format_size(_folder_size(source))})"
            )
            self.remove_source_button.show()
            self._say(
                f"{path.name} loads and is the default model now. The full-size copy "
                f"{source.name} is no longer needed to run it."
            )
        else:
            self._say(f"{path.name} loads and is the default model now.")


def _in_folder(path: Path, paths: AppPaths) -> bool:
    try:
        return path.resolve().parent == paths.models_dir.resolve()
    except OSError:
        return False


def _folder_size(path: Path) -> int:
    try:
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    except OSError:
        return 0


def _memory_gb() -> float:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    except (ValueError, OSError, AttributeError):
        return 0.0

"""Model downloads and on-device copies as jobs on threads of their own, outliving any
window: a download goes on into its copy, a finished copy becomes the default model (the
``hub`` tells whichever windows are open), and a download cut off by quitting continues
at the next start (``resume_interrupted``); one the user stopped waits for Resume.

The model manager window (``model_manager``) and the first-run page watch these jobs;
the work itself is ``ii_desktop.models``'.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from ii_desktop.core.errors import AppError, UsageError
from ii_desktop.core.settings import AppPaths, load_settings, save_settings

log = logging.getLogger(__name__)


class _Relay(QObject):
    progress = Signal(object)
    done = Signal(object, object)  # result, error


class _Hub(QObject):
    """What finished jobs tell whichever windows are open."""

    default_changed = Signal(str)  # a copy made, or a model chosen: the new default's path
    job_started = Signal(object)  # a Job started without a dialog (resumed, chained)


_hub: _Hub | None = None


def hub() -> _Hub:
    global _hub
    if _hub is None:
        _hub = _Hub()
    return _hub


# Kept beside the models folder (data folder/downloads/<model folder>.json) while a
# download is unfinished: its repository, whether the user stopped it (then it waits for
# Resume) and whether it goes on into a copy. Quitting mid-way leaves it unstopped. Not in
# the download's own folder: the downloader keeps that to the hub's files.
STATE_DIR = "downloads"


def state_file(paths: AppPaths, folder: Path) -> Path:
    return paths.data_dir / STATE_DIR / f"{folder.name}.json"


def _write_state(
    paths: AppPaths, folder: Path, repo_id: str, stopped: bool, then_copy_bits: int | None
) -> None:
    state = {"repo_id": repo_id, "stopped": stopped, "then_copy_bits": then_copy_bits}
    target = state_file(paths, folder)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(state), "utf-8")
        os.replace(tmp, target)
    except OSError as exc:  # the download itself reports a full or read-only disk
        log.warning("cannot note the download's state in %s: %s", target, exc)


def _read_state(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def clear_state(paths: AppPaths, folder: Path) -> None:
    try:
        state_file(paths, folder).unlink(missing_ok=True)
    except OSError:
        pass


Work = Callable[[Callable[[Any], None], threading.Event], Any]


class Job:
    """A download or a conversion on its own thread; its relay lives as long as it runs."""

    def __init__(self, kind: str, name: str, work: Work, paths: AppPaths, folder: Path) -> None:
        self.kind = kind  # "download" or "quantize"
        self.name = name
        self.paths = paths
        self.folder = folder  # what it writes: the download's folder or the copy's
        self.cancel = threading.Event()
        self.relay = _Relay()
        self.last: Any = None
        self.then_copy_bits: int | None = None  # a download that goes on into a copy
        self.source: Path | None = None  # a copy's full-size original
        self.next: Job | None = None  # the copy a finished download went on into
        self.next_error: str | None = None  # why that copy could not start
        self.result: Any = None
        self.error: BaseException | None = None
        self.finished = False
        self.relay.progress.connect(self._note, Qt.ConnectionType.QueuedConnection)
        self.relay.done.connect(self._end, Qt.ConnectionType.QueuedConnection)

        def run() -> None:
            try:
                result = work(self.relay.progress.emit, self.cancel)
            except BaseException as exc:  # shown by whoever watches
                self.relay.done.emit(None, exc)
                return
            self.relay.done.emit(result, None)

        self.thread = threading.Thread(target=run, name=f"ii-model-{kind}", daemon=True)

    @Slot(object)
    def _note(self, progress: Any) -> None:
        self.last = progress

    @Slot(object, object)
    def _end(self, result: Any, error: BaseException | None) -> None:
        self.result, self.error, self.finished = result, error, True
        _jobs.discard(self)
        _after(self)


def _after(job: Job) -> None:
    """What follows a job whether or not a window watches it: a finished download goes on
    into its copy, a finished copy becomes the default model."""
    from ii_desktop.models.download import DownloadCancelled

    if job.kind == "download":
        if job.error is not None:
            if isinstance(job.error, DownloadCancelled) or job.folder.is_dir():
                # stopped or failed midway: it waits for Resume rather than retrying at
                # every start
                _write_state(job.paths, job.folder, job.name, True, job.then_copy_bits)
            else:  # refused before anything arrived: nothing to resume
                clear_state(job.paths, job.folder)
            return
        if job.then_copy_bits is None:
            clear_state(job.paths, job.folder)
            return
        # the state stays until the copy ends: quitting mid-copy starts it again next time
        try:
            job.next = start_copy(job.paths, job.folder, job.then_copy_bits)
        except AppError as exc:
            job.next_error = exc.message
            clear_state(job.paths, job.folder)
        return
    if job.source is not None:  # the copy a download went on into has ended, one way or another
        clear_state(job.paths, job.source)
    if job.error is None:
        path = str(job.result)
        try:
            save_settings(job.paths, with_model(load_settings(job.paths), path))
        except AppError as exc:
            job.next_error = exc.message
            return
        hub().default_changed.emit(path)


def start_download(
    paths: AppPaths, repo_id: str, then_copy_bits: int | None = None, announce: bool = False
) -> Job:
    """Start (or resume) downloading ``repo_id`` into the app's models folder."""
    from ii_desktop.models.download import download_model, repo_folder_name

    dest = paths.ensure().models_dir / repo_folder_name(repo_id)
    for job in running_jobs():
        if job.folder == dest:
            return job

    def work(report: Callable[[Any], None], cancel: threading.Event) -> Any:
        return download_model(repo_id, dest, progress=report, cancel=cancel)

    job = Job("download", repo_id, work, paths, dest)
    job.then_copy_bits = then_copy_bits
    _write_state(paths, dest, repo_id, False, then_copy_bits)
    return _run(job, announce)


def start_copy(paths: AppPaths, source: Path, bits: int, announce: bool = True) -> Job:
    """Start making a ``bits``-bit copy of the model in ``source``, checked by loading it."""
    from ii_desktop.models.quantize import quantize_model

    base = source.name.removesuffix("-MLX").removesuffix("-mlx")
    dest = paths.ensure().models_dir / f"{base}-{bits}bit"
    if dest.exists():
        raise UsageError(f"{dest.name} exists already; remove it first to make it again.")

    def work(report: Callable[[Any], None], cancel: threading.Event) -> Any:
        return quantize_model(source, dest, bits, progress=report, cancel=cancel)

    job = Job("quantize", f"{source.name} → {dest.name}", work, paths, dest)
    job.source = source
    return _run(job, announce)


def _run(job: Job, announce: bool) -> Job:
    _jobs.add(job)
    job.thread.start()
    if announce:
        hub().job_started.emit(job)
    return job


def resume_interrupted(paths: AppPaths) -> list[Job]:
    """Continue the downloads that quitting the app cut off (not those the user stopped)."""
    states = paths.data_dir / STATE_DIR
    if not states.is_dir():
        return []
    jobs = []
    for path in sorted(states.glob("*.json")):
        state = _read_state(path)
        if state is None or state.get("stopped"):
            continue
        repo = state.get("repo_id")
        if not isinstance(repo, str) or not repo:
            continue
        bits = state.get("then_copy_bits")
        try:
            jobs.append(
                start_download(paths, repo, bits if bits in (4, 8) else None, announce=True)
            )
        except AppError as exc:
            log.warning("cannot resume the download of %s: %s", repo, exc.message)
    return jobs


_jobs: set[Job] = set()  # running downloads and conversions, whatever window is open


def running_jobs() -> list[Job]:
    return [job for job in _jobs if not job.finished]


def describe_progress(progress: Any) -> str:
    """A download's progress in words: "1.2 GB of 8.0 GB · 35.0 MB/s · 3 min left"."""
    from ii_desktop.models.info import format_size

    if progress is None:
        return "Starting…"
    if hasattr(progress, "done_bytes"):
        if progress.stage == "checking":
            return "Checking what is already here…"
        parts = [f"{format_size(progress.done_bytes)} of {format_size(progress.total_bytes)}"]
        if progress.bytes_per_second:
            parts.append(f"{format_size(progress.bytes_per_second)}/s")
        if progress.seconds_left is not None:
            left = progress.seconds_left
            parts.append(f"{round(left)} s left" if left < 90 else f"{round(left / 60)} min left")
        return " · ".join(parts)
    return f"{progress.message} ({progress.step} of {progress.steps})"


def with_model(settings: Any, path: str | None) -> Any:
    return dataclasses.replace(
        settings, engine=dataclasses.replace(settings.engine, model_path=path)
    )

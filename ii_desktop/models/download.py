"""Download a model from the Hugging Face hub into the app's models folder.

The file list, sizes and hashes come from the hub's API through huggingface_hub; the
bytes are streamed here, chunk by chunk, so that a download can report its progress,
stop between two chunks when asked, keep what it has for the next try, and check every
file against the hub's hash. (huggingface_hub deletes an unfinished file when its
download fails, so it cannot resume a download the user stopped.)

Layout: ``<models>/<repo-name>/`` holds the finished files; unfinished ones wait in its
``.partial/`` folder; ``.ii-desktop-download.json`` records the repo, the commit and
the files already checked.

    download_model(repo_id, dest, progress=callback, cancel=event) -> DownloadResult
    callback(DownloadProgress)  # from the downloading thread, at most ~10 times a second
    event.set()                 # from any thread: stops within one chunk, keeps the files
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from ii_desktop.core.errors import AppError, ModelError, UsageError
from ii_desktop.models.catalog import PARTIAL_DIR, SOURCE_FILE
from ii_desktop.models.info import format_size

DEFAULT_REPO = "Intelligent-Internet/II-Search-4B-MLX"
DEFAULT_ENDPOINT = "https://huggingface.co"
DISK_MARGIN_BYTES = 256 * 1024**2
CHUNK_BYTES = 1024**2
RETRIES = 3  # reconnections per file when the connection drops mid-file
_REPORT_EVERY_S = 0.1
_SPEED_WINDOW_S = 5.0

Stage = Literal["checking", "downloading", "done"]


class DownloadError(ModelError):
    """A download that could not finish; what was downloaded is kept unless it was wrong."""


class DownloadCancelled(AppError):
    """The user stopped the download; the files so far are kept for the next try."""

    exit_code = 130


@dataclass(frozen=True)
class RemoteFile:
    name: str
    size: int
    sha256: str | None  # LFS files: the hub's sha256 of the content
    blob_id: str | None  # other files: the git blob id (sha1 of "blob <size>\0" + content)


@dataclass(frozen=True)
class DownloadPlan:
    repo_id: str
    revision: str
    commit: str
    files: tuple[RemoteFile, ...]

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)


@dataclass(frozen=True)
class DownloadProgress:
    """Where a download stands. ``seconds_left`` and ``bytes_per_second`` are None until
    there is enough to measure."""

    stage: Stage
    file: str | None
    files_done: int
    file_count: int
    done_bytes: int
    total_bytes: int
    bytes_per_second: float | None = None
    seconds_left: float | None = None

    @property
    def fraction(self) -> float:
        return self.done_bytes / self.total_bytes if self.total_bytes else 1.0


ProgressCallback = Callable[[DownloadProgress], None]


@dataclass(frozen=True)
class DownloadResult:
    path: Path
    plan: DownloadPlan
    downloaded_bytes: int  # fetched by this call
    resumed_bytes: int  # already on disk from an earlier try


def hub_endpoint(endpoint: str | None = None) -> str:
    """The hub's address: ``endpoint``, else ``HF_ENDPOINT`` now, else huggingface.co."""
    return (endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def repo_folder_name(repo_id: str) -> str:
    """``Intelligent-Internet/II-Search-4B-MLX`` -> ``II-Search-4B-MLX``."""
    parts = repo_id.strip().split("/")
    if len(parts) != 2 or not all(parts) or any(p in (".", "..") for p in parts):
        raise UsageError(f"{repo_id} is not a Hugging Face repo id (owner/name).")
    return parts[1]


def _hub_problem(exc: BaseException, repo_id: str, endpoint: str) -> DownloadError:
    """One plain line for what went wrong talking to the hub."""
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    host = urlsplit(endpoint).netloc or endpoint
    if isinstance(exc, GatedRepoError):
        return DownloadError(f"{repo_id} needs you to accept its terms on {host} first.")
    if isinstance(exc, RevisionNotFoundError):
        return DownloadError(f"{repo_id} has no such revision on {host}.")
    if isinstance(exc, RepositoryNotFoundError):
        return DownloadError(f"No model named {repo_id} on {host}; check the name.")
    if isinstance(exc, OfflineModeIsEnabled):
        return DownloadError(
            "Downloads are off because HF_HUB_OFFLINE is set; unset it to download."
        )
    if isinstance(exc, HfHubHTTPError):
        status = exc.response.status_code if exc.response is not None else "an"
        if status == 404:
            return DownloadError(f"No model named {repo_id} on {host}; check the name.")
        return DownloadError(
            f"The model hub at {host} answered with {status} error; try again later."
        )
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return DownloadError(
        f"Could not reach the model hub at {host} ({reason}); check the connection and "
        "run the same command again to resume."
    )


def fetch_plan(
    repo_id: str, revision: str | None = None, endpoint: str | None = None
) -> DownloadPlan:
    """The files of ``repo_id`` at ``revision`` with their sizes and hashes."""
    import httpx2
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    repo_folder_name(repo_id)
    where = hub_endpoint(endpoint)
    try:
        info = HfApi(endpoint=where).model_info(
            repo_id, revision=revision or "main", files_metadata=True
        )
    except (HfHubHTTPError, OfflineModeIsEnabled, httpx2.HTTPError, OSError) as exc:
        raise _hub_problem(exc, repo_id, where) from None
    if not info.sha or info.siblings is None:
        raise DownloadError(f"The model hub gave no file list for {repo_id}; try again later.")
    files = []
    for sib in info.siblings:
        name = sib.rfilename
        if name.startswith("/") or ".." in Path(name).parts or name.startswith(".git"):
            continue  # never write outside the model's folder
        lfs = sib.lfs
        files.append(
            RemoteFile(
                name=name,
                size=int(lfs.size if lfs else (sib.size or 0)),
                sha256=lfs.sha256 if lfs else None,
                blob_id=None if lfs else sib.blob_id,
            )
        )
    return DownloadPlan(repo_id, revision or "main", info.sha, tuple(files))


def _free_bytes(folder: Path) -> int:
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return shutil.disk_usage(probe).free


def _read_record(dest: Path) -> dict[str, Any]:
    try:
        data = json.loads((dest / SOURCE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_record(dest: Path, plan: DownloadPlan, verified: dict[str, int]) -> None:
    record = {
        "repo_id": plan.repo_id,
        "revision": plan.revision,
        "commit": plan.commit,
        "verified": verified,
    }
    tmp = dest / f"{SOURCE_FILE}.tmp"
    tmp.write_text(json.dumps(record, indent=2), encoding="utf-8")
    os.replace(tmp, dest / SOURCE_FILE)


class _Meter:
    """Bytes done, speed over the last few seconds, and the time left."""

    def __init__(self, plan: DownloadPlan, done: int, report: ProgressCallback | None) -> None:
        self.total = plan.total_bytes
        self.count = len(plan.files)
        self.done = done
        self.files_done = 0
        self.report = report
        self.samples: deque[tuple[float, int]] = deque([(time.monotonic(), done)])
        self.last = 0.0

    def speed(self) -> float | None:
        now = time.monotonic()
        while len(self.samples) > 1 and now - self.samples[0][0] > _SPEED_WINDOW_S:
            self.samples.popleft()
        start, then = self.samples[0]
        return (self.done - then) / (now - start) if now - start >= 0.5 else None

    def emit(self, stage: Stage, file: str | None, force: bool = False) -> None:
        now = time.monotonic()
        self.samples.append((now, self.done))
        if self.report is None or (not force and now - self.last < _REPORT_EVERY_S):
            return
        self.last = now
        speed = self.speed()
        left = (self.total - self.done) / speed if speed else None
        self.report(
            DownloadProgress(
                stage, file, self.files_done, self.count, self.done, self.total, speed, left
            )
        )


def _hashers(file: RemoteFile) -> tuple[Any, str | None]:
    if file.sha256:
        return hashlib.sha256(), file.sha256.lower()
    if file.blob_id:
        git = hashlib.sha1(usedforsecurity=False)
        git.update(f"blob {file.size}\0".encode())
        return git, file.blob_id.lower()
    return None, None


def _fetch_file(
    url: str,
    part: Path,
    file: RemoteFile,
    meter: _Meter,
    cancel: threading.Event,
    headers: dict[str, str],
) -> None:
    """Stream ``url`` onto the end of ``part`` until it holds ``file.size`` bytes."""
    import httpx2
    from huggingface_hub import get_session

    attempts = 0
    while True:
        have = part.stat().st_size if part.exists() else 0
        if have >= file.size:
            return
        request_headers = {**headers, "Accept-Encoding": "identity"}
        if have:
            request_headers["Range"] = f"bytes={have}-"
        try:
            with get_session().stream(
                "GET", url, headers=request_headers, follow_redirects=True, timeout=30.0
            ) as response:
                if response.status_code >= 400:
                    raise DownloadError(
                        f"The model hub refused {file.name} ({response.status_code} error); "
                        "try again later."
                    )
                mode = "ab"
                if have and response.status_code != 206:  # the server ignored the range
                    meter.done -= have
                    mode = "wb"
                with part.open(mode) as out:
                    for chunk in response.iter_bytes(CHUNK_BYTES):
                        if cancel.is_set():
                            raise DownloadCancelled("Download stopped.")
                        out.write(chunk)
                        meter.done += len(chunk)
                        meter.emit("downloading", file.name)
            if part.stat().st_size >= file.size:
                return
        except httpx2.TransportError as exc:
            if cancel.is_set():
                raise DownloadCancelled("Download stopped.") from None
            attempts += 1
            if attempts > RETRIES:
                raise DownloadError(
                    f"The connection kept dropping while downloading {file.name} ({exc}); "
                    "run the same command again to resume."
                ) from None
            time.sleep(min(0.2 * 2**attempts, 2.0))
            continue
        attempts += 1  # the stream ended early without an error
        if attempts > RETRIES:
            raise DownloadError(
                f"{file.name} came back shorter than the hub said; run the same command "
                "again to resume."
            )


def _check_hash(part: Path, file: RemoteFile) -> None:
    hasher, expected = _hashers(file)
    if hasher is None:
        return
    with part.open("rb") as fh:
        for block in iter(lambda: fh.read(CHUNK_BYTES), b""):
            hasher.update(block)
    if hasher.hexdigest() != expected or part.stat().st_size != file.size:
        part.unlink(missing_ok=True)
        raise DownloadError(
            f"{file.name} did not match the hub's checksum, so it was deleted; run the "
            "same command again to download it afresh."
        )


def download_model(
    repo_id: str,
    dest: str | Path,
    revision: str | None = None,
    *,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    endpoint: str | None = None,
    token: str | None = None,
    plan: DownloadPlan | None = None,
) -> DownloadResult:
    """Download ``repo_id`` into the folder ``dest`` (a real folder of real files).

    Resumes what an earlier try left in ``dest``; refuses to start when the disk
    cannot hold the rest; checks every file against the hub's hash. ``cancel`` (set
    from any thread) stops it within one chunk with ``DownloadCancelled``, keeping the
    files so far. Runs on the caller's thread: the GUI calls it from a worker.
    """
    from huggingface_hub import hf_hub_url
    from huggingface_hub.utils._headers import build_hf_headers

    stop = cancel or threading.Event()
    where = hub_endpoint(endpoint)
    folder = Path(dest)
    record = _read_record(folder)
    if record.get("repo_id") not in (None, repo_id):
        raise UsageError(
            f"{folder} holds a download of {record.get('repo_id')}; remove it or choose "
            "another folder."
        )
    if record.get("repo_id") is None and folder.exists() and any(folder.iterdir()):
        raise UsageError(f"{folder} already holds other files; remove it or choose another folder.")
    plan = plan or fetch_plan(repo_id, revision, where)
    partial = folder / PARTIAL_DIR
    verified: dict[str, int] = {}
    if record.get("commit") == plan.commit and isinstance(record.get("verified"), dict):
        verified = {
            k: v
            for k, v in record["verified"].items()
            if isinstance(v, int) and (folder / k).is_file() and (folder / k).stat().st_size == v
        }
    elif partial.exists():  # unfinished files of another commit cannot be continued
        shutil.rmtree(partial)

    def part_of(f: RemoteFile) -> Path:
        return partial / f.name

    todo = [f for f in plan.files if verified.get(f.name) != f.size]
    have = sum(f.size for f in plan.files if f not in todo)
    resumed = sum(min(part_of(f).stat().st_size, f.size) for f in todo if part_of(f).exists())
    needed = sum(f.size for f in todo) - resumed
    free = _free_bytes(folder)
    if needed + DISK_MARGIN_BYTES > free:
        raise DownloadError(
            f"Not enough disk space: {repo_id} needs {format_size(needed)} more and "
            f"{format_size(free)} is free; free some space and try again."
        )
    meter = _Meter(plan, have + resumed, progress)
    meter.files_done = len(plan.files) - len(todo)
    meter.emit("checking", None, force=True)
    folder.mkdir(parents=True, exist_ok=True)
    _write_record(folder, plan, verified)
    headers = build_hf_headers(token=token)
    start_done = meter.done
    for file in todo:
        part = part_of(file)
        part.parent.mkdir(parents=True, exist_ok=True)
        if part.exists() and part.stat().st_size > file.size:
            meter.done -= part.stat().st_size - file.size
            part.unlink()
        url = hf_hub_url(repo_id, file.name, revision=plan.commit, endpoint=where)
        if file.size == 0:
            part.touch()
        else:
            _fetch_file(url, part, file, meter, stop, headers)
        try:
            _check_hash(part, file)
        except DownloadError:
            meter.done -= file.size
            raise
        target = folder / file.name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(part, target)
        verified[file.name] = file.size
        _write_record(folder, plan, verified)
        meter.files_done += 1
        meter.emit("downloading", file.name, force=True)
    shutil.rmtree(partial, ignore_errors=True)
    meter.emit("done", None, force=True)
    return DownloadResult(folder, plan, meter.done - start_done, resumed)

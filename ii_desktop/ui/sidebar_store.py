"""The sidebar's store work, done on worker threads: the shared store and the exports.

``StoreHolder`` opens the notebook store on first use and closes it once;
``export_notebook`` writes one notebook as Markdown, HTML, PDF or JSON, as the CLI's
``notebook export`` does, each file written whole or not at all (``write_atomically``),
and a notebook too long for a PDF refused before any layout, in words the window shows.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QThread

from ii_desktop.core.errors import AppError
from ii_desktop.core.files import write_atomically
from ii_desktop.core.settings import AppPaths
from ii_desktop.notebooks import (
    NotebookStore,
    StoreUnavailable,
    export_json,
    render_html,
    render_markdown,
)
from ii_desktop.notebooks.export import printable_html
from ii_desktop.ui.sidebar_words import os_reason

EXPORT_FORMATS = ("md", "html", "pdf", "json")

_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


class StoreHolder:
    """Opens the store on first use (on a worker thread) and closes it once."""

    def __init__(self, paths: AppPaths, store: NotebookStore | None) -> None:
        self._paths = paths
        self._store = store
        self._owned = store is None
        self._lock = threading.Lock()
        self._closed = False
        self.notice: str | None = None

    def get(self) -> NotebookStore:
        with self._lock:
            if self._closed:
                raise StoreUnavailable("The notebook list was closed.")
            if self._store is None:
                self._store = NotebookStore.open(self._paths.ensure())
                self.notice = self._store.notice
            return self._store

    def take_notice(self) -> str | None:
        with self._lock:
            notice, self.notice = self.notice, None
            return notice

    def close(self) -> None:
        with self._lock:
            self._closed = True
            store, self._store = self._store, None
        if store is not None and self._owned:
            store.close()


def export_file_name(title: str, fmt: str) -> str:
    """A file name for a notebook's export: its title without what file systems refuse."""
    name = " ".join(_UNSAFE_NAME.sub(" ", title).split()).strip(". ")[:80].strip()
    return f"{name or 'Notebook'}.{fmt}"


def check_format(fmt: str) -> None:
    """A ValueError unless ``fmt`` is one of EXPORT_FORMATS."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; one of {', '.join(EXPORT_FORMATS)}")


def _write_text(path: Path, text: str) -> None:
    try:
        write_atomically(path, text)
    except OSError as exc:
        raise AppError(f"Could not write {path}: {os_reason(exc)}.") from None


class _QtThread(QThread):
    """One call on a thread Qt started itself. Qt's per-thread font cache is torn down
    cleanly at such a thread's end; at the end of a Python thread that laid out a long
    document it warns ("QBasicTimer::start: ... event dispatcher has already been
    destroyed")."""

    def __init__(self, fn: Callable[[], None]) -> None:
        super().__init__()
        self._fn = fn
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._fn()
        except BaseException as exc:  # raised again by on_qt_thread
            self.error = exc


def on_qt_thread(fn: Callable[[], None]) -> None:
    """Run ``fn`` on a QThread and wait for it (from a worker thread, not the GUI's)."""
    thread = _QtThread(fn)
    thread.start()
    thread.wait()
    error, thread.error = thread.error, None
    if error is not None:
        raise error


def _write_pdf(html: str, path: Path, title: str) -> None:
    from ii_desktop.ui.pdf_export import write_pdf

    if not path.parent.is_dir():
        raise AppError(f"Could not write {path}: the folder {path.parent} does not exist.")
    try:
        on_qt_thread(lambda: write_pdf(html, path, title))
    except OSError as exc:
        reason = os_reason(exc) if exc.errno is not None else "the PDF could not be written"
        raise AppError(f"Could not write {path}: {reason}.") from None


def export_notebook(store: NotebookStore, notebook_id: str, fmt: str, path: Path) -> Path:
    """Write one notebook to ``path`` as the CLI's ``notebook export`` does."""
    notebook = store.notebook(notebook_id)
    if fmt == "json":
        _write_text(path, export_json(store, notebook.id))
        return path
    runs = store.runs(notebook.id)
    if fmt == "md":
        _write_text(path, render_markdown(notebook, runs))
    elif fmt == "html":
        _write_text(path, render_html(notebook, runs))
    else:
        # refused here, while building the HTML, when the notebook is too long for a PDF
        _write_pdf(printable_html(notebook, runs), path, notebook.title)
    return path

"""What a fact check reads: a web page (through the tools' guard and reader), an HTML,
PDF or text file, or text given directly. Always the full clean text, not the model's
10,000-character view."""

from __future__ import annotations

import threading
from pathlib import Path

from ii_desktop.core.errors import AppError, UsageError
from ii_desktop.core.settings import ToolSettings
from ii_desktop.factcheck.pipeline import PageInput
from ii_desktop.tools.fetch import FetchedPage, FetchError, fetch, sniff

MAX_TEXT_BYTES = 15 * 1024 * 1024


class UnreadablePage(AppError):
    """The page or file could not be read; ``kind`` is the reader's error kind."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


def _read(page: FetchedPage, cancel: threading.Event | None) -> tuple[str, str]:
    from ii_desktop.tools.read_worker import read_page_bounded

    found = read_page_bounded(page, cancel=cancel)
    return found.title, found.full_text


def read_web(url: str, settings: ToolSettings, cancel: threading.Event | None = None) -> PageInput:
    """The page at ``url``, under the same guard as the model's visits (a private
    address needs ``--allow-host``)."""
    from ii_desktop.tools.http import make_guarded_client

    with make_guarded_client(settings) as client:
        try:
            page = fetch(client, url, settings, cancel)
            title, text = _read(page, cancel)
        except FetchError as exc:
            raise UnreadablePage(f"{url} could not be read: {exc.message}", exc.kind) from None
    if not text.strip():
        raise UnreadablePage(f"{url} has no text to check.", "empty")
    return PageInput(page.final_url, title or url, text, "web")


def read_file(path: Path, cancel: threading.Event | None = None) -> PageInput:
    """An HTML, PDF or text file."""
    try:
        size = path.stat().st_size
        if size > MAX_TEXT_BYTES:
            raise UnreadablePage(
                f"{path} is {size // (1024 * 1024)} MiB; files up to "
                f"{MAX_TEXT_BYTES // (1024 * 1024)} MiB can be checked.",
                "too_large",
            )
        body = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"There is no file {path}.") from None
    except IsADirectoryError:
        raise UsageError(
            f"{path} is a folder; give a file, a web address or - for stdin."
        ) from None
    except OSError as exc:
        raise UsageError(f"{path} cannot be read: {exc.strerror or exc}.") from None
    suffix = path.suffix.lower()
    kind = (
        "pdf"
        if suffix == ".pdf"
        else "html"
        if suffix in (".html", ".htm", ".xhtml")
        else sniff(body) or "text"
    )
    if kind == "json":
        kind = "text"
    page = FetchedPage(path.as_uri(), path.as_uri(), 200, "", None, body, kind)
    try:
        title, text = _read(page, cancel)
    except FetchError as exc:
        raise UnreadablePage(f"{path} could not be read: {exc.message}", exc.kind) from None
    if not text.strip():
        raise UnreadablePage(f"{path} has no text to check.", "empty")
    return PageInput("", title or path.name, text, "file")


def read_text(text: str, title: str = "Pasted text") -> PageInput:
    text = text.replace("\r\n", "\n").replace("\x00", "").strip()
    if not text:
        raise UnreadablePage("There is no text to check.", "empty")
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        raise UnreadablePage("The text is too long to check (more than 15 MiB).", "too_large")
    return PageInput("", title, text, "text")

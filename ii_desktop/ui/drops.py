"""What a drop on the window (or on the Dock icon) brings: web pages and local files."""

from __future__ import annotations

import plistlib
from pathlib import Path

from PySide6.QtCore import QUrl


def urls_from_drop(urls: list[QUrl], text: str) -> tuple[list[str], list[Path]]:
    """Web pages and local files in a drop (``text/uri-list``, plain text, ``.webloc``)."""
    web: list[str] = []
    files: list[Path] = []
    for url in urls:
        if url.scheme() in ("http", "https"):
            web.append(url.toString())
        elif url.isLocalFile():
            path = Path(url.toLocalFile())
            if path.suffix.lower() == ".webloc":
                target = read_webloc(path)
                if target:
                    web.append(target)
            else:
                files.append(path)
    if not web and not files:
        for line in text.split():
            if line.startswith(("http://", "https://")):
                web.append(line)
    return web, files


def read_webloc(path: Path) -> str | None:
    """The URL in a macOS ``.webloc`` file (a property list with a ``URL`` key)."""
    try:
        with path.open("rb") as fh:
            data = plistlib.load(fh)
    except (OSError, plistlib.InvalidFileException, ValueError, OverflowError):
        return None
    url = data.get("URL") if isinstance(data, dict) else None
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        return url
    return None

"""The sources of one run, numbered once each in order of first appearance."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from ii_desktop.agent.citation_support import support_citations

# what is kept of a page the model read: its view of the page, no more
# the model's view of a page is at most this long (tools.base.PAGE_TEXT_LIMIT; not
# imported: the window loads this module before any tool, and tools bring httpx)
READ_TEXT_LIMIT = 10_000
TRUNCATION_LINE = "[Content truncated to 10,000 characters]"


def url_key(url: str) -> str:
    """A comparison key: scheme-less, lower-case host, no fragment, no trailing slash."""
    try:
        parts = urlsplit(url.strip())
        port_number = parts.port  # raises for a port out of range
    except ValueError:
        return url.strip()
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    port = f":{port_number}" if port_number and port_number not in (80, 443) else ""
    path = parts.path.rstrip("/")
    return urlunsplit(("", host + port, path, parts.query, ""))


@dataclass
class SourceEntry:
    n: int
    url: str
    title: str
    kind: str  # search_result | page
    visited: bool = False
    # the page's text as the model read it (the tool result's text), for checking what
    # the answer cites from it; empty for a page never read
    read_text: str = ""

    def keep_read_text(self, text: str) -> None:
        """Keep what the model read of this page (the first reading, which a second
        visit repeats), within ``READ_TEXT_LIMIT`` characters."""
        if not self.read_text:
            self.read_text = text.replace(TRUNCATION_LINE, " ").strip()[:READ_TEXT_LIMIT]


class SourceRegistry:
    def __init__(self) -> None:
        self._by_key: dict[str, SourceEntry] = {}
        self.entries: list[SourceEntry] = []

    def add(
        self, url: str, title: str, kind: str, aliases: tuple[str, ...] = ()
    ) -> tuple[SourceEntry, bool]:
        """Register a source; returns it and whether it is new (or newly visited)."""
        keys = [url_key(u) for u in (url, *aliases) if u]
        entry = next((self._by_key[k] for k in keys if k in self._by_key), None)
        changed = False
        if entry is None:
            entry = SourceEntry(len(self.entries) + 1, url, title, kind, kind == "page")
            self.entries.append(entry)
            changed = True
        elif kind == "page" and not entry.visited:
            entry.visited = True
            entry.kind = "page"
            entry.title = title or entry.title
            changed = True
        for key in keys:
            self._by_key.setdefault(key, entry)
        return entry, changed

    def lookup(self, url: str) -> SourceEntry | None:
        return self._by_key.get(url_key(url))

    def citations(self, urls: list[str], answer: str = "") -> list[dict[str, object]]:
        """One entry per cited URL: ``url``, ``n`` (None for a URL that is no source),
        ``verified`` (the run read the page), ``support`` ("strong" when the passage of
        the page the model read holds the citing sentence's key facts, else "weak") and
        ``passage`` (that passage, at most 400 characters; "" for a page not read).
        See ``citation_support`` for how a sentence is judged."""
        pages: dict[str, str | None] = {}
        for url in urls:
            entry = self.lookup(url)
            read = entry is not None and entry.visited
            pages[url] = entry.read_text if entry is not None and read else None
        judged = support_citations(answer, pages)
        out: list[dict[str, object]] = []
        for url in urls:
            entry = self.lookup(url)
            support = judged[url]
            out.append(
                {
                    "url": url,
                    "n": entry.n if entry else None,
                    "verified": bool(entry and entry.visited),
                    "support": support.support,
                    "passage": support.passage,
                }
            )
        return out

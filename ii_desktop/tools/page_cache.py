"""Pages already visited in a session, so a second visit is not a second download.

A small least-recently-used map from URL to the visit's ``ToolOutput``, bounded in
entries and in (approximate) bytes, safe to share between threads. Both the URL asked
for and the final URL after redirects point to the same entry. Failures are never
kept: a timeout now may be a page later.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from ii_desktop.tools.base import ToolOutput

DEFAULT_MAX_ENTRIES = 64
DEFAULT_MAX_BYTES = 64 * 1024 * 1024


def cache_key(url: str) -> str:
    """The URL without its fragment: ``page#section`` is the same download as ``page``."""
    return url.split("#", 1)[0].strip()


def _size(value: Any) -> int:
    if isinstance(value, str):
        return len(value) * 2  # a rough figure for Python's compact strings
    if isinstance(value, dict):
        return sum(_size(k) + _size(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return sum(_size(v) for v in value)
    return 16


def output_size(output: ToolOutput) -> int:
    return _size(output.text) + _size(output.data) + 256


class PageCache:
    """Thread-safe LRU of visited pages by URL."""

    def __init__(
        self, max_entries: int = DEFAULT_MAX_ENTRIES, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        self.max_entries = max(1, max_entries)
        self.max_bytes = max(1, max_bytes)
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[ToolOutput, int]] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def get(self, url: str) -> ToolOutput | None:
        key = cache_key(url)
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found[0]

    def put(self, output: ToolOutput, *urls: str) -> None:
        """Keep a successful visit under each of ``urls``."""
        if not output.ok:
            return
        size = output_size(output)
        if size > self.max_bytes:
            return
        with self._lock:
            for key in dict.fromkeys(cache_key(u) for u in urls if u):
                old = self._entries.pop(key, None)
                if old is not None:
                    self._bytes -= old[1]
                self._entries[key] = (output, size)
                self._bytes += size
            self._evict()

    def _evict(self) -> None:
        # An output stored under two URLs is counted twice: a safe overestimate.
        while self._entries and (
            len(self._entries) > self.max_entries or self._bytes > self.max_bytes
        ):
            _key, (_output, size) = self._entries.popitem(last=False)
            self._bytes -= size

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __contains__(self, url: object) -> bool:
        if not isinstance(url, str):
            return False
        with self._lock:
            return cache_key(url) in self._entries

"""The tool interface and the trained formats shared by every tool.

A tool is a plain object with a ``name``, the JSON ``schema`` offered to the model and
``run(args, ctx)``. It never creates its own HTTP client: the context carries one, so
tests hand it a client pointed at servers on 127.0.0.1.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

import httpx

from ii_desktop.core.settings import ToolSettings
from ii_desktop.core.text import valid_unicode

if TYPE_CHECKING:  # page_cache imports this module
    from ii_desktop.tools.page_cache import PageCache

# The model was trained with exactly these names, descriptions and schemas.
WEB_SEARCH_SCHEMA: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "web_search",
        "description": "Search the web for information",
        "parameters": {
            "type": "object",
            "properties": {"query": {"type": "string", "description": "The search query"}},
            "required": ["query"],
        },
    },
}
WEB_VISIT_SCHEMA: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "web_visit",
        "description": "Visit a URL and retrieve the full document content",
        "parameters": {
            "type": "object",
            "properties": {"url": {"type": "string", "description": "The URL to visit"}},
            "required": ["url"],
        },
    },
}

MAX_SEARCH_RESULTS = 10
PAGE_TEXT_LIMIT = 10_000
TRUNCATION_LINE = "[Content truncated to 10,000 characters]"


def _strip_ellipsis(text: str) -> str:
    text = " ".join(text.split())
    return text[:-3].rstrip() if text.endswith("...") else text


def format_search_results(results: list[dict[str, str]]) -> str:
    """The trained ``web_search`` text: up to 10 ``Index/URL/Title/Preview`` blocks.

    Each result is a dict with ``url``, ``title`` and ``snippet``. Indexes count from 0;
    a trailing "..." is removed from titles and snippets.
    """
    blocks = []
    for i, result in enumerate(results[:MAX_SEARCH_RESULTS]):
        blocks.append(
            f"Index: {i}\nURL: {result.get('url', '')}\n"
            f"Title: {_strip_ellipsis(result.get('title', ''))}\n"
            f"Preview: {_strip_ellipsis(result.get('snippet', ''))}"
        )
    return "\n\n".join(blocks)


def truncate_page_text(text: str) -> tuple[str, bool]:
    """The trained ``web_visit`` text: cut at 10,000 characters plus a truncation line."""
    if len(text) <= PAGE_TEXT_LIMIT:
        return text, False
    return text[:PAGE_TEXT_LIMIT] + "\n" + TRUNCATION_LINE, True


def valid_unicode_value(value: Any) -> Any:
    """``value`` with every string in it (dict keys included, at any depth of dicts,
    lists and tuples) made valid Unicode; the very same object when nothing changes."""
    if isinstance(value, str):
        # isascii() is O(1) for str: the common case costs nothing
        return value if value.isascii() else valid_unicode(value)
    if isinstance(value, dict):
        changed = False
        cleaned = {}
        for key, item in value.items():
            new_key, new_item = valid_unicode_value(key), valid_unicode_value(item)
            changed = changed or new_key is not key or new_item is not item
            cleaned[new_key] = new_item
        return cleaned if changed else value
    if isinstance(value, list | tuple):
        items = [valid_unicode_value(item) for item in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return tuple(items) if isinstance(value, tuple) else items
    return value


@dataclass(frozen=True)
class SourceRef:
    """A page the run came across: a search hit or a visited page."""

    url: str
    title: str = ""
    kind: Literal["search_result", "page"] = "search_result"


@dataclass(frozen=True)
class ToolOutput:
    """What one tool call produced.

    ``text`` is exactly what the model sees (for a failure, a short message it can act
    on). ``data`` holds the richer result for the app (results list, page markdown, full
    text, final URL, content type, provider, ...). ``error_kind`` is a stable word.
    """

    ok: bool
    text: str
    error: str | None = None
    error_kind: str | None = None
    sources: tuple[SourceRef, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Every tool's text enters the app here: a lone surrogate (from a JSON page's
        # "\ud800") is replaced now, before anything tries to encode, store or print it.
        set_field = object.__setattr__
        set_field(self, "text", valid_unicode_value(self.text))
        if self.error is not None:
            set_field(self, "error", valid_unicode_value(self.error))
        set_field(self, "data", valid_unicode_value(self.data))
        sources = tuple(
            s
            if s.url.isascii() and s.title.isascii()
            else dataclasses.replace(s, url=valid_unicode(s.url), title=valid_unicode(s.title))
            for s in self.sources
        )
        set_field(self, "sources", sources)

    @classmethod
    def failure(
        cls, kind: str, message: str, *, model_message: str | None = None, **data: Any
    ) -> ToolOutput:
        """A failed call: ``message`` is shown to the user as it is (never with ``kind``,
        which stays a field); the model reads ``Error: `` and ``model_message`` (by
        default the same message)."""
        told = message if model_message is None else model_message
        return cls(ok=False, text=f"Error: {told}", error=message, error_kind=kind, data=data)


@dataclass
class ToolContext:
    """What a tool gets besides its arguments."""

    http: httpx.Client
    settings: ToolSettings = field(default_factory=ToolSettings)
    cancel: threading.Event = field(default_factory=threading.Event)
    page_cache: PageCache | None = None  # shared across a session (or a notebook) when set
    provenance: Any = None  # a ``tools.provenance.Provenance``: which URLs may be visited


class Tool(Protocol):
    name: str
    schema: dict[str, Any]

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutput: ...

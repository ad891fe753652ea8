"""Pages runs read: taken from ``web_visit`` results, kept newest-first per URL.

The row keeps what the reader pane and search need (markdown, clean text, title) and
exactly what the model was given, so a saved page can stand in for a new visit.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from typing import Any

from ii_desktop.agent.events import ToolResult
from ii_desktop.notebooks.privacy import scrub

# web_visit data fields kept beside the page text, for rebuilding the visit's result
PAGE_META = ("byline", "date", "truncated")
# a page's full text, kept once in ``pages``: a visit's stored event goes without it
PAGE_TEXT_FIELDS = ("markdown", "full_text")


def without_page_text(data: dict[str, Any]) -> dict[str, Any]:
    """A visit's ``data`` without the page's full text (which the ``pages`` row holds)."""
    return {k: v for k, v in data.items() if k not in PAGE_TEXT_FIELDS}


def page_from_result(event: ToolResult, at: float) -> dict[str, Any] | None:
    """The page a successful ``web_visit`` read, as a ``pages`` row; None for anything else."""
    data = event.data
    if event.name != "web_visit" or not event.ok or not isinstance(data.get("url"), str):
        return None
    if not (data.get("full_text") or data.get("markdown")):
        return None

    def text(key: str) -> str:
        value = data.get(key)
        return scrub(value) if isinstance(value, str) else ""

    url = text("url")
    fetched = data.get("fetched")  # a page served from the notebooks keeps its own age
    if isinstance(fetched, bool) or not isinstance(fetched, int | float):
        fetched = None
    elif not math.isfinite(fetched):
        fetched = None
    return {
        "url": url,
        "final_url": text("final_url") or url,
        "title": text("title"),
        "markdown": text("markdown"),
        "full_text": text("full_text") or text("markdown"),
        "content_type": text("content_type"),
        "fetched": at if fetched is None else float(fetched),
        "model_text": scrub(event.text),
        "meta": json.dumps({k: scrub(data[k]) for k in PAGE_META if k in data}),
    }


def save_page(conn: sqlite3.Connection, run_id: str, page: dict[str, Any]) -> None:
    """Keep the newest read of each URL, and remember which run read it.

    A saved row dated in the future (an import from before imports were clamped) is
    always replaced, so it cannot hide every later real visit.
    """
    conn.execute(
        "INSERT INTO pages (url, final_url, title, markdown, full_text, content_type, fetched, "
        "model_text, meta) VALUES (:url, :final_url, :title, :markdown, :full_text, "
        ":content_type, :fetched, :model_text, :meta) "
        "ON CONFLICT(url) DO UPDATE SET final_url = excluded.final_url, "
        "title = excluded.title, markdown = excluded.markdown, "
        "full_text = excluded.full_text, content_type = excluded.content_type, "
        "fetched = excluded.fetched, model_text = excluded.model_text, meta = excluded.meta "
        "WHERE excluded.fetched >= pages.fetched OR pages.fetched > :now",
        {**page, "now": time.time()},
    )
    conn.execute(
        "INSERT OR IGNORE INTO run_pages (run_id, page_id) SELECT ?, id FROM pages WHERE url = ?",
        (run_id, page["url"]),
    )

"""Full-text search over notebooks: questions, answers and the text of pages runs read.

Queries are typed by people (and, for the local provider, by the model), so they are
never passed to FTS5 as syntax: each word becomes a quoted term.
"""

from __future__ import annotations

import re
import sqlite3
from urllib.parse import urlsplit

from ii_desktop.notebooks.records import SearchHit

MAX_TERMS = 32
_WORD = re.compile(r"\w+", re.UNICODE)


def match_expression(query: str, any_word: bool = False) -> str | None:
    """An FTS5 MATCH expression: every word (or any word) of the query, quoted."""
    words = _WORD.findall(query)[:MAX_TERMS]
    if not words:
        return None
    return (" OR " if any_word else " AND ").join(f'"{w}"' for w in words)


def flat(text: str) -> str:
    return " ".join(text.split())


_BOXED = re.compile(r"\$*\\boxed\{([^{}]*)\}\$*")
_CITED_URL = re.compile(r"\[(https?://[^\s\]]+)\]")


def _host(url: str) -> str:
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")


def answer_snippet(text: str) -> str:
    """A snippet of an answer as a reader sees it: a boxed short answer as its words, a
    ``[URL]`` citation as the site's name (the run's numbering is not at hand here)."""
    text = _BOXED.sub(lambda m: m[1], text)
    return flat(_CITED_URL.sub(lambda m: f"[{_host(m[1])}]", text))


def search_notebooks(conn: sqlite3.Connection, query: str, limit: int = 20) -> list[SearchHit]:
    """Matches in questions and answers first, then in pages; the best of each first."""
    expression = match_expression(query)
    if expression is None:
        return []
    hits: list[SearchHit] = []
    rows = conn.execute(
        "SELECT r.notebook_id, r.id, n.title, snippet(runs_fts, -1, '', '', '…', 16) "
        "FROM runs_fts JOIN runs r ON r.seq = runs_fts.rowid "
        "JOIN notebooks n ON n.id = r.notebook_id "
        "WHERE runs_fts MATCH ? ORDER BY bm25(runs_fts) LIMIT ?",
        (expression, limit),
    ).fetchall()
    for notebook_id, run_id, title, snippet in rows:
        hits.append(
            SearchHit(notebook_id, run_id, title, answer_snippet(snippet), "question_or_answer")
        )
    seen = {(h.run_id, h.where) for h in hits}
    # the best pages first (ranking alone is cheap), then snippets of those only: a
    # snippet reads its whole page, and a common word matches every page of the store
    rows = conn.execute(
        "SELECT r.notebook_id, r.id, n.title, snippet(pages_fts, -1, '', '', '…', 16), "
        "p.final_url "
        "FROM pages_fts JOIN pages p ON p.id = pages_fts.rowid "
        "JOIN run_pages rp ON rp.page_id = p.id JOIN runs r ON r.id = rp.run_id "
        "JOIN notebooks n ON n.id = r.notebook_id "
        "WHERE pages_fts MATCH ? AND pages_fts.rowid IN "
        "(SELECT rowid FROM pages_fts WHERE pages_fts MATCH ? ORDER BY rank LIMIT ?) "
        "ORDER BY rank, r.seq DESC LIMIT ?",
        (expression, expression, limit, limit),
    ).fetchall()
    for notebook_id, run_id, title, snippet, url in rows:
        if len(hits) >= limit:
            break
        if (run_id, "page") in seen:
            continue  # one page hit per run is enough
        seen.add((run_id, "page"))
        hits.append(SearchHit(notebook_id, run_id, title, flat(snippet), "page", url))
    return hits

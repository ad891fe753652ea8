"""The notebook database: its file, its connection settings, its schema and migrations.

One SQLite file in the data folder. WAL lets the GUI read while the CLI writes; every
write is a short ``BEGIN IMMEDIATE`` transaction and waits (busy_timeout) rather than
failing when the other process holds the lock. The schema version is ``user_version``;
each migration runs once, inside the write lock, so two processes never both apply it.

A file SQLite cannot read is moved aside under a new name and a fresh store started.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ii_desktop.notebooks.errors import NotebookError, StoreUnavailable, describe_sqlite_error

DB_NAME = "notebooks.sqlite3"
BUSY_TIMEOUT_MS = 15_000
RUN_STATUSES = ("running", "answered", "cancelled", "error", "budget", "interrupted")
_STATUS_CHECK = ", ".join(f"'{s}'" for s in RUN_STATUSES)

_V1 = f"""
CREATE TABLE notebooks (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    conversation_id TEXT NOT NULL UNIQUE,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE tags (
    notebook_id TEXT NOT NULL REFERENCES notebooks(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (notebook_id, tag)
);
CREATE TABLE runs (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    notebook_id TEXT NOT NULL REFERENCES notebooks(id) ON DELETE CASCADE,
    question TEXT NOT NULL,
    mode TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ({_STATUS_CHECK})),
    answer TEXT NOT NULL DEFAULT '',
    error TEXT,
    messages TEXT,
    started REAL NOT NULL,
    finished REAL,
    owner_host TEXT,
    owner_pid INTEGER,
    heartbeat REAL
);
CREATE INDEX runs_by_notebook ON runs(notebook_id, seq);
CREATE INDEX runs_by_status ON runs(status);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    at REAL NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX events_by_run ON events(run_id, id);
CREATE TABLE pages (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    final_url TEXT NOT NULL,
    title TEXT NOT NULL,
    markdown TEXT NOT NULL,
    full_text TEXT NOT NULL,
    content_type TEXT NOT NULL,
    fetched REAL NOT NULL,
    model_text TEXT NOT NULL DEFAULT '',
    meta TEXT NOT NULL DEFAULT '{{}}'
);
CREATE INDEX pages_by_final_url ON pages(final_url);
CREATE TABLE run_pages (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    page_id INTEGER NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    PRIMARY KEY (run_id, page_id)
);
CREATE INDEX run_pages_by_page ON run_pages(page_id);

CREATE VIRTUAL TABLE runs_fts USING fts5(
    question, answer, content='runs', content_rowid='seq',
    tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER runs_fts_insert AFTER INSERT ON runs BEGIN
    INSERT INTO runs_fts(rowid, question, answer) VALUES (new.seq, new.question, new.answer);
END;
CREATE TRIGGER runs_fts_delete AFTER DELETE ON runs BEGIN
    INSERT INTO runs_fts(runs_fts, rowid, question, answer)
    VALUES ('delete', old.seq, old.question, old.answer);
END;
CREATE TRIGGER runs_fts_update AFTER UPDATE OF question, answer ON runs BEGIN
    INSERT INTO runs_fts(runs_fts, rowid, question, answer)
    VALUES ('delete', old.seq, old.question, old.answer);
    INSERT INTO runs_fts(rowid, question, answer) VALUES (new.seq, new.question, new.answer);
END;

CREATE VIRTUAL TABLE pages_fts USING fts5(
    title, full_text, content='pages', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER pages_fts_insert AFTER INSERT ON pages BEGIN
    INSERT INTO pages_fts(rowid, title, full_text) VALUES (new.id, new.title, new.full_text);
END;
CREATE TRIGGER pages_fts_delete AFTER DELETE ON pages BEGIN
    INSERT INTO pages_fts(pages_fts, rowid, title, full_text)
    VALUES ('delete', old.id, old.title, old.full_text);
END;
CREATE TRIGGER pages_fts_update AFTER UPDATE OF title, full_text ON pages BEGIN
    INSERT INTO pages_fts(pages_fts, rowid, title, full_text)
    VALUES ('delete', old.id, old.title, old.full_text);
    INSERT INTO pages_fts(rowid, title, full_text) VALUES (new.id, new.title, new.full_text);
END;
"""

_V2 = """
ALTER TABLE notebooks ADD COLUMN system_prompt TEXT;
ALTER TABLE runs ADD COLUMN context TEXT;
"""


def _v2_runs_stored_once(conn: sqlite3.Connection) -> None:
    """Schema 1 copied the whole conversation so far into every run (storage grew with
    the square of a notebook's length). Each run now keeps only its compact form
    (``runs.context``: answer and pages read) and the notebook its system prompt; the
    conversation is rebuilt from them."""
    from ii_desktop.agent.history import compact_answer

    for (notebook_id,) in conn.execute("SELECT id FROM notebooks").fetchall():
        row = conn.execute(
            "SELECT messages FROM runs WHERE notebook_id = ? AND messages IS NOT NULL "
            "ORDER BY seq LIMIT 1",
            (notebook_id,),
        ).fetchone()
        system = _system_prompt(row[0]) if row else None
        if system is not None:
            conn.execute(
                "UPDATE notebooks SET system_prompt = ? WHERE id = ?", (system, notebook_id)
            )
    rows = conn.execute(
        "SELECT id, answer FROM runs WHERE status IN ('answered', 'budget') AND answer != ''"
    ).fetchall()
    for run_id, answer in rows:
        pages = conn.execute(
            "SELECT p.title, p.final_url FROM run_pages rp JOIN pages p ON p.id = rp.page_id "
            "WHERE rp.run_id = ? ORDER BY p.id",
            (run_id,),
        ).fetchall()
        conn.execute(
            "UPDATE runs SET context = ? WHERE id = ?", (compact_answer(answer, pages), run_id)
        )
    conn.execute("UPDATE runs SET messages = NULL")
    # a visit's page text is kept once, in pages, not again in its event
    from ii_desktop.notebooks.pages import PAGE_TEXT_FIELDS

    rows = conn.execute(
        "SELECT id, payload FROM events WHERE type = 'tool_result' "
        "AND payload LIKE '%\"full_text\"%'"
    ).fetchall()
    for event_id, payload in rows:
        event = json.loads(payload)
        data = event.get("data")
        if event.get("name") != "web_visit" or not isinstance(data, dict):
            continue
        url = data.get("url")
        saved = conn.execute("SELECT 1 FROM pages WHERE url = ?", (url,)).fetchone()
        if saved is None:
            continue  # the only copy of this page's text: keep it
        event["data"] = {k: v for k, v in data.items() if k not in PAGE_TEXT_FIELDS}
        conn.execute(
            "UPDATE events SET payload = ? WHERE id = ?",
            (json.dumps(event, ensure_ascii=False, separators=(",", ":")), event_id),
        )


def _system_prompt(messages_json: str) -> str | None:
    try:
        messages = json.loads(messages_json)
        first = messages[0]
    except (ValueError, IndexError, KeyError, TypeError):
        return None
    if isinstance(first, dict) and first.get("role") == "system":
        content = first.get("content")
        return content if isinstance(content, str) else None
    return None


# Append only: migration N brings user_version from N-1 to N. Each is a script, and
# optionally a step in Python that runs after it in the same transaction.
Migration = tuple[str, Callable[[sqlite3.Connection], None] | None]
MIGRATIONS: tuple[Migration, ...] = ((_V1, None), (_V2, _v2_runs_stored_once))
SCHEMA_VERSION = len(MIGRATIONS)


def statements(script: str) -> list[str]:
    """Split a script into statements; triggers keep the semicolons of their bodies."""
    out: list[str] = []
    current = ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            out.append(current.strip())
            current = ""
    if current.strip():
        out.append(current.strip())
    return out


def connect(path: Path) -> sqlite3.Connection:
    # autocommit mode: transactions are opened explicitly, and kept short
    conn = sqlite3.connect(
        path,
        timeout=BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,
        check_same_thread=False,
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL")  # takes effect in a new file
        conn.execute("PRAGMA foreign_keys = ON")
        if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
            raise StoreUnavailable(f"The notebook database {path} cannot use WAL journaling.")
        # FULL: a committed batch survives a power cut, not only a killed process
        conn.execute("PRAGMA synchronous = FULL")
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction that takes the lock up front, so it never fails half way on BUSY."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def migrate(conn: sqlite3.Connection) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    with immediate(conn):
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise NotebookError(
                "The notebook database was written by a newer ii-desktop "
                f"(schema {version}, this version reads up to {SCHEMA_VERSION}). "
                "Update ii-desktop to open it."
            )
        for number in range(version + 1, SCHEMA_VERSION + 1):
            script, step = MIGRATIONS[number - 1]
            for statement in statements(script):
                conn.execute(statement)
            if step is not None:
                step(conn)
            conn.execute(f"PRAGMA user_version = {number}")
    if version > 0:  # an older store: give back what the migration freed, once
        reclaim(conn, full=True)


def reclaim(conn: sqlite3.Connection, full: bool = False) -> None:
    """Give free pages back to the file system: after deletes a few at a time (the file
    keeps its size otherwise), or all at once with ``full`` (a VACUUM, which also turns
    on incremental vacuuming for a store made before it was the default)."""
    if full:
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
        conn.execute("VACUUM")
    else:
        conn.execute("PRAGMA incremental_vacuum")


def _damaged(exc: sqlite3.Error) -> bool:
    name = getattr(exc, "sqlite_errorname", "")
    return name in ("SQLITE_CORRUPT", "SQLITE_NOTADB") or "malformed" in str(exc)


def problems(conn: sqlite3.Connection) -> list[str]:
    """What ``PRAGMA quick_check`` finds wrong (empty when the file is sound). It reads
    the whole file: seconds for a large store, so it runs after a crash or on demand."""
    rows = conn.execute("PRAGMA quick_check").fetchall()
    found = [str(r[0]) for r in rows]
    return [] if found == ["ok"] else found


def _check(conn: sqlite3.Connection) -> None:
    if problems(conn):
        raise sqlite3.DatabaseError("database disk image is malformed")


def _aside_path(path: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.stem}.damaged-{stamp}{path.suffix}")
    n = 1
    while candidate.exists():  # never overwrite an earlier damaged copy
        n += 1
        candidate = path.with_name(f"{path.stem}.damaged-{stamp}-{n}{path.suffix}")
    return candidate


def _move_aside(path: Path) -> Path:
    aside = _aside_path(path)
    os.replace(path, aside)
    for suffix in ("-wal", "-shm"):
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            os.replace(extra, aside.with_name(aside.name + suffix))
    return aside


@dataclass
class Opened:
    conn: sqlite3.Connection
    damaged_copy: Path | None = None


def open_database(path: Path, check: bool = False) -> Opened:
    """Connect and migrate, with a full integrity check when ``check``; a damaged file is
    kept aside and a fresh one created."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreUnavailable(
            f"Cannot create the folder for notebooks {path.parent}: {exc.strerror or exc}"
        ) from None
    aside: Path | None = None
    for attempt in range(2):
        conn: sqlite3.Connection | None = None
        try:
            conn = connect(path)
            if check:
                _check(conn)
            migrate(conn)
            return Opened(conn, aside)
        except sqlite3.Error as exc:
            if conn is not None:
                conn.close()
            if attempt == 0 and _damaged(exc) and path.exists():
                try:
                    aside = _move_aside(path)
                except FileNotFoundError:  # another process moved it first
                    pass
                except OSError as move_exc:
                    raise StoreUnavailable(
                        f"The notebook database {path} is damaged and could not be moved "
                        f"aside: {move_exc.strerror or move_exc}"
                    ) from None
                continue
            raise StoreUnavailable(
                f"Cannot open the notebook database {path}: {describe_sqlite_error(exc)}."
            ) from None
        except BaseException:
            if conn is not None:
                conn.close()
            raise
    raise StoreUnavailable(f"Cannot open the notebook database {path}.")  # pragma: no cover

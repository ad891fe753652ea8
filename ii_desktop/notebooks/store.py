"""The notebook store: notebooks, their runs and event logs, and the pages runs read.

One ``NotebookStore`` per process is enough; it is safe to share between threads (one
connection behind a lock, every write a short transaction). Another process (the GUI
beside a CLI command) may use the same file at the same time.

Opening the store ends runs left ``running`` by a process that is gone: they become
``interrupted`` and keep everything saved before the end.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ii_desktop.agent.history import PastRun
from ii_desktop.core.errors import UsageError
from ii_desktop.core.events import Event, event_from_dict
from ii_desktop.core.settings import AppPaths
from ii_desktop.engine.cache_files import kv_cache_file
from ii_desktop.notebooks.errors import NotebookNotFound, StoreUnavailable, describe_sqlite_error
from ii_desktop.notebooks.pages import save_page
from ii_desktop.notebooks.privacy import scrub_text
from ii_desktop.notebooks.records import (
    Conversation,
    Notebook,
    NotebookSummary,
    RunBatch,
    RunRecord,
    SavedPage,
    SearchHit,
)
from ii_desktop.notebooks.runlog import RunLog
from ii_desktop.notebooks.schema import DB_NAME, immediate, open_database, problems, reclaim

log = logging.getLogger(__name__)

# A run whose recorder has not written for this long is no longer being recorded.
STALE_SECONDS = 30.0
TITLE_MAX = 200
HOST = socket.gethostname()


def new_id() -> str:
    return uuid.uuid4().hex[:12]


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def clean_title(title: str) -> str:
    title = " ".join(scrub_text(title).split())
    if not title:
        raise UsageError("A notebook title cannot be empty.")
    return title[:TITLE_MAX]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists but belongs to someone else
        return True
    return True


class NotebookStore:
    def __init__(self, db_path: Path, kv_cache_dir: Path | None = None) -> None:
        opened = open_database(db_path)
        self._conn = opened.conn
        self._lock = threading.RLock()
        self.db_path = db_path
        self.kv_cache_dir = kv_cache_dir
        self.damaged_copy = opened.damaged_copy
        crashed = self._runs_of_dead_processes()
        if crashed and self.problems():
            # a process died mid-run and left the file damaged: keep it aside, start anew
            self._conn.close()
            opened = open_database(db_path, check=True)
            self._conn, self.damaged_copy = opened.conn, opened.damaged_copy
        self.interrupted_runs = self._end_orphaned_runs()

    @classmethod
    def open(cls, paths: AppPaths) -> NotebookStore:
        return cls(paths.data_dir / DB_NAME, paths.kv_cache_dir)

    @property
    def notice(self) -> str | None:
        """What to tell the user about opening the store (a damaged file kept aside)."""
        if self.damaged_copy is None:
            return None
        return (
            f"The notebook database was damaged; it was kept as {self.damaged_copy} "
            "and a new, empty one was started."
        )

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> NotebookStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transactions ---------------------------------------------------------------

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction; SQLite failures become ``StoreUnavailable``."""
        with self._lock:
            try:
                with immediate(self._conn) as conn:
                    yield conn
            except sqlite3.Error as exc:
                raise StoreUnavailable(
                    f"Could not save to the notebooks: {describe_sqlite_error(exc)}."
                ) from None

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several reads."""
        with self._lock:
            try:
                self._conn.execute("BEGIN")
                try:
                    yield self._conn
                finally:
                    self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StoreUnavailable(
                    f"Could not read the notebooks: {describe_sqlite_error(exc)}."
                ) from None

    def problems(self) -> list[str]:
        """A full integrity check (reads the whole file): what is wrong, empty if nothing.
        Runs on open only after a crash; ``notebook check`` runs it on demand."""
        with self._lock:
            try:
                return problems(self._conn)
            except sqlite3.Error as exc:
                return [describe_sqlite_error(exc)]

    def _runs_of_dead_processes(self) -> bool:
        """Whether a process of this machine died while recording (a crash, a kill)."""
        try:
            with self.reading() as conn:
                rows = conn.execute(
                    "SELECT owner_host, owner_pid FROM runs WHERE status = 'running'"
                ).fetchall()
        except StoreUnavailable:
            return False
        return any(host == HOST and pid and not _pid_alive(int(pid)) for host, pid in rows)

    def _end_orphaned_runs(self) -> int:
        now = time.time()
        try:
            with self.reading() as conn:
                rows = conn.execute(
                    "SELECT id, owner_host, owner_pid, heartbeat, started FROM runs "
                    "WHERE status = 'running'"
                ).fetchall()
            gone = []
            for run_id, host, pid, heartbeat, started in rows:
                last = heartbeat or started
                local_dead = host == HOST and pid and not _pid_alive(int(pid))
                if local_dead or now - last > STALE_SECONDS:
                    gone.append((last, run_id))
            if gone:
                with self.writing() as conn:
                    conn.executemany(
                        "UPDATE runs SET status = 'interrupted', finished = ? "
                        "WHERE id = ? AND status = 'running'",
                        gone,
                    )
            return len(gone)
        except StoreUnavailable:  # a read-only store can still be read
            return 0

    # --- notebooks ------------------------------------------------------------------

    def create(self, title: str, distinct: bool = False) -> Notebook:
        """A new notebook. ``distinct`` numbers the title ("Title (2)") when another
        notebook has it, so a title names one notebook."""
        title = clean_title(title)
        with self.writing() as conn:
            if distinct:
                title = self._free_title(conn, title)
            return self._insert_notebook(conn, title)

    @staticmethod
    def _free_title(conn: sqlite3.Connection, title: str) -> str:
        taken = {
            row[0].lower()
            for row in conn.execute(
                "SELECT title FROM notebooks WHERE title = ? COLLATE NOCASE "
                "OR title LIKE ? ESCAPE '\\'",
                (
                    title,
                    title.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + " (%)",
                ),
            )
        }
        if title.lower() not in taken:
            return title
        n = 2
        while f"{title} ({n})".lower() in taken:
            n += 1
        return f"{title} ({n})"

    def _insert_notebook(self, conn: sqlite3.Connection, title: str, now: float = 0.0) -> Notebook:
        notebook_id, now = new_id(), now or time.time()
        conversation_id = f"notebook-{notebook_id}-{new_id()}"
        conn.execute(
            "INSERT INTO notebooks (id, title, conversation_id, created, updated) "
            "VALUES (?, ?, ?, ?, ?)",
            (notebook_id, title, conversation_id, now, now),
        )
        return Notebook(self, notebook_id, title, conversation_id, now, now)

    def open_or_create(self, title: str) -> Notebook:
        """The notebook with this title (any case), else the one with this id, else a new
        one with this title. Several with the title: NotebookNotFound naming them, since
        continuing the wrong one would mix two lines of research."""
        title = clean_title(title)
        with self.writing() as conn:  # one transaction: two processes get one notebook
            rows = conn.execute(
                "SELECT id, updated FROM notebooks WHERE title = ? COLLATE NOCASE "
                "ORDER BY updated DESC LIMIT 6",
                (title,),
            ).fetchall()
            if not rows:
                ids = conn.execute("SELECT id FROM notebooks WHERE id = ?", (title,)).fetchall()
                if not ids:
                    return self._insert_notebook(conn, title)
                rows = ids
        if len(rows) > 1:
            which = ", ".join(
                f"{row[0]} (updated {time.strftime('%Y-%m-%d %H:%M', time.localtime(row[1]))})"
                for row in rows[:5]
            )
            more = " and more" if len(rows) > 5 else ""
            raise NotebookNotFound(
                f"Several notebooks are titled {title!r}: {which}{more}. "
                "Give one's id with --notebook, or rename one (ii-desktop notebook rename)."
            )
        return self.notebook(rows[0][0])

    def _resolve(self, conn: sqlite3.Connection, table: str, ref: str, what: str) -> str:
        ref = ref.strip()
        rows = conn.execute(
            f"SELECT id FROM {table} WHERE substr(id, 1, length(?)) = ? ORDER BY id LIMIT 6",
            (ref, ref),
        ).fetchall()
        ids = [r[0] for r in rows]
        if ref in ids:
            return ref
        if len(ids) == 1 and ref:
            return str(ids[0])
        if not ids or not ref:
            hint = "notebook list" if what == "notebook" else "notebook show NOTEBOOK"
            raise NotebookNotFound(f"No {what} with id {ref!r}; `ii-desktop {hint}` lists them.")
        raise NotebookNotFound(
            f"{ref!r} matches several {what}s ({', '.join(ids[:5])}); give more of the id."
        )

    def notebook(self, ref: str) -> Notebook:
        """A notebook by id, or by a prefix of its id that names only one."""
        with self.reading() as conn:
            notebook_id = self._resolve(conn, "notebooks", ref, "notebook")
            title, conversation_id, created, updated = conn.execute(
                "SELECT title, conversation_id, created, updated FROM notebooks WHERE id = ?",
                (notebook_id,),
            ).fetchone()
            tags = self._tags(conn, notebook_id)
        return Notebook(self, notebook_id, title, conversation_id, created, updated, tags)

    def _tags(self, conn: sqlite3.Connection, notebook_id: str) -> tuple[str, ...]:
        rows = conn.execute(
            "SELECT tag FROM tags WHERE notebook_id = ? ORDER BY tag", (notebook_id,)
        ).fetchall()
        return tuple(r[0] for r in rows)

    def notebooks(self) -> list[NotebookSummary]:
        """Every notebook, the most recently used first."""
        with self.reading() as conn:
            rows = conn.execute(
                "SELECT n.id, n.title, n.created, n.updated, "
                "(SELECT count(*) FROM runs r WHERE r.notebook_id = n.id), "
                "(SELECT group_concat(tag, char(31)) FROM "
                " (SELECT tag FROM tags t WHERE t.notebook_id = n.id ORDER BY tag)) "
                "FROM notebooks n ORDER BY n.updated DESC, n.rowid DESC"
            ).fetchall()
        return [
            NotebookSummary(i, t, c, u, runs, tuple(tags.split("\x1f")) if tags else ())
            for i, t, c, u, runs, tags in rows
        ]

    def rename(self, ref: str, title: str) -> Notebook:
        title = clean_title(title)
        with self.writing() as conn:
            notebook_id = self._resolve(conn, "notebooks", ref, "notebook")
            conn.execute(
                "UPDATE notebooks SET title = ?, updated = ? WHERE id = ?",
                (title, time.time(), notebook_id),
            )
        return self.notebook(notebook_id)

    def tag(self, ref: str, tags: Sequence[str], remove: bool = False) -> Notebook:
        cleaned = sorted({" ".join(t.split()) for t in tags} - {""})
        if not cleaned:
            raise UsageError("Give at least one non-empty tag.")
        with self.writing() as conn:
            notebook_id = self._resolve(conn, "notebooks", ref, "notebook")
            sql = (
                "DELETE FROM tags WHERE notebook_id = ? AND tag = ?"
                if remove
                else "INSERT OR IGNORE INTO tags (notebook_id, tag) VALUES (?, ?)"
            )
            conn.executemany(sql, [(notebook_id, t) for t in cleaned])
        return self.notebook(notebook_id)

    def delete(self, ref: str) -> Notebook:
        """Delete a notebook, its runs, the pages no other notebook read, and its KV cache."""
        notebook = self.notebook(ref)
        with self.writing() as conn:
            conn.execute("DELETE FROM notebooks WHERE id = ?", (notebook.id,))
            self._drop_orphan_pages(conn)
        self._reclaim()
        self._forget_cache(notebook.conversation_id)
        return notebook

    def _reclaim(self) -> None:
        """Give the space deletes freed back to the disk (a few pages at a time)."""
        with self._lock:
            try:
                reclaim(self._conn)
            except sqlite3.Error as exc:  # the delete is done; the space comes back later
                log.warning("could not reclaim free space: %s", describe_sqlite_error(exc))

    def _drop_orphan_pages(self, conn: sqlite3.Connection) -> None:
        conn.execute(
            "DELETE FROM pages WHERE NOT EXISTS "
            "(SELECT 1 FROM run_pages rp WHERE rp.page_id = pages.id)"
        )

    def _forget_cache(self, conversation_id: str) -> None:
        if self.kv_cache_dir is None:
            return
        path = kv_cache_file(self.kv_cache_dir, conversation_id)
        for victim in (path, path.with_name(path.stem + ".tmp.safetensors")):
            try:
                victim.unlink(missing_ok=True)
            except OSError:
                pass  # a cache nobody can name any more is harmless

    # --- runs -----------------------------------------------------------------------

    _RUN_COLUMNS = "id, notebook_id, question, mode, status, answer, error, started, finished"

    def _events(self, conn: sqlite3.Connection, run_id: str) -> list[Event]:
        rows = conn.execute(
            "SELECT payload FROM events WHERE run_id = ? ORDER BY id", (run_id,)
        ).fetchall()
        return [event_from_dict(json.loads(r[0])) for r in rows]

    def _record(self, conn: sqlite3.Connection, row: tuple[Any, ...]) -> RunRecord:
        run_id, notebook_id, question, mode, status, answer, error, started, finished = row
        log = RunLog.from_events(self._events(conn, run_id))
        return RunRecord(
            run_id, notebook_id, question, mode, status, answer, error, started, finished, log
        )

    def run_count(self, notebook_id: str) -> int:
        with self.reading() as conn:
            row = conn.execute(
                "SELECT count(*) FROM runs WHERE notebook_id = ?", (notebook_id,)
            ).fetchone()
        return int(row[0])

    def runs(self, notebook_ref: str) -> list[RunRecord]:
        """The runs of a notebook in the order they were asked, with their events folded."""
        with self.reading() as conn:
            notebook_id = self._resolve(conn, "notebooks", notebook_ref, "notebook")
            rows = conn.execute(
                f"SELECT {self._RUN_COLUMNS} FROM runs WHERE notebook_id = ? ORDER BY seq",
                (notebook_id,),
            ).fetchall()
            return [self._record(conn, row) for row in rows]

    def run(self, ref: str) -> RunRecord:
        with self.reading() as conn:
            run_id = self._resolve(conn, "runs", ref, "run")
            row = conn.execute(
                f"SELECT {self._RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,)
            ).fetchone()
            return self._record(conn, row)

    def events(self, run_ref: str) -> list[tuple[float, Event]]:
        """A run's events with the time each was received."""
        with self.reading() as conn:
            run_id = self._resolve(conn, "runs", run_ref, "run")
            rows = conn.execute(
                "SELECT at, payload FROM events WHERE run_id = ? ORDER BY id", (run_id,)
            ).fetchall()
        return [(at, event_from_dict(json.loads(payload))) for at, payload in rows]

    def conversation(self, notebook_ref: str) -> Conversation:
        """What the notebook's next question continues: its KV-cache id, the system
        prompt its conversation began with (None before its first answer) and each
        earlier run that found an answer, in compact form, oldest first."""
        with self.reading() as conn:
            notebook_id = self._resolve(conn, "notebooks", notebook_ref, "notebook")
            conversation_id, system = conn.execute(
                "SELECT conversation_id, system_prompt FROM notebooks WHERE id = ?",
                (notebook_id,),
            ).fetchone()
            rows = conn.execute(
                "SELECT question, mode, context FROM runs "
                "WHERE notebook_id = ? AND context IS NOT NULL ORDER BY seq",
                (notebook_id,),
            ).fetchall()
        return Conversation(conversation_id, system, [PastRun(q, m, c) for q, m, c in rows])

    def delete_run(self, ref: str) -> RunRecord:
        """Delete one run; later questions no longer see it. Only that run is touched."""
        record = self.run(ref)
        with self.writing() as conn:
            conn.execute("DELETE FROM runs WHERE id = ?", (record.id,))
            self._drop_orphan_pages(conn)
            # the KV cache holds the deleted run's text: start a new one
            (old_conversation,) = conn.execute(
                "SELECT conversation_id FROM notebooks WHERE id = ?", (record.notebook_id,)
            ).fetchone()
            conn.execute(
                "UPDATE notebooks SET conversation_id = ?, updated = ? WHERE id = ?",
                (f"notebook-{record.notebook_id}-{new_id()}", time.time(), record.notebook_id),
            )
        self._reclaim()
        self._forget_cache(old_conversation)
        return record

    # --- what recorders write -------------------------------------------------------

    def save_run(self, batch: RunBatch) -> None:
        """Write a recorder's batch. Its event payloads and pages come scrubbed; the run's
        own text columns are scrubbed here, the last step before the disk."""
        now = time.time()
        answer = None if batch.answer is None else scrub_text(batch.answer)
        error = None if batch.error is None else scrub_text(batch.error)
        with self.writing() as conn:
            if batch.new_run is not None:
                new = batch.new_run
                conn.execute(
                    "INSERT OR IGNORE INTO runs (id, notebook_id, question, mode, status, "
                    "started, owner_host, owner_pid, heartbeat) "
                    "VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?)",
                    (
                        batch.run_id,
                        new.notebook_id,
                        scrub_text(new.question),
                        new.mode,
                        new.started,
                        HOST,
                        os.getpid(),
                        now,
                    ),
                )
            conn.executemany(
                "INSERT INTO events (run_id, at, type, payload) VALUES (?, ?, ?, ?)",
                [(batch.run_id, at, kind, payload) for at, kind, payload in batch.events],
            )
            if answer is not None:
                conn.execute("UPDATE runs SET answer = ? WHERE id = ?", (answer, batch.run_id))
            conn.execute(
                "UPDATE runs SET status = ?, error = ?, finished = ?, heartbeat = ?, "
                "context = coalesce(?, context) WHERE id = ?",
                (
                    batch.status,
                    error,
                    batch.finished,
                    now,
                    None if batch.context is None else scrub_text(batch.context),
                    batch.run_id,
                ),
            )
            if batch.system_prompt is not None:  # the conversation's first answer
                conn.execute(
                    "UPDATE notebooks SET system_prompt = coalesce(system_prompt, ?) "
                    "WHERE id = (SELECT notebook_id FROM runs WHERE id = ?)",
                    (batch.system_prompt, batch.run_id),
                )
            for page in batch.pages:
                self._save_page(conn, batch.run_id, page)
            conn.execute(
                "UPDATE notebooks SET updated = ? "
                "WHERE id = (SELECT notebook_id FROM runs WHERE id = ?)",
                (now, batch.run_id),
            )

    def _save_page(self, conn: sqlite3.Connection, run_id: str, page: dict[str, Any]) -> None:
        save_page(conn, run_id, page)

    # --- pages and search -----------------------------------------------------------

    def page(self, url: str) -> SavedPage | None:
        """The newest saved read of a URL (as asked for, or where it redirected to)."""
        with self.reading() as conn:
            row = conn.execute(
                "SELECT url, final_url, title, markdown, full_text, content_type, fetched, "
                "model_text, meta FROM pages WHERE url = ? OR final_url = ? "
                "ORDER BY fetched DESC LIMIT 1",
                (url, url),
            ).fetchone()
        if row is None:
            return None
        url, final_url, title, markdown, full_text, content_type, fetched, model_text, meta = row
        return SavedPage(
            url, final_url, title, markdown, full_text, content_type, fetched, model_text,
            json.loads(meta),
        )  # fmt: skip

    def search(self, query: str, limit: int = 20) -> list[SearchHit]:
        from ii_desktop.notebooks.search import search_notebooks

        with self.reading() as conn:
            return search_notebooks(conn, query, limit)

"""A notebook as one JSON file, and back.

The file holds the notebook's title and tags and, for each run, its row (question,
status, answer) and its full event log with the time each event arrived: each run once,
so a file grows with the notebook's length. Importing checks the whole file before
writing anything, then writes it in one transaction as a new notebook with new ids: a
bad file imports nothing. A file is held to what a real notebook holds (its size, its
runs and their events, each text, how deeply it nests), so no file can make an import or
a later export run out of time, memory or stack. What later questions see of an imported
run is rebuilt from its answer and the pages it read, never taken from the file (version
1 files carried whole conversations, system prompt included: those are ignored).
"""

from __future__ import annotations

import json
import math
import re
import time
from pathlib import Path
from typing import Any

from ii_desktop.agent.events import ToolResult
from ii_desktop.agent.history import compact_answer
from ii_desktop.core.events import Event, event_from_dict
from ii_desktop.core.text import valid_unicode
from ii_desktop.notebooks.errors import ImportFailed
from ii_desktop.notebooks.pages import (
    PAGE_TEXT_FIELDS,
    page_from_result,
    save_page,
    without_page_text,
)
from ii_desktop.notebooks.privacy import scrub, scrub_text
from ii_desktop.notebooks.records import Notebook, iso_time
from ii_desktop.notebooks.schema import RUN_STATUSES
from ii_desktop.notebooks.store import TITLE_MAX, NotebookStore, new_id

FORMAT = "ii-desktop-notebook"
VERSION = 2

# What a real notebook holds, with room to spare: an export of 20,000 runs of long
# research is well under 64 MiB; the page reader downloads at most 15 MiB a page.
MAX_IMPORT_BYTES = 64 * 1024 * 1024
MAX_RUNS = 20_000
MAX_RUN_EVENTS = 10_000
MAX_TEXT_CHARS = 1024 * 1024  # a question, answer or error, and any one text of an event
MAX_RUN_STREAM_CHARS = 4 * 1024 * 1024  # a run's reasoning and answer text, all rounds
MAX_PAGE_CHARS = 16 * 1024 * 1024  # a page's text, as a visit's result carries it
MAX_TAGS = 1_000
# levels of objects and lists, the file's own included; an export nests about ten deep
MAX_NESTING = 40
_EVENT_LEVEL = 6  # the file, runs, a run, its events, an item, the event


def export_document(store: NotebookStore, ref: str) -> dict[str, Any]:
    notebook = store.notebook(ref)
    runs = []
    for run in store.runs(notebook.id):
        runs.append(
            {
                "question": run.question,
                "mode": run.mode,
                "status": run.status,
                "answer": run.answer,
                "error": run.error,
                "started": run.started,
                "finished": run.finished,
                "events": [
                    {"at": at, "event": _with_page_text(store, e)} for at, e in store.events(run.id)
                ],
            }
        )
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported": iso_time(time.time()),
        "notebook": {
            "title": notebook.title,
            "tags": list(notebook.tags),
            "created": notebook.created,
            "updated": notebook.updated,
        },
        "runs": runs,
    }


def _with_page_text(store: NotebookStore, event: Event) -> dict[str, Any]:
    """An event as the file keeps it: a page visit carries its page's text again (the
    store keeps that text once, in its pages), so the file stands on its own."""
    data = event.to_dict()
    if isinstance(event, ToolResult) and event.name == "web_visit" and event.ok:
        url = event.data.get("url")
        missing = not (event.data.get("full_text") or event.data.get("markdown"))
        page = store.page(url) if missing and isinstance(url, str) else None
        if page is not None:
            data["data"] = {**data["data"], "markdown": page.markdown, "full_text": page.full_text}
    return data


def export_json(store: NotebookStore, ref: str) -> str:
    return json.dumps(export_document(store, ref), ensure_ascii=False, indent=1) + "\n"


# --- import --------------------------------------------------------------------------


class _Bad(Exception):
    pass


def _need(condition: bool, where: str, what: str) -> None:
    if not condition:
        raise _Bad(f"{where}: {what}")


def _number(value: Any) -> bool:
    """A finite JSON number (Python's reader also takes NaN and Infinity)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _text(value: Any, where: str, allow_empty: bool = True, limit: int = MAX_TEXT_CHARS) -> str:
    _need(isinstance(value, str) and (allow_empty or value.strip() != ""), where, "expected text")
    _need(len(value) <= limit, where, _too_long(len(value), limit))
    return valid_unicode(str(value))


def _too_long(length: int, limit: int) -> str:
    return f"{length:,} characters, more than the {limit:,} a notebook keeps"


def _plain_copy(value: Any, where: str, level: int) -> Any:
    """A copy of a JSON value with every text valid Unicode, made without recursion;
    _Bad when it nests more than MAX_NESTING levels (counting from the file, ``value``
    being at ``level``) or holds a text longer than a notebook keeps. Everything that
    later walks the value recursively (scrubbing, checking, writing) is safe after this."""
    holder: list[Any] = [None]
    stack: list[tuple[Any, Any, Any, int]] = [(value, holder, 0, level)]
    while stack:
        item, parent, key, depth = stack.pop()
        if isinstance(item, str):
            limit = MAX_PAGE_CHARS if key in PAGE_TEXT_FIELDS else MAX_TEXT_CHARS
            _need(len(item) <= limit, where, f"a text of {_too_long(len(item), limit)}")
            parent[key] = valid_unicode(item)
        elif isinstance(item, dict | list):
            _need(depth <= MAX_NESTING, where, f"nested too deeply (over {MAX_NESTING} levels)")
            if isinstance(item, dict):
                copy: dict[Any, Any] = {}
                for name, inner in item.items():
                    if isinstance(name, str):
                        _need(len(name) <= MAX_TEXT_CHARS, where, "a field name too long")
                        name = valid_unicode(name)
                    copy[name] = None  # filled in below, keeping the order
                    stack.append((inner, copy, name, depth + 1))
                parent[key] = copy
            else:
                items: list[Any] = [None] * len(item)
                stack.extend((inner, items, i, depth + 1) for i, inner in enumerate(item))
                parent[key] = items
        else:
            parent[key] = item
    return holder[0]


def _run(data: Any, where: str) -> dict[str, Any]:
    _need(isinstance(data, dict), where, "expected an object")
    # every text the file brings is scrubbed as a recorded run's would be
    run: dict[str, Any] = {
        "question": scrub_text(_text(data.get("question"), f"{where}.question", allow_empty=False)),
        "mode": _text(data.get("mode", "normal"), f"{where}.mode", limit=100),
        "answer": scrub_text(_text(data.get("answer", ""), f"{where}.answer")),
    }
    status = data.get("status")
    _need(status in RUN_STATUSES, f"{where}.status", f"expected one of {', '.join(RUN_STATUSES)}")
    run["status"] = "interrupted" if status == "running" else status
    error = data.get("error")
    _need(error is None or isinstance(error, str), f"{where}.error", "expected text or null")
    run["error"] = None if error is None else scrub_text(_text(error, f"{where}.error"))
    _need(_number(data.get("started")), f"{where}.started", "expected a time")
    run["started"] = float(data["started"])
    finished = data.get("finished")
    _need(finished is None or _number(finished), f"{where}.finished", "expected a time or null")
    run["finished"] = None if finished is None else float(finished)
    events = data.get("events")
    _need(isinstance(events, list), f"{where}.events", "expected a list")
    _need(
        len(events) <= MAX_RUN_EVENTS,
        f"{where}.events",
        f"{len(events):,} events, more than the {MAX_RUN_EVENTS:,} a run records",
    )
    parsed: list[tuple[float, Event]] = []
    streamed = 0
    for i, item in enumerate(events):
        spot = f"{where}.events[{i}]"
        _need(isinstance(item, dict) and _number(item.get("at")), spot, "expected {at, event}")
        event = item.get("event")
        _need(isinstance(event, dict), f"{spot}.event", "expected an object")
        event = _plain_copy(event, f"{spot}.event", _EVENT_LEVEL)
        if event.get("type") in ("reasoning", "answer") and isinstance(event.get("text"), str):
            streamed += len(event["text"])
            _need(
                streamed <= MAX_RUN_STREAM_CHARS,
                f"{spot}.event",
                f"the run's reasoning and answer pass {MAX_RUN_STREAM_CHARS:,} characters",
            )
        try:
            parsed_event = event_from_dict(scrub(event))
        except ValueError as exc:
            raise _Bad(f"{spot}.event: {exc}") from None
        if isinstance(parsed_event, ToolResult) and "fetched" in parsed_event.data:
            fetched = parsed_event.data["fetched"]
            _need(_number(fetched), f"{spot}.event.data.fetched", "expected a time")
        parsed.append((float(item["at"]), parsed_event))
    run["events"] = parsed
    return run


def parse_document(document: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The notebook fields and checked runs of an export; raises ``ImportFailed``."""
    try:
        _need(isinstance(document, dict), "the file", "expected a JSON object")
        _need(document.get("format") == FORMAT, "format", f'expected "{FORMAT}"')
        version = document.get("version")
        _need(isinstance(version, int) and not isinstance(version, bool), "version", "missing")
        _need(version <= VERSION, "version", f"{version} is newer than this ii-desktop reads")
        meta = document.get("notebook")
        _need(isinstance(meta, dict), "notebook", "expected an object")
        title = _text(meta.get("title"), "notebook.title", allow_empty=False)
        title = " ".join(scrub_text(title).split())
        tags = meta.get("tags", [])
        _need(
            isinstance(tags, list) and all(isinstance(t, str) for t in tags),
            "notebook.tags",
            "expected a list of text",
        )
        _need(len(tags) <= MAX_TAGS, "notebook.tags", f"more than {MAX_TAGS:,} tags")
        tags = [_text(t, "notebook.tags", limit=TITLE_MAX) for t in tags]
        runs = document.get("runs")
        _need(isinstance(runs, list), "runs", "expected a list")
        _need(
            len(runs) <= MAX_RUNS,
            "runs",
            f"{len(runs):,} runs, more than the {MAX_RUNS:,} a notebook holds",
        )
        checked = [_run(run, f"runs[{i}]") for i, run in enumerate(runs)]
    except _Bad as exc:
        raise ImportFailed(f"Not a notebook export ({exc}); nothing was imported.") from None
    except RecursionError:  # a caller's value nested deeper than any check above expects
        raise ImportFailed(
            "Not a notebook export (nested too deeply); nothing was imported."
        ) from None
    created = meta.get("created")
    notebook = {
        "title": title[:TITLE_MAX],
        "tags": sorted({" ".join(t.split()) for t in tags} - {""}),
        "created": float(created) if _number(created) else time.time(),
    }
    return notebook, checked


def import_document(store: NotebookStore, document: Any) -> Notebook:
    meta, runs = parse_document(document)
    # A page from a file is never newer than the import: a time in the future would keep
    # the file's text in place of every later real visit (the newest read of a URL wins).
    imported_at = time.time()
    with store.writing() as conn:
        notebook = store._insert_notebook(conn, meta["title"], meta["created"])
        conn.executemany(
            "INSERT INTO tags (notebook_id, tag) VALUES (?, ?)",
            [(notebook.id, tag) for tag in meta["tags"]],
        )
        for run in runs:
            run_id = new_id()  # the same file may be imported twice
            conn.execute(
                "INSERT INTO runs (id, notebook_id, question, mode, status, answer, error, "
                "started, finished) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    notebook.id,
                    run["question"],
                    run["mode"],
                    run["status"],
                    run["answer"],
                    run["error"],
                    run["started"],
                    run["finished"],
                ),
            )
            rows = []
            read: list[tuple[str, str]] = []
            for at, original in run["events"]:
                data = original.to_dict()
                if "run_id" in data:
                    data["run_id"] = run_id
                event = event_from_dict(data)
                if isinstance(event, ToolResult) and (page := page_from_result(event, at)):
                    page["fetched"] = min(page["fetched"], imported_at)
                    save_page(conn, run_id, page)
                    read.append((str(page["title"]), str(page["final_url"])))
                    data["data"] = without_page_text(data["data"])  # kept once, in pages
                rows.append((run_id, at, event.type, json.dumps(data, ensure_ascii=False)))
            conn.executemany(
                "INSERT INTO events (run_id, at, type, payload) VALUES (?, ?, ?, ?)", rows
            )
            if run["status"] in ("answered", "budget") and run["answer"].strip():
                conn.execute(
                    "UPDATE runs SET context = ? WHERE id = ?",
                    (compact_answer(run["answer"], read), run_id),
                )
    return store.notebook(notebook.id)


# possessive, and ending at the file's end too: each character is looked at once, even
# in a file whose last string never closes
_JSON_STRING = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_ONE_KIND = str.maketrans("{}", "[]")


def nesting_exceeds(text: str, limit: int) -> bool:
    """Whether the JSON ``text`` nests objects and lists more than ``limit`` deep.

    A cheap scan before parsing (the parser itself recurses): with the strings and
    everything but brackets removed, each pass drops the innermost pairs, one level a
    pass, so the scan takes at most ``limit`` passes over the brackets. Unbalanced
    brackets stop it early; the parser then says what is wrong."""
    # one kind of bracket: a valid file's pairs match anyway, and str.replace (which
    # never rescans what it removed around) then drops exactly one level a pass
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text)).translate(_ONE_KIND)
    if "[" * (limit + 1) in brackets:
        return True  # a run of openers that long needs no counting
    for _ in range(limit):
        shorter = brackets.replace("[]", "")
        if not shorter or len(shorter) == len(brackets):
            return False
        brackets = shorter
    return True


def import_file(store: NotebookStore, path: Path) -> Notebook:
    try:
        size = path.stat().st_size
        if size > MAX_IMPORT_BYTES:
            raise ImportFailed(
                f"{path} is {size / 1024 / 1024:,.0f} MiB, more than the "
                f"{MAX_IMPORT_BYTES // 1024 // 1024} MiB a notebook export can be; "
                "nothing was imported."
            )
        with path.open("rb") as file:  # read no more than the limit, should the file grow
            data = file.read(MAX_IMPORT_BYTES + 1)
        if len(data) > MAX_IMPORT_BYTES:
            raise ImportFailed(f"{path} is too large to be a notebook export.")
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportFailed(f"{path} is not a text file; nothing was imported.") from None
    except OSError as exc:
        raise ImportFailed(f"Cannot read {path}: {exc.strerror or exc}") from None
    too_deep = ImportFailed(
        f"{path} is nested too deeply to be a notebook export (over {MAX_NESTING} levels); "
        "nothing was imported."
    )
    if nesting_exceeds(text, MAX_NESTING):
        raise too_deep
    try:
        document = json.loads(text)
    except RecursionError:
        raise too_deep from None
    except json.JSONDecodeError as exc:
        raise ImportFailed(
            f"{path} is not valid JSON (line {exc.lineno}); nothing was imported."
        ) from None
    return import_document(store, document)

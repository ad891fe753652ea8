"""Secrets are scrubbed from structured places only: URLs and secret-named entries.

Ordinary prose ("Basic research", "Bearer bonds") must come back exactly as written from
every place a notebook keeps text, and a URL carrying ``user:pass@`` or ``?api_key=``
must be cleaned in every one of them.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from ii_desktop.agent.events import Answer, Reasoning, RunFinished, RunStarted, Source
from ii_desktop.agent.history import PastRun
from ii_desktop.core.settings import app_paths
from ii_desktop.notebooks import NotebookStore, import_document, render_markdown
from ii_desktop.notebooks.privacy import clean_url, scrub, scrub_text
from ii_desktop.notebooks.recorder import start_recording
from ii_desktop.notebooks.schema import DB_NAME
from tests.notebooks.runs import visit_call

PROSE = (
    "Basic research differs from applied work. Bearer bonds explained: Bearer instruments "
    "and Bearer certificates were paper. The token economy rewards behaviour; a secret "
    "ballot, a password manager and the key=value idea are ordinary words. Basic "
    "authentication is a topic, not a credential."
)
SECRET_URL = "https://bob:hunter2@api.example.org/v1/search?q=solar&api_key=SECRET-KEY-42&page=2"
CLEAN_URL = "https://api.example.org/v1/search?q=solar&api_key=%5Bredacted%5D&page=2"
SECRETS = ("SECRET-KEY-42", "hunter2", "bob:")
PAGE_URL = "https://example.org/basic-research"
QUESTION = f"What is basic research funding? Basic research grants, see {SECRET_URL}"
ANSWER = f"{PROSE} See {SECRET_URL}."
MESSAGES = [  # what a version 1 export carried for each run
    {"role": "system", "content": "You are a research assistant."},
    {"role": "user", "content": QUESTION},
    {"role": "assistant", "content": ANSWER},
]


@pytest.mark.parametrize(
    "text",
    [
        "Basic research",
        "Bearer bonds explained",
        "token economy",
        "Basic authentication and Bearer tokenisation",
        "Authorization: the act of granting permission",
        "Email me at bob@example.org, key=value pairs, password=strong habits",
        PROSE,
    ],
)
def test_prose_is_never_rewritten(text):
    assert scrub_text(text) == text
    assert scrub({"content": text, "list": [text]}) == {"content": text, "list": [text]}


@pytest.mark.parametrize(
    ("url", "clean"),
    [
        (SECRET_URL, CLEAN_URL),
        ("https://example.org/x?token=abc123&page=2", "https://example.org/x?token=%5Bredacted%5D&page=2"),
        ("https://u:p@example.org/", "https://example.org/"),
        ("https://TOKEN123@github.com/o/r", "https://github.com/o/r"),
        ("https://x.example/cb#access_token=zz&state=1", "https://x.example/cb#access_token=%5Bredacted%5D&state=1"),
        ("https://x.example/?Access-Token=1&SIG=2&key=3", "https://x.example/?Access-Token=%5Bredacted%5D&SIG=%5Bredacted%5D&key=%5Bredacted%5D"),
        # nothing secret: kept byte for byte, odd spellings included
        ("https://medium.com/@writer/post?x=1", "https://medium.com/@writer/post?x=1"),
        ("https://example.org/a?q=a%20b+c&&page=", "https://example.org/a?q=a%20b+c&&page="),
        ("https://example.org/page?", "https://example.org/page?"),
    ],
)  # fmt: skip
def test_urls_lose_credentials_and_secret_parameters_only(url, clean):
    assert clean_url(url) == clean
    assert clean_url(clean) == clean  # a second scrub changes nothing
    assert scrub_text(f"Read {url}. Then stop.") == f"Read {clean}. Then stop."


def test_secret_named_entries_are_dropped_at_any_depth():
    value = {
        "query": "q",
        "Authorization": "Bearer sk-1",
        "nested": [{"X-API-KEY": "k", "Set-Cookie": "c", "x-subscription-token": "t", "ok": 1}],
        "headers": {"Accept": "json"},
        "api_key": "k",
        "password": "p",
        "token": "t",
    }
    assert scrub(value) == {"query": "q", "nested": [{"ok": 1}]}


def _run_events(run_id: str) -> list:
    page_text = f"{PROSE} The grant portal is {SECRET_URL} for applicants."
    return [
        RunStarted(run_id, QUESTION, "normal"),
        Reasoning(run_id, f"{PROSE} I should read {SECRET_URL}"),
        *visit_call(run_id, "call_1_0", PAGE_URL, text=page_text, title="Basic research"),
        Source(run_id, 1, PAGE_URL, "Basic research", "page"),
        Source(run_id, 2, SECRET_URL, "Bearer bonds explained", "search_result"),
        Answer(run_id, ANSWER),
        RunFinished(run_id, "answered", ANSWER, error=f"Basic research note {SECRET_URL}"),
    ]


def _check_everywhere(store: NotebookStore, notebook_id: str, db_path, title: str) -> None:
    (run,) = store.runs(notebook_id)
    expected_answer = f"{PROSE} See {CLEAN_URL}."
    # the run's own columns, read raw
    conn = sqlite3.connect(db_path)
    try:
        question, answer, error = conn.execute(
            "SELECT question, answer, error FROM runs WHERE id = ?", (run.id,)
        ).fetchone()
        (stored_title,) = conn.execute(
            "SELECT title FROM notebooks WHERE id = ?", (notebook_id,)
        ).fetchone()
        payloads = [
            r[0] for r in conn.execute("SELECT payload FROM events WHERE run_id = ?", (run.id,))
        ]
    finally:
        conn.close()
    assert answer == expected_answer
    assert question == QUESTION.replace(SECRET_URL, CLEAN_URL)
    assert error == f"Basic research note {CLEAN_URL}"
    assert stored_title == title
    # the event log: prose intact, URLs clean
    assert run.log.answer == expected_answer
    assert run.log.reasoning == f"{PROSE} I should read {CLEAN_URL}"
    assert run.log.sources[2].url == CLEAN_URL
    assert run.log.sources[2].title == "Bearer bonds explained"
    # the saved page
    page = store.page(PAGE_URL)
    assert page is not None
    assert page.full_text == f"{PROSE} The grant portal is {CLEAN_URL} for applicants."
    assert page.title == "Basic research"
    # the stored conversation
    (past,) = store.conversation(notebook_id).past_runs
    assert past.question == QUESTION.replace(SECRET_URL, CLEAN_URL)
    assert past.answer.startswith(expected_answer)
    history = [past.question, past.answer]
    # the exported Markdown
    markdown = render_markdown(store.notebook(notebook_id), store.runs(notebook_id))
    assert PROSE in markdown
    assert "[redacted]" not in markdown.replace("%5Bredacted%5D", "")
    everything = "\n".join([question, answer, error, stored_title, markdown, *payloads])
    everything += json.dumps(history) + page.full_text + page.markdown + page.model_text
    for secret in SECRETS:
        assert secret not in everything


def test_a_recorded_run_keeps_prose_and_cleans_urls_everywhere(data_dir):
    paths = app_paths().ensure()
    recorder = start_recording(paths, QUESTION)
    for event in _run_events(recorder.run_id):
        recorder(event)
    recorder.close(PastRun(QUESTION, "normal", ANSWER), "You are a research assistant.")
    with NotebookStore.open(paths) as store:
        (notebook,) = store.notebooks()
        title = "What is basic research funding? Basic research grants, see…"
        _check_everywhere(store, notebook.id, data_dir / DB_NAME, title)
    blob = b"".join(p.read_bytes() for p in data_dir.iterdir() if p.is_file())
    for secret in SECRETS:
        assert secret.encode() not in blob
    assert PROSE.encode() in blob


def test_an_imported_run_keeps_prose_and_cleans_urls_everywhere(data_dir):
    run_id = "run-shared"
    document = {
        "format": "ii-desktop-notebook",
        "version": 1,
        "notebook": {"title": f"Basic research {SECRET_URL}"},
        "runs": [
            {
                "question": QUESTION,
                "status": "answered",
                "answer": ANSWER,
                "error": f"Basic research note {SECRET_URL}",
                "started": 1_700_000_000.0,
                "finished": 1_700_000_100.0,
                "messages": MESSAGES,
                "events": [
                    {"at": 1_700_000_000.0 + i, "event": e.to_dict()}
                    for i, e in enumerate(_run_events(run_id))
                ],
            }
        ],
    }
    with NotebookStore.open(app_paths().ensure()) as store:
        notebook = import_document(store, document)
        _check_everywhere(store, notebook.id, data_dir / DB_NAME, f"Basic research {CLEAN_URL}")

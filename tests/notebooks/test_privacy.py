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
from ii_desktop.notebooks import NotebookStore, import_document, render_html, render_markdown
from ii_desktop.notebooks.privacy import clean_url, scrub, scrub_text
from ii_desktop.notebooks.recorder import start_recording
from ii_desktop.notebooks.schema import DB_NAME
from ii_desktop.notebooks.transfer import export_json
from ii_desktop.tools import secrets
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
        "Basic JavaScript, Basic COVID-19 facts and Bearer bonds of 1920",
        "The bearer instrument; basic income; BASIC programming",
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


@pytest.fixture
def forget_keys():
    secrets.forget_known_keys()
    yield
    secrets.forget_known_keys()


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("Authorization: Bearer sk-live-abcdef123456", "Authorization: Bearer [redacted]"),
        (
            "HTTP 401: bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln rejected",
            "HTTP 401: bearer [redacted] rejected",
        ),
        ("sent Basic dXNlcjpwYXNz to the proxy", "sent Basic [redacted] to the proxy"),
        ('{"auth": "Basic YWxhZGRpbjpvcGVuc2VzYW1l"}', '{"auth": "Basic [redacted]"}'),
        ("BASIC Ym9iOmh1bnRlcjI=", "BASIC [redacted]"),
        ("Bearer ghp_16C7e42F292c6912E7710c838347Ae178B4a;", "Bearer [redacted];"),
    ],
)  # fmt: skip
def test_bearer_and_basic_credentials_are_redacted_anywhere_in_text(text, clean):
    assert scrub_text(text) == clean
    assert scrub_text(clean) == clean
    assert scrub({"error": text}) == {"error": clean}


def test_known_api_keys_are_redacted_wherever_they_appear(monkeypatch, forget_keys):
    key = "sk-proj-9f8e7d6c5b4a3210"
    echo = f"HTTP 401: invalid api key {key!r} (your key: {key}) see https://x.example/{key}/"
    assert scrub_text(echo) == echo  # not known yet
    monkeypatch.setenv("II_DESKTOP_OPENAI_KEY", key)
    assert secrets.get_api_key("openai") == key
    cleaned = scrub_text(echo)
    assert key not in cleaned
    assert cleaned.startswith("HTTP 401: invalid api key '[redacted]' (your key: [redacted])")
    assert scrub_text(cleaned) == cleaned
    assert scrub({"error": [echo]}) == {"error": [cleaned]}
    assert scrub_text(PROSE) == PROSE


def test_an_echoed_key_is_kept_out_of_the_database_and_every_export(
    data_dir, monkeypatch, forget_keys
):
    key = "tvly-live-0a1b2c3d4e5f6a7b"
    monkeypatch.setenv("II_DESKTOP_TAVILY_KEY", key)
    secrets.get_api_key("tavily")  # what the search registry does before each query
    echoed = f'HTTP 401 from server: {{"detail": "invalid key {key}", "auth": "Bearer {key}"}}'
    question = "What does the server say?"
    paths = app_paths().ensure()
    recorder = start_recording(paths, question)
    run_id = recorder.run_id
    for event in [
        RunStarted(run_id, question, "normal"),
        Reasoning(run_id, f"The server answered {echoed}"),
        *visit_call(run_id, "call_1_0", PAGE_URL, text=f"Page text with {key} in it"),
        RunFinished(run_id, "error", "", error=echoed),
    ]:
        recorder(event)
    recorder.close(PastRun(question, "normal", ""), "You are a research assistant.")
    with NotebookStore.open(paths) as store:
        (notebook,) = store.notebooks()
        (run,) = store.runs(notebook.id)
        assert run.error is not None and "[redacted]" in run.error
        exports = [
            render_markdown(store.notebook(notebook.id), store.runs(notebook.id)),
            render_html(store.notebook(notebook.id), store.runs(notebook.id)),
            export_json(store, notebook.id),
        ]
    blob = b"".join(p.read_bytes() for p in data_dir.iterdir() if p.is_file())
    assert key.encode() not in blob
    for text in exports:
        assert key not in text


# Every name here carries a credential in real APIs; none may survive a scrub.
SECRET_PARAM_NAMES = [
    "private_token", "sessionid", "session", "access_key", "jwt", "code", "sig", "signature",
    "auth", "key", "secret", "credential", "X-Amz-Signature", "X-Amz-Credential",
    "X-Amz-Security-Token", "PHPSESSID", "JSESSIONID", "auth_code", "client-secret", "apiKey",
    "passwd", "pwd", "sid", "csrf_token", "refreshToken", "otp",
]  # fmt: skip
# Everyday names that only contain those letters keep their values.
PLAIN_PARAM_NAMES = ["q", "page", "author", "keywords", "country_code", "design", "postcode"]


@pytest.mark.parametrize("name", SECRET_PARAM_NAMES)
def test_query_parameters_named_like_secrets_are_redacted(name):
    url = f"https://example.org/p?q=solar&{name}=S3CRET-VALUE-77&page=2"
    clean = f"https://example.org/p?q=solar&{name}=%5Bredacted%5D&page=2"
    assert clean_url(url) == clean
    assert clean_url(clean) == clean
    assert clean_url(url.replace("?", "#")) == clean.replace("?", "#")
    assert scrub_text(f"Read {url}.") == f"Read {clean}."


@pytest.mark.parametrize(
    ("url", "clean"),
    [
        ("https://x.example/?q=1&amp;private_token=abc&amp;page=2", "https://x.example/?q=1&amp;private_token=%5Bredacted%5D&amp;page=2"),
        ("https://x.example/?q=1;sessionid=abc;page=2", "https://x.example/?q=1;sessionid=%5Bredacted%5D;page=2"),
        ("https://x.example/?q=1&%73ession=abc", "https://x.example/?q=1&%73ession=%5Bredacted%5D"),
    ],
)  # fmt: skip
def test_secret_parameters_are_found_whatever_the_separator(url, clean):
    assert clean_url(url) == clean
    assert clean_url(clean) == clean


@pytest.mark.parametrize("name", PLAIN_PARAM_NAMES)
def test_everyday_parameter_names_keep_their_values(name):
    url = f"https://example.org/p?{name}=smith&page=2"
    assert clean_url(url) == url


def test_secret_parameters_are_kept_out_of_the_database_and_every_export(data_dir):
    urls = [
        f"https://files.example.org/doc/{i}?q=solar&{name}=S3CRET-{i:02d}-VALUE"
        for i, name in enumerate(SECRET_PARAM_NAMES)
    ]
    question = "Which documents were shared?"
    paths = app_paths().ensure()
    recorder = start_recording(paths, question)
    run_id = recorder.run_id
    answer = "The documents: " + ", ".join(urls) + "."
    events = [RunStarted(run_id, question, "normal")]
    for i, url in enumerate(urls):
        events += visit_call(run_id, f"call_{i}_0", url, text=f"Document {i}, linked from {url}")
        events.append(Source(run_id, i + 1, url, f"Document {i}", "page"))
    events += [Answer(run_id, answer), RunFinished(run_id, "answered", answer, error=None)]
    for event in events:
        recorder(event)
    recorder.close(PastRun(question, "normal", answer), "You are a research assistant.")
    with NotebookStore.open(paths) as store:
        (notebook,) = store.notebooks()
        runs = store.runs(notebook.id)
        exports = [
            render_markdown(store.notebook(notebook.id), runs),
            render_html(store.notebook(notebook.id), runs),
            export_json(store, notebook.id),
        ]
    blob = b"".join(p.read_bytes() for p in data_dir.iterdir() if p.is_file())
    for i in range(len(urls)):
        value = f"S3CRET-{i:02d}-VALUE"
        assert value.encode() not in blob, SECRET_PARAM_NAMES[i]
        for text in exports:
            assert value not in text, SECRET_PARAM_NAMES[i]
    assert b"q=solar" in blob

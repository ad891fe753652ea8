"""Notebook files from someone else: checked field by field, exported without harm.

An import is refused whole (exit 2, nothing written) when any event field has the wrong
type, and the exports escape everything a file or a page could put in them: no raw tag,
no link to anything but http(s).
"""

from __future__ import annotations

import json
import re

import pytest

from ii_desktop.agent.events import Answer, RunFinished, RunStarted, Source
from ii_desktop.core.settings import app_paths
from ii_desktop.notebooks import (
    ImportFailed,
    NotebookStore,
    export_json,
    import_document,
    import_file,
    render_html,
    render_markdown,
)
from ii_desktop.notebooks.export import CSP
from ii_desktop.notebooks.transfer import (
    MAX_IMPORT_BYTES,
    MAX_NESTING,
    MAX_RUN_EVENTS,
    MAX_RUN_STREAM_CHARS,
    MAX_RUNS,
    MAX_TEXT_CHARS,
    nesting_exceeds,
)
from tests.helpers.html import Elements
from tests.notebooks.runs import eiffel_messages, eiffel_run, record, visit_call
from tests.notebooks.test_notebook_cmd import run_cli

INJECTED_N = '1"><meta http-equiv="refresh" content="0;url=https://evil.example/"><b x="'
HOSTILE_TITLE = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


def document(events: list[dict], answer: str = "See https://a.example/ for more.") -> dict:
    return {
        "format": "ii-desktop-notebook",
        "version": 1,
        "notebook": {"title": "Shared"},
        "runs": [
            {
                "question": "q",
                "status": "answered",
                "answer": answer,
                "started": 1.0,
                "events": [{"at": 1.0, "event": e} for e in events],
            }
        ],
    }


POISONED = {
    "source_n_injection": (
        [
            {
                "type": "source",
                "run_id": "r",
                "n": INJECTED_N,
                "url": "javascript:alert(document.domain)",
                "title": "Click me",
                "kind": "page",
            }
        ],
        "'n' must be a whole number, not str",
    ),
    "tool_result_data_string": (
        [
            {
                "type": "tool_result",
                "run_id": "r",
                "call_id": "c",
                "name": "web_visit",
                "ok": True,
                "text": "t",
                "data": "notadict",
            }
        ],
        "'data' must be an object, not str",
    ),
    "answer_text_number": (
        [{"type": "answer", "run_id": "r", "text": 123}],
        "'text' must be text, not int",
    ),
    "reasoning_text_list": (
        [{"type": "reasoning", "run_id": "r", "text": ["x"]}],
        "'text' must be text, not list",
    ),
    "ok_as_number": (
        [
            {
                "type": "tool_result",
                "run_id": "r",
                "call_id": "c",
                "name": "web_search",
                "ok": 1,
                "text": "t",
            }
        ],
        "'ok' must be true or false, not int",
    ),
    "source_n_bool": (
        [
            {
                "type": "source",
                "run_id": "r",
                "n": True,
                "url": "https://a.example/",
                "title": "t",
                "kind": "page",
            }
        ],
        "'n' must be a whole number, not bool",
    ),
    "citations_not_objects": (
        [{"type": "run_finished", "run_id": "r", "reason": "answered", "answer": "a",
          "citations": ["https://a.example/"]}],
        "'citations' must be a list",
    ),
}  # fmt: skip


@pytest.fixture
def existing(store):
    notebook = store.create("Landmarks")
    record(store, notebook.id, eiffel_run("run-1"), eiffel_messages())
    return notebook


def _counts(store: NotebookStore) -> tuple[int, ...]:
    tables = ("notebooks", "runs", "events", "pages", "run_pages", "tags")
    return tuple(store._conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables)


@pytest.mark.parametrize("case", sorted(POISONED))
def test_an_event_field_of_the_wrong_type_refuses_the_whole_file(store, existing, case):
    events, message = POISONED[case]
    # a valid run first: the bad event must not leave it behind
    good = document([RunStarted("r", "q", "normal").to_dict()])
    bad = document(events)
    doc = {**bad, "runs": good["runs"] + bad["runs"]}
    before = _counts(store)
    with pytest.raises(ImportFailed) as info:
        import_document(store, doc)
    assert r"runs[1].events[0].event: bad fields for" in info.value.message
    assert message in info.value.message
    assert "nothing was imported" in info.value.message
    assert _counts(store) == before
    # what was there still exports
    runs = store.runs(existing.id)
    assert "330 metres" in render_html(existing, runs)
    assert "330 metres" in render_markdown(existing, runs)


@pytest.mark.parametrize("case", sorted(POISONED))
def test_the_cli_refuses_a_poisoned_file_with_exit_2_and_one_line(capsys, tmp_path, existing, case):
    path = tmp_path / "shared.json"
    path.write_text(json.dumps(document(POISONED[case][0])))
    code, out, err = run_cli(capsys, "notebook", "import", str(path))
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("ii-desktop: Not a notebook export")
    assert "nothing was imported" in lines[0]
    assert "unexpected error" not in err
    with NotebookStore.open(app_paths()) as again:
        assert [n.id for n in again.notebooks()] == [existing.id]


def test_a_file_of_valid_events_still_imports_and_exports(store, existing):
    doc = json.loads(export_json(store, existing.id))
    # integer times and whole-number floats are valid JSON for float fields
    for item in doc["runs"][0]["events"]:
        if item["event"]["type"] == "stats":
            item["event"]["prefill_tps"] = 850
    copy = import_document(store, doc)
    (run,) = store.runs(copy.id)
    assert run.log.stats is not None and run.log.stats.prefill_tps == 850
    assert "330 metres" in render_html(copy, [run])
    assert "330 metres" in render_markdown(copy, [run])


def _hostile_notebook(store: NotebookStore):
    notebook = store.create(f"Notes {HOSTILE_TITLE}")
    store.tag(notebook.id, ['x"><script>t</script>'])
    run_id = "run-hostile"
    js = "javascript:alert(document.domain)"
    answer = "See https://ok.example/page for more."
    events = [
        RunStarted(run_id, f"Why {HOSTILE_TITLE} [click](javascript:alert(5))?", "normal"),
        *visit_call(run_id, "call_1_0", js, title=HOSTILE_TITLE),
        *visit_call(run_id, "call_2_0", 'https://ok.example/"><script>u</script>', title="ok"),
        Source(run_id, 1, js, HOSTILE_TITLE, "page"),
        Source(run_id, 2, 'https://ok.example/a"><script>alert(3)</script>', HOSTILE_TITLE, "page"),
        Source(run_id, 3, "data:text/html,<script>alert(4)</script>", "[x](javascript:a)", "page"),
        Source(run_id, 4, "https://ok.example/page", f"Fine {HOSTILE_TITLE}", "search_result"),
        Answer(run_id, answer),
        RunFinished(
            run_id,
            "error",
            answer,
            error=f"failed {HOSTILE_TITLE}",
            citations=[{"url": "https://ok.example/page", "n": 4, "verified": False}],
        ),
    ]
    record(store, notebook.id, events)
    return store.notebook(notebook.id)


@pytest.mark.parametrize("printable", [False, True])
def test_html_export_of_hostile_titles_and_urls_has_no_tag_and_no_script_link(store, printable):
    notebook = _hostile_notebook(store)
    page = render_html(notebook, store.runs(notebook.id), printable=printable)
    parsed = Elements()
    parsed.feed(page)
    names = [t for t, _ in parsed.tags]
    assert "script" not in names and "img" not in names and "b" not in names
    csp = {"http-equiv": "Content-Security-Policy", "content": CSP}
    assert [a for t, a in parsed.tags if t == "meta" and a.get("http-equiv")] == [csp]
    assert all(not any(k.startswith("on") for k in attrs) for _, attrs in parsed.tags)
    hrefs = [attrs.get("href") or "" for tag, attrs in parsed.tags if tag == "a"]
    assert hrefs and all(h.startswith("https://") for h in hrefs)
    assert "javascript:" not in "".join(hrefs) and "data:" not in "".join(hrefs)
    assert "<script" not in page
    # the hostile text is shown as text
    text = "".join(parsed.text)
    assert HOSTILE_TITLE in text
    assert "javascript:alert(document.domain)" in text
    # list numbers are attributes that stay numbers
    values = [attrs.get("value") for tag, attrs in parsed.tags if tag == "li" and "value" in attrs]
    assert values and all((v or "").isdigit() for v in values)


def test_markdown_export_of_hostile_titles_and_urls_has_no_raw_html(store):
    notebook = _hostile_notebook(store)
    md = render_markdown(notebook, store.runs(notebook.id))
    assert "<script" not in md and "<img" not in md
    # no link to anything but http(s): escaped brackets are text, not a link
    assert not re.search(r"(?<!\\)\]\(\s*(javascript|data):", md)
    assert "<javascript:" not in md and "\\[click\\](javascript:alert(5))" in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    # a web_visit target that is not http(s) is quoted text, never an autolink
    assert "`web_visit` “javascript:alert(document.domain)”" in md
    # a web URL with brackets and quotes stays one link target
    assert "(https://ok.example/a%22%3E%3Cscript%3Ealert%283%29%3C/script%3E)" in md
    (first,) = [line for line in md.splitlines() if line.startswith("- [1] ")]
    assert "](" not in first and "javascript:alert(document.domain)" in first


# --- limits: what a real notebook holds ------------------------------------------------


def _nested(depth: int) -> dict:
    """A tool result whose data nests ``depth`` lists deep, built without recursion."""
    inner: list = []
    for _ in range(depth - 1):
        inner = [inner]
    return {
        "type": "tool_result",
        "run_id": "r",
        "call_id": "c",
        "name": "web_search",
        "ok": True,
        "text": "t",
        "data": {"results": inner},
    }


@pytest.mark.parametrize("depth", [900, 100_000])
def test_a_file_nested_deeply_is_refused_in_one_line_before_parsing(
    capsys, tmp_path, existing, depth
):
    path = tmp_path / "deep.json"
    deep = "[" * depth + "]" * depth
    text = json.dumps(document([RunStarted("r", "q", "normal").to_dict(), _nested(2)]))
    path.write_text(text.replace('"results": [[]]', f'"results": {deep}'))
    code, out, err = run_cli(capsys, "notebook", "import", str(path))
    assert code == 2 and out == ""
    (line,) = err.strip().splitlines()
    assert line.startswith(f"ii-desktop: {path} is nested too deeply")
    assert "nothing was imported" in line and "recursion" not in line
    with NotebookStore.open(app_paths()) as again:
        assert [n.id for n in again.notebooks()] == [existing.id]


@pytest.mark.parametrize("depth", [900, 5_000])
def test_a_document_nested_deeply_is_refused_not_a_crash(store, existing, depth):
    before = _counts(store)
    with pytest.raises(ImportFailed, match=r"runs\[0\]\.events\[0\]\.event: nested too deeply"):
        import_document(store, document([_nested(depth)]))
    assert _counts(store) == before


def test_a_real_export_nests_well_within_the_limit(store, existing):
    text = export_json(store, existing.id)
    assert not nesting_exceeds(text, MAX_NESTING // 2)
    assert nesting_exceeds("[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1), MAX_NESTING)
    assert not nesting_exceeds('["[[[[[[", "\\"[[[["]', 1)  # brackets in strings are text


@pytest.mark.parametrize("field", ["answer", "question", "error"])
def test_a_text_longer_than_a_notebook_keeps_is_refused(store, existing, field):
    doc = document([])
    doc["runs"][0][field] = "x" * (MAX_TEXT_CHARS + 1)
    before = _counts(store)
    with pytest.raises(ImportFailed, match=rf"runs\[0\]\.{field}: 1,048,577 characters, more"):
        import_document(store, doc)
    assert _counts(store) == before
    doc["runs"][0][field] = "x" * MAX_TEXT_CHARS  # at the limit: kept whole
    (run,) = store.runs(import_document(store, doc).id)
    assert len(getattr(run, field) or "") == MAX_TEXT_CHARS


def test_an_event_text_or_a_runs_reasoning_over_the_limit_is_refused(store, existing):
    big = {"type": "reasoning", "run_id": "r", "text": "x" * (MAX_TEXT_CHARS + 1)}
    with pytest.raises(ImportFailed, match=r"events\[0\]\.event: a text of 1,048,577 char"):
        import_document(store, document([big]))
    chunk = {"type": "reasoning", "run_id": "r", "text": "x" * MAX_TEXT_CHARS}
    many = [chunk] * (MAX_RUN_STREAM_CHARS // MAX_TEXT_CHARS + 1)
    with pytest.raises(ImportFailed, match="reasoning and answer pass"):
        import_document(store, document(many))
    assert [n.id for n in store.notebooks()] == [existing.id]


def test_too_many_runs_or_events_are_refused_before_any_is_checked(store, existing):
    doc = document([RunStarted("r", "q", "normal").to_dict()])
    crowded = {**doc, "runs": doc["runs"] * (MAX_RUNS + 1)}
    with pytest.raises(ImportFailed, match=r"runs: 20,001 runs, more than the 20,000"):
        import_document(store, crowded)
    event = RunStarted("r", "q", "normal").to_dict()
    busy = document([event] * (MAX_RUN_EVENTS + 1))
    with pytest.raises(ImportFailed, match=r"runs\[0\]\.events: 10,001 events, more than"):
        import_document(store, busy)
    assert [n.id for n in store.notebooks()] == [existing.id]


def test_a_file_larger_than_any_export_is_refused_unread(store, existing, tmp_path):
    path = tmp_path / "huge.json"
    with path.open("wb") as file:  # sparse: no disk space, no time
        file.truncate(MAX_IMPORT_BYTES + 1)
    with pytest.raises(ImportFailed, match=r"more than the 64 MiB a notebook export can be"):
        import_file(store, path)
    assert [n.id for n in store.notebooks()] == [existing.id]


def test_text_that_is_not_valid_unicode_imports_and_exports(store, tmp_path):
    doc = document([{"type": "answer", "run_id": "r", "text": "bad \ud800"}], answer="a \udc00")
    doc["notebook"]["title"] = "Title \ud800"
    doc["notebook"]["tags"] = ["t\udfff"]
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(doc))  # \ud800 escapes: valid JSON, not valid Unicode
    notebook = import_file(store, path)
    assert notebook.title == "Title \ufffd" and list(notebook.tags) == ["t\ufffd"]
    (run,) = store.runs(notebook.id)
    assert run.answer == "a \ufffd"
    assert "a \ufffd" in render_markdown(notebook, [run])

"""Exports checked for content, and the JSON export imported back."""

from __future__ import annotations

import json

import pytest

from ii_desktop.agent.events import Answer, RunFinished, RunStarted
from ii_desktop.notebooks import (
    ImportFailed,
    NotebookError,
    export_json,
    import_document,
    import_file,
    render_html,
    render_markdown,
)
from tests.helpers.html import Elements
from tests.notebooks.runs import (
    PAGE_TEXT,
    QUESTION,
    TOUR,
    WIKI,
    budget_run,
    eiffel_run,
    record,
)


@pytest.fixture
def notebook(store):
    notebook = store.create("Landmarks")
    store.tag(notebook.id, ["paris"])
    record(store, notebook.id, eiffel_run("run-1"), True)
    record(store, notebook.id, budget_run("run-2"))
    return store.notebook(notebook.id)


def test_markdown_has_numbered_citations_sources_and_folded_details(store, notebook):
    md = render_markdown(notebook, store.runs(notebook.id))
    assert md.startswith("# Landmarks\n")
    assert "tags: paris" in md
    assert f"## {QUESTION}" in md
    # "(URL)" becomes citation [1]; the Markdown link keeps its text and gets [2]
    assert f"including its antennas [1]({WIKI})." in md
    assert "[[" not in md
    assert f"([official figures]({TOUR}) [2]({TOUR}))" in md
    assert f"- [1] Eiffel Tower - Wikipedia — [{WIKI}]({WIKI}) (read, cited)" in md
    assert f"- [2] Key figures | Eiffel Tower — [{TOUR}]({TOUR}) (search result, cited)" in md
    assert "- and 1 other search result\n" in md
    reasoning = "```text\nThe user asks for the height; search.\n\nWikipedia looks reliable"
    assert f"<details>\n<summary>Reasoning</summary>\n\n{reasoning}" in md
    assert "<summary>Tool activity (2 calls)</summary>" in md
    assert "<summary>Tool activity (1 call)</summary>" in md
    assert "- `web_search` “Eiffel Tower height” — 3 results from ddgs" in md
    assert f"- `web_visit` <{WIKI}> — read “Eiffel Tower - Wikipedia”" in md
    assert "**Status:** stopped at its research budget" in md
    assert "failed: HTTP 403" in md


def test_html_is_self_contained_escaped_and_complete(store):
    notebook = store.create("<b>Bold</b> & co")
    run_id = "run-xss"
    hostile = "Is <script>alert(1)</script> safe?"
    answer = f'It is <img src="https://evil.example/x.png"> fine ({WIKI}).'
    events = [*eiffel_run(run_id, hostile)[:-1]]
    events = [e for e in events if not isinstance(e, Answer)]
    events += [Answer(run_id, answer), RunFinished(run_id, "answered", answer)]
    record(store, notebook.id, events)
    page = render_html(store.notebook(notebook.id), store.runs(notebook.id))
    parsed = Elements()
    parsed.feed(page)
    names = [t for t, _ in parsed.tags]
    assert "script" not in names and "img" not in names and "link" not in names
    assert all("src" not in attrs for _, attrs in parsed.tags)
    assert all(
        (attrs.get("href") or "").startswith("https://") for tag, attrs in parsed.tags if tag == "a"
    )
    csp = [a for t, a in parsed.tags if t == "meta" and a.get("http-equiv")]
    assert csp and "default-src 'none'" in (csp[0]["content"] or "")
    text = "".join(parsed.text)
    assert hostile in text
    assert "<b>Bold</b> & co" in text
    assert '<img src="https://evil.example/x.png">' in text  # shown as text, never loaded
    assert "<details><summary>Reasoning</summary>" in page
    assert "Wikipedia looks reliable; read it." in text


def test_html_renders_the_answer_and_numbers_its_citations(store, notebook):
    page = render_html(notebook, store.runs(notebook.id))
    assert "<strong>330 metres</strong>" in page
    assert f'including its antennas <a href="{WIKI}">[1]</a>.' in page
    assert f'<a href="{TOUR}">official figures</a> <a href="{TOUR}">[2]</a>' in page
    assert "<sup" not in page and "[[" not in page
    assert f'<li value="1">[1] <a href="{WIKI}">Eiffel Tower - Wikipedia</a>' in page
    assert f'<span class="url"><a href="{TOUR}">{TOUR}</a></span>' in page
    printable = render_html(notebook, store.runs(notebook.id), printable=True)
    assert "<details>" not in printable and "<h3>Reasoning</h3>" in printable


def test_json_export_imports_back_as_an_equal_notebook(store, notebook):
    document = json.loads(export_json(store, notebook.id))
    assert document["format"] == "ii-desktop-notebook" and document["version"] == 2
    copy = import_document(store, document)
    assert copy.id != notebook.id and copy.conversation_id != notebook.conversation_id
    assert (copy.title, copy.tags) == (notebook.title, notebook.tags)
    original, imported = store.runs(notebook.id), store.runs(copy.id)
    assert [(r.question, r.status, r.answer, r.mode) for r in imported] == [
        (r.question, r.status, r.answer, r.mode) for r in original
    ]
    assert {r.id for r in imported}.isdisjoint({r.id for r in original})
    for before, after in zip(original, imported, strict=True):
        old = [(at, e.to_dict() | {"run_id": ""}) for at, e in store.events(before.id)]
        new = [(at, e.to_dict() | {"run_id": ""}) for at, e in store.events(after.id)]
        assert old == new
        assert {e.run_id for _, e in store.events(after.id)} == {after.id}
    # later questions see the imported runs as the original's, rebuilt from the answers
    # and pages read; the file's system prompt (if any) is never taken
    copied, kept = copy.conversation(), notebook.conversation()
    joined = [r for r in original if r.status in ("answered", "budget") and r.answer]
    assert [p.question for p in copied.past_runs] == [r.question for r in joined]
    assert all(p.answer.startswith(r.answer) for p, r in zip(copied.past_runs, joined, strict=True))
    assert copied.past_runs[0].answer == kept.past_runs[0].answer  # pages read included
    assert copied.system_prompt is None
    assert "runs" in document and all("messages" not in r for r in document["runs"])
    # the pages come back with the notebook: still found once the original is gone
    store.delete(notebook.id)
    assert store.page(WIKI) is not None and store.page(WIKI).full_text == PAGE_TEXT
    assert [h.run_id for h in store.search("puddled iron")] == [imported[0].id]
    # the same file imported twice gives two notebooks
    assert import_document(store, document).id != copy.id


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"format": "something-else", "version": 1}', 'format: expected "ii-desktop-notebook"'),
        ('{"format": "ii-desktop-notebook", "version": 99}', "newer"),
    ],
)
def test_foreign_or_malformed_files_are_refused(store, tmp_path, content, message):
    path = tmp_path / "in.json"
    path.write_text(content)
    with pytest.raises(ImportFailed, match=message):
        import_file(store, path)
    assert store.notebooks() == []


def test_a_bad_event_deep_in_the_file_imports_nothing(store, notebook):
    document = json.loads(export_json(store, notebook.id))
    document["runs"][1]["events"][3]["event"]["type"] = "mystery"
    with pytest.raises(ImportFailed, match=r"runs\[1\]\.events\[3\]\.event: unknown event type"):
        import_document(store, document)
    document["runs"][1]["events"][3]["event"] = {"type": "answer", "run_id": "x"}
    with pytest.raises(ImportFailed, match="bad fields for answer"):
        import_document(store, document)
    assert [n.id for n in store.notebooks()] == [notebook.id]


def test_a_file_that_fails_to_write_half_way_leaves_nothing(store, notebook):
    document = json.loads(export_json(store, notebook.id))
    store._conn.execute(
        "CREATE TEMP TRIGGER fail_second_run BEFORE INSERT ON runs "
        "WHEN new.question LIKE '%1889%' BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"
    )
    try:
        with pytest.raises(NotebookError, match="disk trouble"):
            import_document(store, document)
    finally:
        store._conn.execute("DROP TRIGGER temp.fail_second_run")
    assert len(store.notebooks()) == 1
    assert store._conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 2


def test_an_imported_running_run_becomes_interrupted_and_secrets_are_dropped(store):
    run_id = "run-live"
    document = {
        "format": "ii-desktop-notebook",
        "version": 1,
        "notebook": {"title": "Shared with me", "tags": ["x"]},
        "runs": [
            {
                "question": QUESTION,
                "mode": "normal",
                "status": "running",
                "answer": "",
                "started": 1_700_000_000.0,
                "finished": None,
                "messages": [{"role": "user", "content": "hi", "api_key": "sk-secret-1"}],
                "events": [
                    {"at": 1_700_000_000.0, "event": RunStarted(run_id, QUESTION, "x").to_dict()}
                ],
            }
        ],
    }
    notebook = import_document(store, document)
    (run,) = store.runs(notebook.id)
    assert run.status == "interrupted" and run.log.question == QUESTION
    # a version 1 file's conversation (messages) is never taken: nothing of it is kept
    assert notebook.conversation().past_runs == []
    stored = b"".join(p.read_bytes() for p in store.db_path.parent.iterdir() if p.is_file())
    assert b"sk-secret-1" not in stored

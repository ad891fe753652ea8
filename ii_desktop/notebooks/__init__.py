"""Research notebooks: every run saved as it streams, searchable, exportable.

A notebook holds research runs (question, reasoning, tool activity, sources, answer,
the conversation to continue) and the pages its runs read, in one SQLite file in the
data folder. Imports neither Qt nor mlx; the PDF export lives in ``ii_desktop.ui``.

Recording a run::

    recorder = start_recording(paths, question, mode, notebook_title)
    conversation_id, history = recorder.conversation()
    run = ResearchRun(..., on_event=recorder, history=history,
                      conversation_id=conversation_id, run_id=recorder.run_id)
    try:
        run.run()
    finally:
        recorder.close(run.messages)
    if recorder.save_problem: tell the user
"""

from ii_desktop.engine.cache_files import kv_cache_file
from ii_desktop.notebooks.errors import (
    ImportFailed,
    NotebookError,
    NotebookNotFound,
    StoreUnavailable,
)
from ii_desktop.notebooks.export import render_html, render_markdown
from ii_desktop.notebooks.local_search import LocalPageSearch
from ii_desktop.notebooks.recorder import RunRecorder, start_recording, title_from_question
from ii_desktop.notebooks.records import Notebook, NotebookSummary, RunRecord, SavedPage, SearchHit
from ii_desktop.notebooks.runlog import RunLog
from ii_desktop.notebooks.saved_pages import NotebookPageCache, SavedPages
from ii_desktop.notebooks.store import NotebookStore
from ii_desktop.notebooks.transfer import export_json, import_document, import_file

__all__ = [
    "ImportFailed",
    "LocalPageSearch",
    "Notebook",
    "NotebookError",
    "NotebookNotFound",
    "NotebookPageCache",
    "NotebookStore",
    "NotebookSummary",
    "RunLog",
    "RunRecord",
    "RunRecorder",
    "SavedPage",
    "SavedPages",
    "SearchHit",
    "StoreUnavailable",
    "export_json",
    "import_document",
    "import_file",
    "kv_cache_file",
    "render_html",
    "render_markdown",
    "start_recording",
    "title_from_question",
]

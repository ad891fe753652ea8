"""Research notebooks: every run saved as it streams, searchable, exportable.

A notebook holds research runs (question, reasoning, tool activity, sources, answer,
the conversation to continue) and the pages its runs read, in one SQLite file in the
data folder. Imports neither Qt nor mlx; the PDF export lives in ``ii_desktop.ui``.

Recording a run::

    recorder = start_recording(paths, question, mode, notebook_title)
    earlier = recorder.conversation()
    run = ResearchRun(..., on_event=recorder, past_runs=earlier.past_runs,
                      system_prompt=earlier.system_prompt,
                      conversation_id=earlier.conversation_id, run_id=recorder.run_id)
    try:
        run.run()
    finally:
        recorder.close(run.history_entry, run.system_prompt)
    if recorder.save_problem: tell the user
"""

# Names load on first use, so importing one submodule (the window's first paint needs
# only a few) does not pull in every dependency of the package.
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from ii_desktop.notebooks.records import (
        Notebook,
        NotebookSummary,
        RunRecord,
        SavedPage,
        SearchHit,
    )
    from ii_desktop.notebooks.runlog import RunLog
    from ii_desktop.notebooks.saved_pages import NotebookPageCache, SavedPages
    from ii_desktop.notebooks.store import NotebookStore
    from ii_desktop.notebooks.transfer import export_json, import_document, import_file

_EXPORTS = {
    "ImportFailed": "ii_desktop.notebooks.errors",
    "LocalPageSearch": "ii_desktop.notebooks.local_search",
    "Notebook": "ii_desktop.notebooks.records",
    "NotebookError": "ii_desktop.notebooks.errors",
    "NotebookNotFound": "ii_desktop.notebooks.errors",
    "NotebookPageCache": "ii_desktop.notebooks.saved_pages",
    "NotebookStore": "ii_desktop.notebooks.store",
    "NotebookSummary": "ii_desktop.notebooks.records",
    "RunLog": "ii_desktop.notebooks.runlog",
    "RunRecord": "ii_desktop.notebooks.records",
    "RunRecorder": "ii_desktop.notebooks.recorder",
    "SavedPage": "ii_desktop.notebooks.records",
    "SavedPages": "ii_desktop.notebooks.saved_pages",
    "SearchHit": "ii_desktop.notebooks.records",
    "StoreUnavailable": "ii_desktop.notebooks.errors",
    "export_json": "ii_desktop.notebooks.transfer",
    "import_document": "ii_desktop.notebooks.transfer",
    "import_file": "ii_desktop.notebooks.transfer",
    "kv_cache_file": "ii_desktop.engine.cache_files",
    "render_html": "ii_desktop.notebooks.export",
    "render_markdown": "ii_desktop.notebooks.export",
    "start_recording": "ii_desktop.notebooks.recorder",
    "title_from_question": "ii_desktop.notebooks.recorder",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


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

"""What the sidebar does with a notebook: rename, tag, delete, export, import.

``NotebookActions`` is a mixin of ``NotebookSidebar``. Each action comes two ways: asked
for in a dialog (the context menu, the File menu: ``rename_selected``,
``import_notebook``...), answered in a message box; or called directly (``rename``,
``import_from``...), answered with ``problem``. The store call itself runs on a worker
thread; the list is reloaded when it is done.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit, QMenu, QMessageBox

from ii_desktop.core.text import plural
from ii_desktop.notebooks import NotebookNotFound, NotebookStore, import_file
from ii_desktop.ui import widgets
from ii_desktop.ui.background import run_in_background
from ii_desktop.ui.sidebar_rows import ID_ROLE
from ii_desktop.ui.sidebar_store import (
    EXPORT_FORMATS,
    check_format,
    export_file_name,
    export_notebook,
)
from ii_desktop.ui.sidebar_words import describe_error, parse_tags

if TYPE_CHECKING:
    from PySide6.QtCore import QTimer, Signal
    from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

    from ii_desktop.notebooks import NotebookSummary
    from ii_desktop.ui.sidebar_store import StoreHolder

    _Base = QWidget
else:
    _Base = object

_FILTERS = {
    "md": "Markdown (*.md)",
    "html": "Web page (*.html)",
    "pdf": "PDF document (*.pdf)",
    "json": "ii-desktop notebook (*.json)",
}
_FORMAT_WORDS = {"md": "Markdown", "html": "HTML", "pdf": "PDF", "json": "JSON (for import)"}


class NotebookActions(_Base):
    """The notebook actions of ``NotebookSidebar``, which provides what is declared here."""

    if TYPE_CHECKING:
        notebook_selected: Signal
        new_notebook_requested: Signal
        notebook_deleted: Signal
        exported: Signal
        problem: Signal
        notebook_list: QListWidget
        search_field: QLineEdit
        _search_timer: QTimer
        _holder: StoreHolder
        _known: dict[str, NotebookSummary]
        _query: str
        _pending_open: str | None
        _export_dir: str

        def current_notebook_id(self) -> str | None: ...
        def notebook_ids(self) -> list[str]: ...
        def refresh(self, select_id: str | None = None) -> None: ...
        def _alive(self, fn: Callable[[Any], None]) -> Callable[[Any], None]: ...
        def _item(self, notebook_id: str | None) -> QListWidgetItem | None: ...

    # --- context menu ------------------------------------------------------------------

    def context_menu(self, notebook_id: str | None) -> QMenu:
        """The menu for a notebook (or, for None, for the list's empty space)."""
        menu = QMenu(self)
        if notebook_id is not None:
            menu.addAction("Open", lambda: self.notebook_selected.emit(notebook_id))
            menu.addSeparator()
            menu.addAction("Rename…", lambda: self._ask_rename(notebook_id))
            menu.addAction("Edit Tags…", lambda: self._ask_tags(notebook_id))
            export = menu.addMenu("Export")
            for fmt in EXPORT_FORMATS:
                export.addAction(
                    f"{_FORMAT_WORDS[fmt]}…",
                    lambda fmt=fmt: self._ask_export(notebook_id, fmt),
                )
            menu.addSeparator()
            menu.addAction("Delete…", lambda: self._ask_delete(notebook_id))
            menu.addSeparator()
        menu.addAction("New Notebook", self.new_notebook_requested.emit)
        menu.addAction("Import Notebook…", self.import_notebook)
        return menu

    def _show_context_menu(self, pos: QPoint) -> None:
        item = self.notebook_list.itemAt(pos)
        menu = self.context_menu(None if item is None else str(item.data(ID_ROLE)))
        menu.exec(self.notebook_list.viewport().mapToGlobal(pos))
        menu.deleteLater()

    # --- dialogs -------------------------------------------------------------------------

    def _box(self, title: str) -> Callable[[str], None]:
        return lambda message: QMessageBox.warning(self, title, message)

    def _emit_problem(self, message: str) -> None:
        self.problem.emit(message)

    def _title(self, notebook_id: str) -> str:
        known = self._known.get(notebook_id)
        if known is not None:
            return known.title
        item = self._item(notebook_id)
        return item.text() if item is not None else "this notebook"

    def rename_selected(self) -> None:
        notebook_id = self.current_notebook_id()
        if notebook_id is not None:
            self._ask_rename(notebook_id)

    def _ask_rename(self, notebook_id: str) -> None:
        old = self._title(notebook_id)
        title, ok = QInputDialog.getText(
            self, "Rename Notebook", "Title:", QLineEdit.EchoMode.Normal, old
        )
        if ok and title.strip() != old:
            self._rename(notebook_id, title, self._box("Could not rename the notebook"))

    def tag_selected(self) -> None:
        notebook_id = self.current_notebook_id()
        if notebook_id is not None:
            self._ask_tags(notebook_id)

    def _ask_tags(self, notebook_id: str) -> None:
        known = self._known.get(notebook_id)
        current = ", ".join(known.tags) if known else ""
        text, ok = QInputDialog.getText(
            self,
            "Edit Tags",
            f"Tags for “{self._title(notebook_id)}”, separated by commas:",
            QLineEdit.EchoMode.Normal,
            current,
        )
        if ok:
            self._set_tags(notebook_id, parse_tags(text), self._box("Could not change the tags"))

    def delete_selected(self) -> None:
        notebook_id = self.current_notebook_id()
        if notebook_id is not None:
            self._ask_delete(notebook_id)

    def _ask_delete(self, notebook_id: str) -> None:
        if self.confirm_delete(notebook_id):
            self._delete(notebook_id, self._box("Could not delete the notebook"))

    def confirm_delete(self, notebook_id: str) -> bool:
        """Ask before deleting; True when the user said yes."""
        known = self._known.get(notebook_id)
        what = f"Delete “{self._title(notebook_id)}”?"
        if known is None or known.runs:
            questions = "questions" if known is None else plural(known.runs, "question")
            text = f"Its {questions} and saved pages are removed. This cannot be undone."
        else:
            text = "This cannot be undone."
        return widgets.confirm(self, what, text, "Delete", destructive=True)

    def export_selected(self, fmt: str) -> None:
        notebook_id = self.current_notebook_id()
        if notebook_id is not None:
            self._ask_export(notebook_id, fmt)

    def _ask_export(self, notebook_id: str, fmt: str) -> None:
        check_format(fmt)
        title = self._title(notebook_id)
        suggested = str(Path(self._export_dir) / export_file_name(title, fmt))
        path, _ = QFileDialog.getSaveFileName(self, f"Export “{title}”", suggested, _FILTERS[fmt])
        if not path:
            return
        target = Path(path)
        if not target.suffix:
            target = target.with_suffix(f".{fmt}")
        self._export_dir = str(target.parent)
        self._export(notebook_id, fmt, target, self._box("Could not export the notebook"))

    def import_notebook(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Import Notebook",
            self._export_dir,
            "Notebook export (*.json);;All files (*)",
        )
        if path:
            self._export_dir = str(Path(path).parent)
            self._import(Path(path), self._box("Could not import the notebook"))

    # --- actions (direct) ----------------------------------------------------------------

    def rename(self, notebook_id: str, title: str) -> None:
        """Give a notebook a new title; ``problem`` says why not (an empty title...)."""
        self._rename(notebook_id, title, self._emit_problem)

    def set_tags(self, notebook_id: str, tags: Sequence[str]) -> None:
        """Make the notebook's tags exactly ``tags`` (an empty list removes them all)."""
        self._set_tags(notebook_id, parse_tags(",".join(tags)), self._emit_problem)

    def delete(self, notebook_id: str, confirm: bool = False) -> None:
        """Delete a notebook; with ``confirm`` the user is asked first."""
        if confirm:
            self._ask_delete(notebook_id)
        else:
            self._delete(notebook_id, self._emit_problem)

    def export_to(self, notebook_id: str, fmt: str, path: str | os.PathLike[str]) -> None:
        """Write a notebook as md, html, pdf or json; ``exported`` or ``problem`` follows."""
        check_format(fmt)
        self._export(notebook_id, fmt, Path(path), self._emit_problem)

    def import_from(self, path: str | os.PathLike[str]) -> None:
        """Import a JSON export as a new notebook, select it and open it."""
        self._import(Path(path), self._emit_problem)

    # --- actions (in the background) ----------------------------------------------------

    def _work(
        self,
        fn: Callable[[NotebookStore], Any],
        on_done: Callable[[Any], None],
        report: Callable[[str], None],
        doing: str,
    ) -> None:
        holder = self._holder

        def failed(exc: BaseException) -> None:
            report(describe_error(exc, doing))
            if isinstance(exc, NotebookNotFound):
                self.refresh()  # its row is out of date

        run_in_background(
            lambda: fn(holder.get()),
            self._alive(on_done),
            self._alive(failed),
            name="ii-sidebar-action",
        )

    def _rename(self, notebook_id: str, title: str, report: Callable[[str], None]) -> None:
        self._work(
            lambda store: store.rename(notebook_id, title).id,
            lambda renamed: self.refresh(select_id=renamed),
            report,
            "rename the notebook",
        )

    def _set_tags(self, notebook_id: str, tags: list[str], report: Callable[[str], None]) -> None:
        def change(store: NotebookStore) -> str:
            notebook = store.notebook(notebook_id)
            gone = sorted(set(notebook.tags) - set(tags))
            new = sorted(set(tags) - set(notebook.tags))
            if gone:
                store.tag(notebook.id, gone, remove=True)
            if new:
                store.tag(notebook.id, new)
            return notebook.id

        self._work(
            change,
            lambda changed: self.refresh(select_id=changed),
            report,
            "change the tags",
        )

    def _delete(self, notebook_id: str, report: Callable[[str], None]) -> None:
        was_current = self.current_notebook_id() == notebook_id
        ids = self.notebook_ids()
        following: str | None = None
        if notebook_id in ids:
            row = ids.index(notebook_id)
            rest = ids[row + 1 :] + ids[:row][::-1]  # the next one, else the one above
            following = rest[0] if rest else None

        def done(deleted: str) -> None:
            self.notebook_deleted.emit(deleted)
            if was_current and following is not None and self.current_notebook_id() == deleted:
                # the window showed the deleted notebook: the next one takes its place
                self._pending_open = following
                self.refresh(select_id=following)
            else:
                self.refresh()

        self._work(lambda store: store.delete(notebook_id).id, done, report, "delete the notebook")

    def _export(
        self, notebook_id: str, fmt: str, path: Path, report: Callable[[str], None]
    ) -> None:
        self._work(
            lambda store: str(export_notebook(store, notebook_id, fmt, path)),
            self.exported.emit,
            report,
            f"export the notebook to {path}",
        )

    def _import(self, path: Path, report: Callable[[str], None]) -> None:
        def done(notebook_id: str) -> None:
            if self._query:  # the new notebook may not match: show every notebook
                self.search_field.blockSignals(True)
                self.search_field.clear()
                self.search_field.blockSignals(False)
                self._search_timer.stop()
                self._query = ""
            self._pending_open = notebook_id
            self.refresh(select_id=notebook_id)

        self._work(
            lambda store: import_file(store, path).id,
            done,
            report,
            f"import {path}",
        )

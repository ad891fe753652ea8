"""What the research window does with a dropped page or file: check it.

``DropHandling`` is a mixin of ``MainWindow``. A web page dropped on the window (or
opened with the app) becomes a summarise-and-verify question; an HTML, PDF or text file
is read on a worker thread and its text asked about the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QDragEnterEvent, QDropEvent

from ii_desktop.ui.background import run_in_background
from ii_desktop.ui.drops import check_question, urls_from_drop

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow

    _Base = QMainWindow
else:
    _Base = object


class DropHandling(_Base):
    """The drops of ``MainWindow``, which provides what is declared here."""

    if TYPE_CHECKING:

        def new_notebook(self) -> None: ...
        def ask(self, question: str, mode: str = "normal") -> None: ...
        def show_problem(self, message: str, rich: bool = False) -> None: ...

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if mime.hasUrls() or "http" in mime.text():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        mime = event.mimeData()
        web, files = urls_from_drop(list(mime.urls()), mime.text())
        event.acceptProposedAction()
        self.open_dropped(web, files)

    def open_dropped(self, web: list[str], files: list[Path]) -> None:
        """A dropped page or file: check it (a summarise-and-verify run for now)."""
        if web:
            self.check_page(web[0])
        elif files:
            self.check_file(files[0])

    def check_page(self, url: str) -> None:
        self.new_notebook()
        self.ask(check_question(url))

    def check_file(self, path: Path) -> None:
        suffix = path.suffix.lower()
        if suffix not in (".html", ".htm", ".pdf", ".txt", ".md"):
            self.show_problem(
                f"{path.name}: only web pages, HTML, PDF and text files can be checked."
            )
            return

        def read() -> str:
            body = path.read_bytes()[: 15 * 1024 * 1024]
            if suffix == ".pdf":
                from ii_desktop.tools.reader_pdf import read_pdf

                return read_pdf(body).text
            if suffix in (".html", ".htm"):
                from ii_desktop.tools.reader import read_html

                article = read_html(body)
                return f"{article.title}\n\n{article.text}".strip()
            return body.decode("utf-8", "replace")

        def ask(text: str) -> None:
            text = text.strip()[:8000]
            if not text:
                self.show_problem(f"{path.name} has no readable text.")
                return
            self.new_notebook()
            self.ask(
                f"Summarise this document ({path.name}) and check its main factual claims "
                f"against independent sources on the web. Cite the pages you read.\n\n{text}"
            )

        run_in_background(
            read, ask, lambda exc: self.show_problem(f"Could not read {path.name}: {exc}")
        )

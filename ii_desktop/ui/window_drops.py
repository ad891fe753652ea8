"""What the research window does with a dropped page or file: check it.

``DropHandling`` is a mixin of ``MainWindow``. A web page dropped on the window (or
opened with the app), or an HTML, PDF or text file, opens a fact-check window: every
claim on the page checked against other sources on the window's research session.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QDragEnterEvent, QDropEvent

from ii_desktop.ui.drops import urls_from_drop

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow

    from ii_desktop.core.events import Event
    from ii_desktop.factcheck.pipeline import CheckState, FactCheck, PageInput
    from ii_desktop.ui.check_view import CheckWindow

    _Base = QMainWindow
else:
    _Base = object


class DropHandling(_Base):
    """The drops of ``MainWindow``, which provides what is declared here."""

    if TYPE_CHECKING:
        from ii_desktop.core.settings import AppPaths
        from ii_desktop.research.session import ResearchSession

        session: ResearchSession | None
        _paths: AppPaths

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
        """Check every claim on the page at ``url`` in a window of its own."""
        from ii_desktop.factcheck.source import read_web

        session = self._check_session()
        if session is None:
            return
        self._open_check(url, lambda: read_web(url, session.tool_settings))

    def check_file(self, path: Path) -> None:
        suffix = path.suffix.lower()
        if suffix not in (".html", ".htm", ".pdf", ".txt", ".md"):
            self.show_problem(
                f"{path.name}: only web pages, HTML, PDF and text files can be checked."
            )
            return
        from ii_desktop.factcheck.source import read_file

        if self._check_session() is None:
            return
        self._open_check(path.name, lambda: read_file(path))

    def _check_session(self) -> ResearchSession | None:
        if self.session is None:
            self.show_problem(
                "The model is not ready yet; drop the page again once it is (the status "
                "line says when)."
            )
        return self.session

    def _open_check(self, name: str, read: Callable[[], PageInput]) -> CheckWindow:
        from ii_desktop.factcheck.pipeline import FactCheck, new_check
        from ii_desktop.ui.check_view import CheckWindow

        session = self.session
        assert session is not None
        paths = self._paths
        sidebar = getattr(self, "sidebar", None)

        def reader() -> CheckState:
            return new_check(paths, read())

        def make_check(state: CheckState, on_event: Callable[[Event], None]) -> FactCheck:
            return FactCheck(session, state, on_event=on_event)

        window = CheckWindow(name, make_check, self)
        if sidebar is not None:  # the check's notebook appears as it is made and fills
            window.notebook_changed.connect(lambda nid: sidebar.refresh())
        window.show()
        window.start(reader)
        return window

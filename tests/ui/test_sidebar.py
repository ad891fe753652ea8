"""The notebook sidebar: recency order, search, rename/tag/delete, export, import, errors."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from ii_desktop.core.settings import app_paths
from ii_desktop.notebooks import NotebookStore
from ii_desktop.ui import widgets
from ii_desktop.ui.sidebar import (
    EMPTY_HINT,
    ID_ROLE,
    KIND_ROLE,
    LOAD_FAILED_HINT,
    SNIPPET_ROLE,
    NotebookSidebar,
    export_file_name,
    fit_tags,
    focus_snippet,
    notebook_detail,
    parse_tags,
    plain_snippet,
    relative_time,
)
from tests.notebooks.runs import QUESTION, eiffel_messages, eiffel_run, record

pytestmark = [
    pytest.mark.gui,
    pytest.mark.qt_log_level_fail("WARNING"),
    # the offscreen platform says this of every window it shows
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]

WAIT_MS = 5000
SEARCH_SETTLE_MS = 350  # longer than the search delay


def make_notebooks(*specs: tuple[str, int]) -> list[str]:
    """Notebooks with ``(title, number of runs)``, created in this order (the last is newest)."""
    ids = []
    with NotebookStore.open(app_paths().ensure()) as store:
        for n, (title, runs) in enumerate(specs):
            notebook = store.create(title)
            for r in range(runs):
                events = eiffel_run(f"run-{n}-{r}", question=f"{QUESTION} ({title})")
                record(store, notebook.id, events, eiffel_messages())
            ids.append(notebook.id)
    return ids


def stored(notebook_id: str):
    with NotebookStore.open(app_paths()) as store:
        return {n.id: n for n in store.notebooks()}.get(notebook_id)


def open_sidebar(qtbot, show: bool = False) -> NotebookSidebar:
    sidebar = NotebookSidebar(app_paths())
    qtbot.addWidget(sidebar)
    with qtbot.waitSignal(sidebar.refreshed, timeout=WAIT_MS):
        pass  # the first load was started by the constructor
    if show:
        sidebar.resize(260, 700)
        with qtbot.waitActive(sidebar, timeout=WAIT_MS):
            sidebar.show()
    return sidebar


def titles(sidebar: NotebookSidebar) -> list[str]:
    view = sidebar.notebook_list
    return [view.item(i).text() for i in range(view.count())]


@pytest.fixture
def three(qtbot):
    """Paris (2 runs, oldest), Rome (1), Oslo (empty, newest), and a sidebar on them."""
    ids = make_notebooks(("Paris", 2), ("Rome", 1), ("Oslo", 0))
    return ids, open_sidebar(qtbot)


# --- words -----------------------------------------------------------------------------


def test_relative_time_reads_like_a_sidebar():
    now = datetime(2025, 3, 10, 18, 30).timestamp()
    assert relative_time(datetime(2025, 3, 10, 14, 5).timestamp(), now) == "Today 14:05"
    assert relative_time(datetime(2025, 3, 9, 23, 59).timestamp(), now) == "Yesterday"
    assert relative_time(datetime(2025, 3, 3, 9, 0).timestamp(), now) == "3 Mar"
    assert relative_time(datetime(2024, 12, 24, 9, 0).timestamp(), now) == "24 Dec 2024"
    assert notebook_detail(now, 1, now) == "Today 18:30 · 1 question"
    assert notebook_detail(now, 3, now) == "Today 18:30 · 3 questions"
    assert notebook_detail(now, 0, now) == "Today 18:30 · no questions"


def test_tags_and_file_names_from_what_people_type():
    assert parse_tags(" paris, #travel ,, Paris ,new   york") == [
        "Paris",
        "new york",
        "paris",
        "travel",
    ]
    assert parse_tags("  ") == []
    assert export_file_name("How tall is: the/Eiffel Tower?", "md") == (
        "How tall is the Eiffel Tower.md"
    )
    assert export_file_name("...", "pdf") == "Notebook.pdf"
    assert fit_tags(["code", "work", "go"], 100, len) == "#code #work #go"
    assert fit_tags(["code", "work", "go"], 14, len) == "#code #work +1"
    assert fit_tags(["code", "work", "go"], 8, len) == "#code +2"
    assert fit_tags(["code", "work", "go"], 4, len) == ""
    long = "The Eiffel Tower is a wrought-iron lattice tower joined by 2.5 million rivets."
    assert (
        focus_snippet(long, "rivets") == "…wrought-iron lattice tower joined by 2.5 million rivets."
    )
    longer = long + " It was finished in 1889 for the Exposition Universelle in Paris."
    assert focus_snippet(longer, "rivets").startswith("…2.5 million rivets.")
    assert focus_snippet(long, "eiffel") == long
    assert plain_snippet(
        "is **330 metres** ([figures](https://x.org/a)) (https://en.wiki.org/w)"
    ) == ("is 330 metres (figures) (en.wiki.org)")


# --- the list --------------------------------------------------------------------------


def test_notebooks_are_listed_most_recent_first(three):
    (paris, rome, oslo), sidebar = three
    assert titles(sidebar) == ["Oslo", "Rome", "Paris"]
    assert sidebar.notebook_ids() == [oslo, rome, paris]
    item = sidebar.notebook_list.item(2)
    assert item.data(ID_ROLE) == paris
    assert item.data(KIND_ROLE) == "notebook"
    assert "Today" in item.toolTip() and "2 questions" in item.toolTip()
    assert sidebar.objectName() == "sidebar"
    assert sidebar.search_field.placeholderText() == "Search notebooks"
    assert sidebar.search_field.isClearButtonEnabled()
    assert sidebar.search_field.accessibleName() == "Search notebooks"
    assert sidebar.notebook_list.accessibleName() == "Notebooks"
    assert sidebar.new_button.accessibleName() == "New notebook"
    assert sidebar.new_button.toolTip().startswith("New notebook (")
    assert not sidebar.empty_hint.isVisibleTo(sidebar)
    assert sidebar.current_notebook_id() is None  # nothing is picked for the user


def test_a_new_run_moves_its_notebook_to_the_top_and_the_selection_stays(qtbot, three):
    (paris, rome, _oslo), sidebar = three
    sidebar.set_current(rome)
    with NotebookStore.open(app_paths()) as store:
        record(store, paris, eiffel_run("run-later"))
    with qtbot.waitSignal(sidebar.refreshed, timeout=WAIT_MS):
        sidebar.refresh()
    assert titles(sidebar) == ["Paris", "Oslo", "Rome"]
    assert sidebar.current_notebook_id() == rome
    with qtbot.waitSignal(sidebar.refreshed, timeout=WAIT_MS):
        sidebar.refresh(select_id=paris)
    assert sidebar.current_notebook_id() == paris


def test_no_notebooks_shows_the_hint(qtbot):
    sidebar = open_sidebar(qtbot)
    assert sidebar.notebook_list.count() == 0
    assert sidebar.empty_hint.isVisibleTo(sidebar)
    assert " ".join(sidebar.empty_hint.text().split()) == EMPTY_HINT
    assert not sidebar.notebook_list.isVisibleTo(sidebar)


def test_a_store_that_cannot_open_is_a_plain_problem(qtbot, data_dir):
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    data_dir.write_text("not a folder")  # the data folder cannot be created
    sidebar = NotebookSidebar(app_paths())
    qtbot.addWidget(sidebar)
    with (
        qtbot.waitSignal(sidebar.problem, timeout=WAIT_MS) as problem,
        qtbot.waitSignal(sidebar.refreshed, timeout=WAIT_MS),
    ):
        pass
    message = problem.args[0]
    assert str(data_dir) in message and "Traceback" not in message
    assert sidebar.empty_hint.text() == LOAD_FAILED_HINT
    assert sidebar.empty_hint.isVisibleTo(sidebar)


def test_a_damaged_store_is_set_aside_and_said(qtbot, data_dir):
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "notebooks.sqlite3").write_bytes(b"this is not a database" * 100)
    sidebar = NotebookSidebar(app_paths())
    qtbot.addWidget(sidebar)
    with (
        qtbot.waitSignal(sidebar.problem, timeout=WAIT_MS) as problem,
        qtbot.waitSignal(sidebar.refreshed, timeout=WAIT_MS),
    ):
        pass
    assert problem.args[0].startswith("The notebook database was damaged")
    assert sidebar.empty_hint.isVisibleTo(sidebar)


def test_refreshes_asked_for_meanwhile_become_one_more_load(qtbot, three):
    _ids, sidebar = three
    loads = []
    sidebar.refreshed.connect(lambda: loads.append(1))
    with qtbot.waitSignal(sidebar.refreshed, timeout=WAIT_MS):
        for _ in range(5):
            sidebar.refresh()
    qtbot.wait(200)
    assert loads == [1]  # the first load's result is outdated: only the last is shown


def test_results_for_a_closed_sidebar_are_dropped(qtbot):
    make_notebooks(("Paris", 0))
    sidebar = NotebookSidebar(app_paths())
    sidebar.deleteLater()  # gone before its first load comes back
    qtbot.wait(300)  # an exception in the late callback would fail the test


# --- search ----------------------------------------------------------------------------


def test_search_shows_hits_and_clearing_brings_the_notebooks_back(qtbot, three):
    (paris, rome, _oslo), sidebar = three
    loads = []
    sidebar.refreshed.connect(lambda: loads.append(1))
    with qtbot.waitSignal(sidebar.refreshed, timeout=WAIT_MS):
        qtbot.keyClicks(sidebar.search_field, "rivets")  # only in the page the runs read
    qtbot.wait(SEARCH_SETTLE_MS)
    assert len(loads) == 1  # typing is debounced: one search, not one per key
    assert sidebar.searching
    assert set(sidebar.notebook_ids()) == {paris, rome}  # one row per notebook
    item = sidebar.notebook_list.item(0)
    assert item.data(KIND_ROLE) == "hit"
    assert "rivets" in item.data(SNIPPET_ROLE)
    assert item.text() in ("Paris", "Rome")

    with qtbot.waitSignal(sidebar.refreshed, timeout=WAIT_MS):
        sidebar.search_field.setText("Rome")  # the question of Rome's run names it
    assert sidebar.notebook_ids() == [rome]

    with qtbot.waitSignal(sidebar.refreshed, timeout=WAIT_MS):
        sidebar.search_field.setText("zeppelin")
    assert sidebar.notebook_list.count() == 0
    assert sidebar.empty_hint.text() == "No matches for “zeppelin”."
    assert sidebar.empty_hint.isVisibleTo(sidebar)

    with qtbot.waitSignal(sidebar.refreshed, timeout=WAIT_MS):
        sidebar.search_field.clear()
    assert not sidebar.searching
    assert titles(sidebar) == ["Oslo", "Rome", "Paris"]
    assert not sidebar.empty_hint.isVisibleTo(sidebar)


def test_focus_search_selects_the_query(qtbot, three):
    _ids, sidebar = three
    with qtbot.waitActive(sidebar, timeout=WAIT_MS):
        sidebar.show()
    sidebar.search_field.setText("eiffel")
    sidebar.notebook_list.setFocus()
    sidebar.focus_search()
    assert sidebar.search_field.hasFocus()
    assert sidebar.search_field.selectedText() == "eiffel"


# --- picking ---------------------------------------------------------------------------


def test_clicking_a_notebook_selects_it(qtbot):
    paris, _rome = make_notebooks(("Paris", 1), ("Rome", 1))
    sidebar = open_sidebar(qtbot, show=True)
    view = sidebar.notebook_list
    rect = view.visualItemRect(view.item(1))
    with qtbot.waitSignal(sidebar.notebook_selected, timeout=WAIT_MS) as picked:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert picked.args == [paris]
    assert sidebar.current_notebook_id() == paris


def test_keyboard_moves_opens_and_asks_to_delete(qtbot, monkeypatch):
    paris, rome = make_notebooks(("Paris", 1), ("Rome", 1))
    sidebar = open_sidebar(qtbot, show=True)
    picked = []
    sidebar.notebook_selected.connect(picked.append)
    view = sidebar.notebook_list
    view.setFocus()
    sidebar.set_current(rome)
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert sidebar.current_notebook_id() == paris
    assert picked == []  # moving is not opening
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert picked == [paris]

    asked = []
    monkeypatch.setattr(widgets, "confirm", lambda *args, **kw: asked.append(args[1]) and False)
    qtbot.keyClick(view, Qt.Key.Key_Backspace)
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert len(asked) == 2 and "“Paris”" in asked[0]
    assert stored(paris) is not None

    # from the search field: Return opens the first row, Down goes to the list
    sidebar.search_field.setFocus()
    sidebar.set_current(None)
    qtbot.keyClick(sidebar.search_field, Qt.Key.Key_Return)
    assert picked == [paris, rome]
    sidebar.set_current(None)
    qtbot.keyClick(sidebar.search_field, Qt.Key.Key_Down)
    assert view.hasFocus()
    assert sidebar.current_notebook_id() == rome
    assert picked == [paris, rome]


# --- rename, tags, delete ----------------------------------------------------------------


def test_rename_round_trip(qtbot, three, monkeypatch):
    (paris, _rome, _oslo), sidebar = three
    with qtbot.waitSignal(sidebar.refreshed, timeout=WAIT_MS):
        sidebar.rename(paris, "  Paris   in spring ")
    assert stored(paris).title == "Paris in spring"
    assert titles(sidebar)[0] == "Paris in spring"  # renaming counts as using it
    assert sidebar.current_notebook_id() == paris

    with qtbot.waitSignal(sidebar.problem, timeout=WAIT_MS) as problem:
        sidebar.rename(paris, "   ")
    assert problem.args == ["A notebook title cannot be empty."]
    assert stored(paris).title == "Paris in spring"

    offered = []

    def get_text(parent, title, label, echo, text):
        offered.append(text)
        return "Paris, final", True

    monkeypatch.setattr(QInputDialog, "getText", get_text)
    with qtbot.waitSignal(sidebar.refreshed, timeout=WAIT_MS):
        sidebar.rename_selected()
    assert offered == ["Paris in spring"]
    assert stored(paris).title == "Paris, final"


def test_tags_round_trip(qtbot, three, monkeypatch):
    (paris, _rome, _oslo), sidebar = three
    with qtbot.waitSignal(sidebar.refreshed, timeout=WAIT_MS):
        sidebar.set_tags(paris, ["travel", "#france", " "])
    assert stored(paris).tags == ("france", "travel")
    item = sidebar.notebook_list.item(sidebar.notebook_ids().index(paris))
    assert "#france #travel" in item.toolTip()

    with qtbot.waitSignal(sidebar.refreshed, timeout=WAIT_MS):
        sidebar.set_tags(paris, ["travel"])
    assert stored(paris).tags == ("travel",)

    offered = []
    monkeypatch.setattr(
        QInputDialog,
        "getText",
        lambda parent, title, label, echo, text: offered.append(text) or ("a, b", True),
    )
    sidebar.set_current(paris)
    with qtbot.waitSignal(sidebar.refreshed, timeout=WAIT_MS):
        sidebar.tag_selected()
    assert offered == ["travel"]
    assert stored(paris).tags == ("a", "b")

    with qtbot.waitSignal(sidebar.refreshed, timeout=WAIT_MS):
        sidebar.set_tags(paris, [])
    assert stored(paris).tags == ()


def test_delete_selects_the_next_notebook(qtbot, three):
    (paris, rome, oslo), sidebar = three
    sidebar.set_current(rome)
    with (
        qtbot.waitSignal(sidebar.notebook_deleted, timeout=WAIT_MS) as deleted,
        qtbot.waitSignal(sidebar.notebook_selected, timeout=WAIT_MS) as shown,
    ):
        sidebar.delete(rome)
    assert deleted.args == [rome]
    assert shown.args == [paris]  # the one below takes its place
    assert stored(rome) is None
    assert sidebar.notebook_ids() == [oslo, paris]
    assert sidebar.current_notebook_id() == paris

    with qtbot.waitSignal(sidebar.refreshed, timeout=WAIT_MS):
        sidebar.delete(paris)  # the last row: the one above it is next
    assert sidebar.current_notebook_id() == oslo

    with (
        qtbot.waitSignal(sidebar.problem, timeout=WAIT_MS) as problem,
        qtbot.waitSignal(sidebar.refreshed, timeout=WAIT_MS),
    ):
        sidebar.delete(paris)  # gone already
    assert problem.args == [
        "Could not delete the notebook: it no longer exists (deleted in another window?)."
    ]


def test_delete_selected_asks_first(qtbot, three, monkeypatch):
    (paris, _rome, _oslo), sidebar = three
    asked = []
    answer = False

    def confirm(parent, title, text, action, destructive=False):
        asked.append((title, text, action, destructive))
        return answer

    monkeypatch.setattr(widgets, "confirm", confirm)
    sidebar.set_current(paris)
    sidebar.delete_selected()
    qtbot.wait(100)
    assert asked == [
        (
            "Delete “Paris”?",
            "Its 2 questions and saved pages are removed. This cannot be undone.",
            "Delete",
            True,
        )
    ]
    assert stored(paris) is not None

    answer = True
    with qtbot.waitSignal(sidebar.notebook_deleted, timeout=WAIT_MS):
        sidebar.delete_selected()
    assert stored(paris) is None


def test_the_context_menu_offers_every_action(qtbot, three):
    (paris, _rome, _oslo), sidebar = three
    menu = sidebar.context_menu(paris)
    words = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert words == [
        "Open",
        "Rename…",
        "Edit Tags…",
        "Export",
        "Delete…",
        "New Notebook",
        "Import Notebook…",
    ]
    export = next(a.menu() for a in menu.actions() if a.text() == "Export")
    assert [a.text() for a in export.actions()] == [
        "Markdown…",
        "HTML…",
        "PDF…",
        "JSON (for import)…",
    ]
    blank = [a.text() for a in sidebar.context_menu(None).actions()]
    assert blank == ["New Notebook", "Import Notebook…"]
    with qtbot.waitSignal(sidebar.new_notebook_requested, timeout=WAIT_MS):
        sidebar.new_button.click()


# --- export and import -------------------------------------------------------------------


def test_export_writes_every_format(qtbot, three, tmp_path):
    (paris, _rome, _oslo), sidebar = three
    for fmt in ("md", "html", "json", "pdf"):
        path = tmp_path / f"paris.{fmt}"
        with qtbot.waitSignal(sidebar.exported, timeout=WAIT_MS * 2) as exported:
            sidebar.export_to(paris, fmt, path)
        assert exported.args == [str(path)]
        data = path.read_bytes()
        if fmt == "pdf":
            assert data.startswith(b"%PDF")
        else:
            assert f"{QUESTION} (Paris)" in data.decode("utf-8")
        assert not path.with_name(path.name + ".part").exists()
    assert json.loads((tmp_path / "paris.json").read_text())["notebook"]["title"] == "Paris"


def test_export_problems_are_plain_words(qtbot, three, tmp_path):
    (paris, _rome, _oslo), sidebar = three
    for fmt in ("md", "pdf"):
        target = tmp_path / "missing" / f"paris.{fmt}"
        with qtbot.waitSignal(sidebar.problem, timeout=WAIT_MS) as problem:
            sidebar.export_to(paris, fmt, target)
        message = problem.args[0]
        assert message.startswith(f"Could not write {target}: ")
        assert "Traceback" not in message and "Errno" not in message
    with pytest.raises(ValueError):
        sidebar.export_to(paris, "docx", tmp_path / "x.docx")


def test_export_selected_asks_for_a_file(qtbot, three, tmp_path, monkeypatch):
    (paris, _rome, _oslo), sidebar = three
    suggested = []

    def get_save_file_name(parent, caption, directory, filters):
        suggested.append((caption, directory, filters))
        return str(tmp_path / "chosen"), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", get_save_file_name)
    sidebar.set_current(paris)
    with qtbot.waitSignal(sidebar.exported, timeout=WAIT_MS) as exported:
        sidebar.export_selected("md")
    assert exported.args == [str(tmp_path / "chosen.md")]  # the suffix is added
    caption, directory, filters = suggested[0]
    assert caption == "Export “Paris”"
    assert directory.endswith("Paris.md")
    assert "*.md" in filters
    assert QUESTION in (tmp_path / "chosen.md").read_text()

    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: ("", ""))
    sidebar.export_selected("pdf")  # cancelled: nothing happens
    qtbot.wait(100)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chosen.md", "data"]


def test_import_of_an_export_adds_a_notebook(qtbot, three, tmp_path):
    (paris, _rome, _oslo), sidebar = three
    path = tmp_path / "paris.json"
    with qtbot.waitSignal(sidebar.exported, timeout=WAIT_MS):
        sidebar.export_to(paris, "json", path)
    with qtbot.waitSignal(sidebar.refreshed, timeout=WAIT_MS):
        sidebar.search_field.setText("zeppelin")  # importing shows every notebook again
    with qtbot.waitSignal(sidebar.notebook_selected, timeout=WAIT_MS) as opened:
        sidebar.import_from(path)
    new = opened.args[0]
    assert new not in (paris, _rome, _oslo)
    assert not sidebar.searching and sidebar.search_field.text() == ""
    assert len(sidebar.notebook_ids()) == 4
    assert sidebar.current_notebook_id() == new
    assert stored(new).title == "Paris" and stored(new).runs == 2


def test_a_broken_import_says_so_plainly(qtbot, three, tmp_path, monkeypatch):
    _ids, sidebar = three
    broken = tmp_path / "broken.json"
    broken.write_text("{ this is not json")
    with qtbot.waitSignal(sidebar.problem, timeout=WAIT_MS) as problem:
        sidebar.import_from(broken)
    assert problem.args == [f"{broken} is not valid JSON (line 1); nothing was imported."]

    other = tmp_path / "other.json"
    other.write_text(json.dumps({"format": "something else"}))
    told = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args: (str(other), ""))
    monkeypatch.setattr(
        QMessageBox, "warning", lambda parent, title, text: told.append((title, text))
    )
    sidebar.import_notebook()
    qtbot.waitUntil(lambda: bool(told), timeout=WAIT_MS)
    title, text = told[0]
    assert title == "Could not import the notebook"
    assert text.startswith("Not a notebook export") and "nothing was imported" in text
    assert len(sidebar.notebook_ids()) == 3


def test_a_sidebar_can_share_the_windows_store(qtbot):
    with NotebookStore.open(app_paths().ensure()) as store:
        store.create("Shared")
        sidebar = NotebookSidebar(app_paths(), store=store)
        qtbot.addWidget(sidebar)
        with qtbot.waitSignal(sidebar.refreshed, timeout=WAIT_MS):
            pass
        assert titles(sidebar) == ["Shared"]
        sidebar.close()
        sidebar.deleteLater()
        qtbot.wait(50)
        assert store.notebooks()[0].title == "Shared"  # not closed by the sidebar

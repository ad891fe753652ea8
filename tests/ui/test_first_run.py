"""The first-run page: a model folder checked before use, a model server, how to get the model."""

from __future__ import annotations

import shutil
from pathlib import Path

import keyring.errors
import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLineEdit, QPlainTextEdit, QWidget

from ii_desktop.core.settings import AppPaths, ServerSettings
from ii_desktop.tools import secrets
from ii_desktop.ui import widgets
from ii_desktop.ui.first_run import FirstRunPage
from tests.helpers.keyring_backend import MemoryKeyring, use_keyring
from tests.ui.helpers import all_text

pytestmark = [
    pytest.mark.gui,
    pytest.mark.qt_log_level_fail("WARNING"),
    # the offscreen platform says so for every top-level window with a layout
    pytest.mark.qt_log_ignore("propagateSizeHints"),
]

SECRET = "sk-server-0123456789"


def open_page(qtbot) -> FirstRunPage:
    page = FirstRunPage()
    qtbot.addWidget(page)
    return page


def test_page_says_what_to_do(qtbot):
    page = open_page(qtbot)
    text = all_text(page)
    assert "Set up II-Search-4B" in page.title.text()
    for heading in (
        "Use a model folder on this Mac",
        "Connect to a model server",
        "Download the model",
    ):
        assert heading in text
    assert not page.use_button.isEnabled()


# --- a model folder ----------------------------------------------------------------


def test_good_folder_is_described_and_can_be_used(qtbot, tiny_model_dir):
    page = open_page(qtbot)
    assert page.choose_folder(str(tiny_model_dir))
    assert page.folder_details.isVisibleTo(page)
    assert page.model_name_label.text() == tiny_model_dir.name
    assert "not quantized" in page.quantization_label.text()
    assert "MiB" in page.quantization_label.text()
    assert "40,960 tokens" in page.memory_label.text()
    assert "fit this Mac" in page.context_label.text()
    assert not page.folder_message.isVisibleTo(page)
    assert page.use_button.isEnabled()

    with qtbot.waitSignal(page.model_chosen) as chosen:
        page.use_button.click()
    assert chosen.args == [str(tiny_model_dir.resolve())]


def test_folder_without_config_is_refused_in_words(qtbot, tmp_path):
    empty = tmp_path / "downloads"
    empty.mkdir()
    page = open_page(qtbot)
    assert not page.choose_folder(str(empty))
    assert not page.use_button.isEnabled()
    assert page.folder_message.isVisibleTo(page)
    assert "No config.json here, so it is not a model folder" in page.folder_message.text()
    assert not page.folder_details.isVisibleTo(page)
    with qtbot.assertNotEmitted(page.model_chosen):
        page.use_button.click()
        page.use_model()


def test_missing_folder_is_refused(qtbot, tmp_path):
    page = open_page(qtbot)
    assert not page.choose_folder(str(tmp_path / "nowhere"))
    assert "not found" in page.folder_message.text()
    assert not page.choose_folder("   ")
    assert "Choose the model's folder first" in page.folder_message.text()


def test_a_bad_folder_after_a_good_one_turns_use_off(qtbot, tiny_model_dir, tmp_path):
    page = open_page(qtbot)
    assert page.choose_folder(str(tiny_model_dir))
    assert not page.choose_folder(str(tmp_path))
    assert not page.use_button.isEnabled()
    assert not page.folder_details.isVisibleTo(page)


def test_a_typed_path_is_checked_on_return(qtbot, tiny_model_dir):
    page = open_page(qtbot)
    page.folder_edit.setFocus()
    qtbot.keyClicks(page.folder_edit, str(tiny_model_dir))
    assert not page.use_button.isEnabled(), "typing alone does not make a folder usable"
    qtbot.keyClick(page.folder_edit, Qt.Key.Key_Return)
    assert page.use_button.isEnabled()
    with qtbot.waitSignal(page.model_chosen) as chosen:
        page.use_button.click()
    assert chosen.args == [str(tiny_model_dir.resolve())]


def test_use_checks_text_changed_since_the_last_check(qtbot, tiny_model_dir, tmp_path):
    page = open_page(qtbot)
    assert page.choose_folder(str(tiny_model_dir))
    page.folder_edit.setText(str(tmp_path / "nowhere"))  # as a paste would, unchecked
    with qtbot.assertNotEmitted(page.model_chosen):
        page.use_model()
    assert "not found" in page.folder_message.text()


def bad_folder(kind: str, tmp_path: Path, model: Path) -> Path:
    """A path that is not a usable model folder, in one of the ways a user meets."""
    path = tmp_path / "ii-search-4b-4bit"
    if kind == "a file":
        path.write_text("not a folder")
    elif kind != "missing":
        shutil.copytree(model, path)
        gone = "config.json" if kind == "no config.json" else "model.safetensors"
        (path / gone).unlink()
    return path


BAD_FOLDERS = {
    "missing": "Folder not found: check the path, or use Choose…",
    "a file": "This is a file: choose the folder that holds it.",
    "no config.json": "No config.json here, so it is not a model folder.",
    "no weights": "No weights here (no .safetensors files).",
}


def shows_one_line(label) -> bool:
    return label.heightForWidth(label.width()) < 2 * label.fontMetrics().lineSpacing()


@pytest.mark.parametrize("kind", BAD_FOLDERS)
def test_a_bad_folder_says_why_in_one_line_under_the_field(qtbot, tmp_path, tiny_model_dir, kind):
    path = bad_folder(kind, tmp_path, tiny_model_dir)
    page = open_page(qtbot)
    page.resize(1180, 760)  # the wide layout, where the card is narrowest
    page.show()
    qtbot.waitExposed(page)
    assert not page.choose_folder(str(path))
    message = page.folder_message
    assert message.text() == BAD_FOLDERS[kind]
    assert message.isVisible() and message.y() > page.folder_edit.y()
    assert str(path) not in message.text(), "the field already shows the path"
    assert str(path) in message.toolTip(), "the full words are one hover away"
    qtbot.waitUntil(lambda: message.width() > 0)
    assert shows_one_line(message), message.text()
    assert not page.use_button.isEnabled()
    with qtbot.assertNotEmitted(page.model_chosen):
        page.use_model()


def test_a_typed_bad_path_is_refused_without_pressing_return(qtbot, tmp_path):
    page = open_page(qtbot)
    page.show()
    page.folder_edit.setFocus()
    qtbot.keyClicks(page.folder_edit, str(tmp_path / "nowhere"))
    qtbot.waitUntil(lambda: page.folder_message.isVisible(), timeout=3000)
    assert "Folder not found" in page.folder_message.text()
    assert not page.use_button.isEnabled()


def test_a_folder_moved_after_its_check_is_not_used(qtbot, tmp_path, tiny_model_dir):
    folder = tmp_path / "model"
    shutil.copytree(tiny_model_dir, folder)
    page = open_page(qtbot)
    assert page.choose_folder(str(folder))
    shutil.rmtree(folder)
    with qtbot.assertNotEmitted(page.model_chosen):
        page.use_button.click()
    assert "Folder not found" in page.folder_message.text()
    assert not page.use_button.isEnabled()


def test_in_the_window_a_bad_path_is_not_saved_and_ask_stays_off(
    qtbot, tmp_path, tiny_model_dir, monkeypatch
):
    from ii_desktop.ui.main_window import MainWindow

    monkeypatch.setattr(widgets, "confirm", lambda *a, **k: True)
    paths = AppPaths(tmp_path / "data").ensure()
    window = MainWindow(paths, start_engine=False)
    qtbot.addWidget(window)
    window.show()
    page = window.first_run
    page.folder_edit.setFocus()
    qtbot.keyClicks(page.folder_edit, str(tmp_path / "no-such-model"))
    qtbot.keyClick(page.folder_edit, Qt.Key.Key_Return)
    page.use_button.click()
    assert window.pages.currentWidget() is page
    assert not paths.settings_file.exists()
    assert window.settings.engine.model_path is None
    assert not window.composer.send_button.isEnabled()


# --- a model server ----------------------------------------------------------------


def test_connect_emits_the_server_and_stores_its_key(qtbot, memory_keyring):
    page = open_page(qtbot)
    with qtbot.waitSignal(page.server_chosen) as chosen:
        assert page.connect_server(" http://localhost:8000/v1 ", " II-Search-4B ", SECRET)
    assert chosen.args == [
        ServerSettings(enabled=True, base_url="http://localhost:8000/v1", model_name="II-Search-4B")
    ]
    assert memory_keyring.store[(secrets.SERVICE, "openai")] == SECRET
    assert page.key_edit.text() == ""
    assert SECRET not in all_text(page)


def test_connect_without_a_key_stores_nothing(qtbot, memory_keyring):
    page = open_page(qtbot)
    with qtbot.waitSignal(page.server_chosen):
        page.url_edit.setText("https://llm.lan/v1")
        page.name_edit.setText("qwen3")
        page.connect_button.click()
    assert not memory_keyring.store


@pytest.mark.parametrize(
    ("url", "name", "message"),
    [
        ("localhost:8000/v1", "m", "must start with http:// or https://"),
        ("ftp://example.org/v1", "m", "must start with http:// or https://"),
        ("http://", "m", "needs a host"),
        ("http://localhost:8000/v1", "", "needs a URL and a model name"),
        ("", "m", "Enter the server's URL"),
    ],
)
def test_bad_server_input_is_refused(qtbot, memory_keyring, url, name, message):
    page = open_page(qtbot)
    with qtbot.assertNotEmitted(page.server_chosen):
        assert not page.connect_server(url, name, SECRET)
    assert message in page.server_message.text()
    assert page.server_message.isVisibleTo(page)
    assert not memory_keyring.store, "no key is stored for a server that was refused"


def test_without_a_keychain_a_key_is_refused_plainly(qtbot):
    with use_keyring(fail.Keyring()):
        page = open_page(qtbot)
        assert page.key_edit.isEnabled(), "the keychain is looked for after the first paint"
        qtbot.waitUntil(lambda: not page.key_edit.isEnabled())
        assert "No system keychain is available" in page.key_note.text()
        assert "II_DESKTOP_OPENAI_KEY" in page.key_note.text()
        with qtbot.assertNotEmitted(page.server_chosen):
            assert not page.connect_server("http://localhost:8000/v1", "m", SECRET)
        assert "II_DESKTOP_OPENAI_KEY" in page.server_message.text()
        # Without a key the server can still be used.
        with qtbot.waitSignal(page.server_chosen):
            assert page.connect_server("http://localhost:8000/v1", "m")
    assert SECRET not in all_text(page)


def test_a_refusing_keychain_is_a_message(qtbot):
    class Refusing(MemoryKeyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            raise keyring.errors.PasswordSetError("locked")

    with use_keyring(Refusing()):
        page = open_page(qtbot)
        with qtbot.assertNotEmitted(page.server_chosen):
            assert not page.connect_server("http://localhost:8000/v1", "m", SECRET)
    assert "refused to store" in page.server_message.text()


# --- getting the model ---------------------------------------------------------------


def test_the_download_card_opens_the_model_manager(qtbot):
    page = open_page(qtbot)
    with qtbot.waitSignal(page.models_requested, timeout=1000):
        page.download_button.click()
    assert "Nothing is downloaded until you ask" in all_text(page)


# --- the look ----------------------------------------------------------------------


def test_every_control_has_an_accessible_name(qtbot):
    page = open_page(qtbot)
    unnamed = [
        type(w).__name__
        for w in page.findChildren(QWidget)
        if isinstance(w, QAbstractButton | QLineEdit | QPlainTextEdit)
        and not isinstance(w.parentWidget(), QLineEdit)  # a line edit's clear button
        and not w.accessibleName()
    ]
    assert unnamed == []


def test_cards_sit_side_by_side_when_wide_and_stack_when_narrow(qtbot, tiny_model_dir):
    page = open_page(qtbot)
    page.resize(1100, 720)
    page.show()
    qtbot.waitExposed(page)
    page.choose_folder(str(tiny_model_dir))
    qtbot.waitUntil(lambda: page.folder_card.y() == page.server_card.y())
    assert page.folder_card.x() < page.server_card.x() < page.download_card.x()
    assert not page.grab().isNull()

    page.resize(700, 720)
    qtbot.waitUntil(lambda: page.folder_card.y() < page.server_card.y())
    assert page.folder_card.x() == page.server_card.x()

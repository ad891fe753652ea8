"""The Settings dialog: what Save writes, what it refuses, and how API keys are kept."""

from __future__ import annotations

import shutil
from pathlib import Path

import keyring.errors
import pytest
from keyring.backends import fail
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QTabBar,
    QTabWidget,
    QWidget,
)

from ii_desktop.core.settings import (
    DEFAULT_MAX_TOKENS,
    DEFAULT_REPETITION_PENALTY,
    DEFAULT_TEMPERATURE,
    DEFAULT_TOP_K,
    DEFAULT_TOP_P,
    LONG_CONTEXT_MAX,
    EngineSettings,
    SamplingSettings,
    ServerSettings,
    Settings,
    ToolSettings,
    UiSettings,
    app_paths,
    load_settings,
    save_settings,
)
from ii_desktop.tools import secrets
from ii_desktop.ui.settings_dialog import STORED_PLACEHOLDER, SettingsDialog
from tests.helpers.keyring_backend import MemoryKeyring, use_keyring
from tests.ui.helpers import all_text

pytestmark = [
    pytest.mark.gui,
    pytest.mark.qt_log_level_fail("WARNING"),
    # the offscreen platform says so for every top-level window with a layout
    pytest.mark.qt_log_ignore("propagateSizeHints"),
]

SECRET = "sk-test-0123456789abcdef"


def open_dialog(qtbot, settings: Settings | None = None) -> SettingsDialog:
    dialog = SettingsDialog(app_paths(), settings or Settings())
    qtbot.addWidget(dialog)
    return dialog


class RefusingKeyring(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("locked")


# --- the round trip ----------------------------------------------------------------


def test_changed_values_are_saved_and_load_back(qtbot, tiny_model_dir):
    paths = app_paths()
    dialog = open_dialog(qtbot)
    assert dialog.set_model_folder(str(tiny_model_dir))
    dialog.long_context_check.setChecked(True)
    dialog.context_spin.setValue(65536)
    dialog.kv_combo.setCurrentIndex(1)  # 8-bit
    dialog.temperature_spin.setValue(0.3)
    dialog.top_p_spin.setValue(0.8)
    dialog.top_k_spin.setValue(40)
    dialog.penalty_spin.setValue(1.2)
    dialog.max_tokens_spin.setValue(4096)
    dialog.set_provider_checked("searxng", True)
    dialog.select_provider("searxng")
    dialog.up_button.click()
    dialog.searxng_edit.setText("https://searx.example.org")
    dialog.hosts_edit.setPlainText("localhost:8080\n\n  wiki.internal  \nlocalhost:8080")
    dialog.private_check.setChecked(True)
    dialog.server_url_edit.setText("http://localhost:8000/v1")
    dialog.server_model_edit.setText("II-Search-4B")
    dialog.server_context_spin.setValue(32768)
    dialog.fold_check.setChecked(False)

    with qtbot.waitSignal(dialog.saved) as saved:
        dialog.save_button.click()
    assert dialog.result() == SettingsDialog.DialogCode.Accepted

    expected = Settings(
        engine=EngineSettings(
            model_path=str(tiny_model_dir.resolve()),
            context_length=65536,
            long_context=True,
            kv_bits=8,
        ),
        tools=ToolSettings(
            search_providers=("searxng", "ddgs"),
            provider_urls={"searxng": "https://searx.example.org"},
            allow_hosts=("localhost:8080", "wiki.internal"),
            allow_private_network=True,
        ),
        server=ServerSettings(
            enabled=False,
            base_url="http://localhost:8000/v1",
            model_name="II-Search-4B",
            context_length=32768,
        ),
        ui=UiSettings(fold_reasoning=False),
        sampling=SamplingSettings(
            temperature=0.3, top_p=0.8, top_k=40, repetition_penalty=1.2, max_tokens=4096
        ),
    )
    assert saved.args == [expected]
    assert load_settings(paths) == expected

    again = open_dialog(qtbot, load_settings(paths))
    assert again.result_settings() == expected
    assert again.model_edit.text() == str(tiny_model_dir.resolve())
    assert again.kv_combo.currentText() == "8-bit"
    assert again.provider_order() == ["searxng", "ddgs"]


def test_unchanged_dialog_keeps_what_it_does_not_show(qtbot):
    settings = Settings(
        engine=EngineSettings(prefill_chunk=128, persist_caches=False),
        tools=ToolSettings(provider_urls={"serper": "http://127.0.0.1:9/"}, read_timeout=3.0),
    )
    dialog = open_dialog(qtbot, settings)
    assert dialog.result_settings() == settings
    dialog.searxng_edit.setText("http://searx.lan")
    urls = dialog.result_settings().tools.provider_urls
    assert urls == {"serper": "http://127.0.0.1:9/", "searxng": "http://searx.lan"}


def test_cancel_writes_nothing(qtbot):
    dialog = open_dialog(qtbot)
    dialog.temperature_spin.setValue(1.5)
    with qtbot.assertNotEmitted(dialog.saved):
        dialog.cancel_button.click()
    assert not app_paths().settings_file.exists()


def test_context_limit_shows_as_the_models_limit(qtbot):
    dialog = open_dialog(qtbot)
    assert dialog.context_spin.value() == 0
    assert dialog.context_spin.text() == "Model's limit"
    assert dialog.result_settings().engine.context_length is None


# --- the model folder --------------------------------------------------------------


def test_valid_model_folder_shows_its_name_and_memory(qtbot, tiny_model_dir):
    dialog = open_dialog(qtbot)
    assert dialog.set_model_folder(str(tiny_model_dir))
    assert dialog.save_button.isEnabled()
    assert tiny_model_dir.name in dialog.model_status.text()
    text = dialog.memory_label.text()
    assert "for the weights" in text
    assert "40,960 tokens" in text  # the tiny model's own limit
    assert "longest context that fits" in text


def test_memory_line_follows_context_kv_bits_and_long_context(qtbot, tiny_model_dir):
    dialog = open_dialog(qtbot)
    dialog.set_model_folder(str(tiny_model_dir))
    full = dialog.memory_label.text()
    dialog.kv_combo.setCurrentIndex(2)  # 4-bit
    four_bit = dialog.memory_label.text()
    assert four_bit != full
    dialog.context_spin.setValue(8192)
    assert "8,192 tokens" in dialog.memory_label.text()
    assert dialog.context_spin.maximum() == 40960
    dialog.long_context_check.setChecked(True)
    assert dialog.context_spin.maximum() == LONG_CONTEXT_MAX
    dialog.context_spin.setValue(0)
    assert f"{LONG_CONTEXT_MAX:,} tokens" in dialog.memory_label.text()


def test_folder_without_config_disables_save(qtbot, tmp_path):
    empty = tmp_path / "not-a-model"
    empty.mkdir()
    dialog = open_dialog(qtbot)
    assert not dialog.set_model_folder(str(empty))
    assert not dialog.save_button.isEnabled()
    assert "No config.json here" in dialog.model_status.text()
    assert "\n" not in dialog.model_status.text()
    assert "Choose a model folder" in dialog.memory_label.text()

    dialog.set_model_folder("")
    assert dialog.save_button.isEnabled(), "no model at all is allowed (a server may be used)"
    assert dialog.result_settings().engine.model_path is None


def test_missing_model_path_is_never_accepted(qtbot, tmp_path):
    missing = str(tmp_path / "nowhere")
    dialog = open_dialog(qtbot)
    assert not dialog.set_model_folder(missing)
    assert not dialog.save_button.isEnabled()
    assert "not found" in dialog.model_status.text()

    # Typed text that has not been checked yet is checked on Save, and refused.
    dialog.set_model_folder("")
    dialog.model_edit.setText(missing)
    with qtbot.assertNotEmitted(dialog.saved):
        dialog.save()
    assert not app_paths().settings_file.exists()
    assert "not found" in dialog.message_label.text()
    assert dialog.tabs.currentWidget() is dialog.model_tab
    assert dialog.result() != SettingsDialog.DialogCode.Accepted


def test_a_saved_model_that_disappeared_is_reported(qtbot, tmp_path):
    dialog = open_dialog(qtbot, Settings(engine=EngineSettings(model_path=str(tmp_path / "gone"))))
    assert not dialog.save_button.isEnabled()
    assert "not found" in dialog.model_status.text()


BAD_FOLDERS = {
    "missing": "Folder not found: check the path, or use Choose…",
    "a file": "This is a file: choose the folder that holds it.",
    "no config.json": "No config.json here, so it is not a model folder.",
    "no weights": "No weights here (no .safetensors files).",
}


def bad_folder(kind: str, tmp_path: Path, model: Path) -> Path:
    path = tmp_path / "ii-search-4b-4bit"
    if kind == "a file":
        path.write_text("not a folder")
    elif kind != "missing":
        shutil.copytree(model, path)
        gone = "config.json" if kind == "no config.json" else "model.safetensors"
        (path / gone).unlink()
    return path


@pytest.mark.parametrize("kind", BAD_FOLDERS)
def test_a_bad_folder_says_why_in_one_line_and_is_not_saved(qtbot, tmp_path, tiny_model_dir, kind):
    path = bad_folder(kind, tmp_path, tiny_model_dir)
    dialog = open_dialog(qtbot)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert not dialog.set_model_folder(str(path))
    status = dialog.model_status
    assert status.text() == BAD_FOLDERS[kind]
    assert status.y() > dialog.model_edit.y(), "under the field"
    assert str(path) in status.toolTip()
    qtbot.waitUntil(lambda: status.width() > 0)
    assert status.heightForWidth(status.width()) < 2 * status.fontMetrics().lineSpacing()
    assert not dialog.save_button.isEnabled()
    with qtbot.assertNotEmitted(dialog.saved):
        dialog.save()
    assert not app_paths().settings_file.exists()


def test_a_typed_bad_path_turns_save_off_without_pressing_return(qtbot, tmp_path):
    dialog = open_dialog(qtbot)
    dialog.show()
    dialog.model_edit.setFocus()
    qtbot.keyClicks(dialog.model_edit, str(tmp_path / "nowhere"))
    qtbot.waitUntil(lambda: not dialog.save_button.isEnabled(), timeout=3000)
    assert "Folder not found" in dialog.model_status.text()


def test_a_folder_moved_after_its_check_is_not_saved(qtbot, tmp_path, tiny_model_dir):
    folder = tmp_path / "model"
    shutil.copytree(tiny_model_dir, folder)
    dialog = open_dialog(qtbot)
    assert dialog.set_model_folder(str(folder))
    shutil.rmtree(folder)
    with qtbot.assertNotEmitted(dialog.saved):
        dialog.save()
    assert not app_paths().settings_file.exists()
    assert "Folder not found" in dialog.message_label.text()
    assert not dialog.save_button.isEnabled()


# --- sampling ----------------------------------------------------------------------


def test_restore_defaults_puts_the_model_cards_sampling_back(qtbot):
    dialog = open_dialog(
        qtbot,
        Settings(sampling=SamplingSettings(temperature=1.4, top_p=0.5, top_k=0, max_tokens=99)),
    )
    assert dialog.top_k_spin.text() == "Off"
    dialog.penalty_spin.setValue(1.8)
    dialog.restore_button.click()
    assert dialog.temperature_spin.value() == pytest.approx(DEFAULT_TEMPERATURE)
    assert dialog.top_p_spin.value() == pytest.approx(DEFAULT_TOP_P)
    assert dialog.top_k_spin.value() == DEFAULT_TOP_K
    assert dialog.penalty_spin.value() == pytest.approx(DEFAULT_REPETITION_PENALTY)
    assert dialog.max_tokens_spin.value() == DEFAULT_MAX_TOKENS
    assert dialog.result_settings().sampling == SamplingSettings()


# --- search providers --------------------------------------------------------------


def test_provider_order_is_the_fallback_chain(qtbot):
    dialog = open_dialog(qtbot, Settings(tools=ToolSettings(search_providers=("brave", "ddgs"))))
    assert dialog.provider_order() == ["brave", "ddgs"]
    names = [dialog.provider_list.item(i).text() for i in range(dialog.provider_list.count())]
    assert len(names) == 6
    assert names[0].startswith("Brave")

    dialog.select_provider("ddgs")
    dialog.up_button.click()
    assert dialog.provider_order() == ["ddgs", "brave"]
    assert not dialog.up_button.isEnabled(), "the top row cannot move further up"
    dialog.set_provider_checked("local", True)
    dialog.select_provider("local")
    dialog.down_button.click()  # already last: nothing happens
    assert dialog.provider_order() == ["ddgs", "brave", "local"]
    dialog.set_provider_checked("brave", False)
    assert dialog.result_settings().tools.search_providers == ("ddgs", "local")


def test_the_last_provider_cannot_be_unchecked(qtbot):
    dialog = open_dialog(qtbot)
    assert dialog.provider_order() == ["ddgs"]
    dialog.set_provider_checked("ddgs", False)
    assert dialog.provider_order() == ["ddgs"]
    assert "At least one search provider" in dialog.providers_note.text()
    dialog.set_provider_checked("tavily", True)
    dialog.set_provider_checked("ddgs", False)
    assert dialog.provider_order() == ["tavily"]


def test_bad_searxng_url_is_refused(qtbot):
    dialog = open_dialog(qtbot)
    dialog.searxng_edit.setText("searx.example.org")
    with qtbot.assertNotEmitted(dialog.saved):
        dialog.save()
    assert "SearXNG URL must start with http://" in dialog.message_label.text()
    assert dialog.tabs.currentWidget() is dialog.search_tab


# --- API keys ----------------------------------------------------------------------


def test_typed_key_is_stored_in_the_keychain_and_never_shown(qtbot, memory_keyring):
    dialog = open_dialog(qtbot)
    edit = dialog.key_edits["serper"]
    assert edit.echoMode() == QLineEdit.EchoMode.Password
    assert not dialog.key_remove_buttons["serper"].isEnabled()
    edit.setText(SECRET)
    assert SECRET not in edit.displayText()
    dialog.save()
    assert memory_keyring.store[(secrets.SERVICE, "serper")] == SECRET
    assert SECRET not in app_paths().settings_file.read_text()
    assert edit.text() == ""

    again = open_dialog(qtbot, load_settings(app_paths()))
    stored = again.key_edits["serper"]
    assert stored.text() == ""
    assert stored.placeholderText() == STORED_PLACEHOLDER
    assert again.key_remove_buttons["serper"].isEnabled()
    assert again.key_edits["tavily"].placeholderText() != STORED_PLACEHOLDER
    assert SECRET not in all_text(again)


def test_server_key_is_stored_as_openai(qtbot, memory_keyring):
    dialog = open_dialog(qtbot)
    dialog.key_edits["openai"].setText(SECRET)
    dialog.save()
    assert memory_keyring.store[(secrets.SERVICE, "openai")] == SECRET


def test_remove_deletes_the_stored_key(qtbot, memory_keyring):
    secrets.set_api_key("tavily", SECRET)
    dialog = open_dialog(qtbot)
    assert dialog.key_edits["tavily"].placeholderText() == STORED_PLACEHOLDER
    dialog.key_remove_buttons["tavily"].click()
    assert (secrets.SERVICE, "tavily") not in memory_keyring.store
    assert dialog.key_edits["tavily"].placeholderText() != STORED_PLACEHOLDER
    assert not dialog.key_remove_buttons["tavily"].isEnabled()
    assert "Removed the Tavily API key" in dialog.keys_note.text()
    assert SECRET not in all_text(dialog)


def test_without_a_keychain_the_key_fields_are_off_and_say_why(qtbot):
    with use_keyring(fail.Keyring()):
        dialog = open_dialog(qtbot)
    for edit in dialog.key_edits.values():
        assert not edit.isEnabled()
    for button in dialog.key_remove_buttons.values():
        assert not button.isEnabled()
    note = dialog.keys_note.text()
    assert "No system keychain is available, so API keys cannot be stored" in note
    assert "II_DESKTOP_SERPER_KEY" in note
    assert "II_DESKTOP_OPENAI_KEY" in dialog.server_key_note.text()


def test_a_keychain_that_refuses_the_key_is_a_message_not_a_crash(qtbot):
    with use_keyring(RefusingKeyring()):
        dialog = open_dialog(qtbot)
        dialog.key_edits["brave"].setText(SECRET)
        with qtbot.assertNotEmitted(dialog.saved):
            dialog.save()
    assert "refused to store the Brave Search API key" in dialog.message_label.text()
    assert dialog.tabs.currentWidget() is dialog.search_tab
    assert dialog.result() != SettingsDialog.DialogCode.Accepted
    assert not app_paths().settings_file.exists()
    assert SECRET not in dialog.message_label.text()


def test_a_key_with_spaces_is_refused_in_words(qtbot, memory_keyring):
    dialog = open_dialog(qtbot)
    dialog.key_edits["serper"].setText("two words")
    dialog.save()
    assert "contains spaces" in dialog.message_label.text()
    assert not memory_keyring.store


# --- network and server ------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("http://localhost:8080", "is not a host"),
        ("wiki internal", "is not a host"),
        ("localhost:http", "no valid port"),
        ("localhost:70000", "no valid port"),
    ],
)
def test_bad_allowed_hosts_are_refused(qtbot, entry, message):
    dialog = open_dialog(qtbot)
    dialog.hosts_edit.setPlainText(entry)
    dialog.save()
    assert message in dialog.message_label.text()
    assert dialog.tabs.currentWidget() is dialog.network_tab
    assert not app_paths().settings_file.exists()


def test_ipv6_allowed_hosts_are_kept(qtbot):
    dialog = open_dialog(qtbot)
    dialog.hosts_edit.setPlainText("[::1]:8080\n::1\n127.0.0.1:3000")
    hosts = dialog.result_settings().tools.allow_hosts
    assert hosts == ("[::1]:8080", "::1", "127.0.0.1:3000")


@pytest.mark.parametrize(
    ("enabled", "url", "name", "message"),
    [
        (True, "", "", "needs a URL and a model name"),
        (True, "http://localhost:8000/v1", "", "needs a URL and a model name"),
        (False, "localhost:8000/v1", "", "must start with http:// or https://"),
        (True, "http:///v1", "m", "needs a host"),
    ],
)
def test_invalid_server_settings_keep_the_dialog_open(qtbot, enabled, url, name, message):
    dialog = open_dialog(qtbot)
    dialog.server_check.setChecked(enabled)
    dialog.server_url_edit.setText(url)
    dialog.server_model_edit.setText(name)
    with qtbot.assertNotEmitted(dialog.saved):
        dialog.save_button.click()
    assert message in dialog.message_label.text()
    assert dialog.tabs.currentWidget() is dialog.server_tab
    assert dialog.result() != SettingsDialog.DialogCode.Accepted
    assert not app_paths().settings_file.exists()

    dialog.server_check.setChecked(False)
    dialog.server_url_edit.setText("")
    with qtbot.waitSignal(dialog.saved):
        dialog.save_button.click()
    assert dialog.message_label.text() == ""


def test_server_can_replace_the_local_model(qtbot):
    dialog = open_dialog(qtbot)
    dialog.server_check.setChecked(True)
    dialog.server_url_edit.setText(" https://llm.lan/v1 ")
    dialog.server_model_edit.setText("qwen3")
    with qtbot.waitSignal(dialog.saved) as saved:
        dialog.save()
    assert saved.args[0].server == ServerSettings(
        enabled=True, base_url="https://llm.lan/v1", model_name="qwen3"
    )


def test_an_unwritable_data_folder_is_a_message(qtbot, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    dialog = SettingsDialog(app_paths(blocker / "data"), Settings())
    qtbot.addWidget(dialog)
    with qtbot.assertNotEmitted(dialog.saved):
        dialog.save()
    assert "data folder" in dialog.message_label.text()


# --- the look ----------------------------------------------------------------------


def test_tabs_and_every_control_have_accessible_names(qtbot):
    dialog = open_dialog(qtbot)
    tabs = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert tabs == ["Model", "Sampling", "Search", "Network", "Server", "Window"]
    kinds = (
        QAbstractButton,
        QLineEdit,
        QAbstractSpinBox,
        QComboBox,
        QListWidget,
        QPlainTextEdit,
        QTabWidget,
    )
    unnamed = []
    for widget in dialog.findChildren(QWidget):
        if not isinstance(widget, kinds):
            continue
        parent = widget.parentWidget()
        if isinstance(parent, QAbstractSpinBox | QTabBar | QLineEdit):  # Qt's own parts
            continue
        if not widget.accessibleName():
            unnamed.append(f"{type(widget).__name__} {getattr(widget, 'text', lambda: '')()}")
    assert unnamed == []


def test_shown_dialog_renders(qtbot, tiny_model_dir):
    dialog = open_dialog(qtbot)
    dialog.set_model_folder(str(tiny_model_dir))
    dialog.show()
    qtbot.waitExposed(dialog)
    for i in range(dialog.tabs.count()):
        dialog.tabs.setCurrentIndex(i)
        assert not dialog.grab().isNull()
    assert dialog.width() >= 680


def test_saved_settings_file_is_what_load_reads(qtbot):
    save_settings(app_paths(), Settings(engine=EngineSettings(kv_bits=4)))
    dialog = open_dialog(qtbot, load_settings(app_paths()))
    assert dialog.kv_combo.currentText() == "4-bit"
    with qtbot.waitSignal(dialog.saved):
        dialog.save()
    assert load_settings(app_paths()).engine.kv_bits == 4

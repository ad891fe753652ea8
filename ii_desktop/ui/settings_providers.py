"""The Settings dialog's search providers and API keys.

``ProvidersAndKeys`` is a mixin of ``SettingsDialog``: the fallback chain of search
providers (which are on, in what order) and the API keys some of them and the model
server need. Keys go to the system keychain, never to the settings file, and a stored
key is never shown; a key is removed from the keychain at once, and one typed is stored
on Save.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidgetItem

from ii_desktop.core.errors import AppError
from ii_desktop.tools import secrets
from ii_desktop.ui.settings_checks import NO_KEYCHAIN_TEXT, SettingsProblem, key_is_stored

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QListWidget, QPushButton, QWidget

    _Base = QDialog
else:
    _Base = object

PROVIDER_LABELS = {
    "ddgs": "DuckDuckGo (no key needed)",
    "searxng": "SearXNG (your own instance)",
    "serper": "Serper (Google results; needs a key)",
    "tavily": "Tavily (needs a key)",
    "brave": "Brave Search (needs a key)",
    "local": "Your notebooks (pages you saved)",
}
SEARCH_KEYS = ("serper", "tavily", "brave")
SERVER_KEY = "openai"
STORED_PLACEHOLDER = "•••• stored in the keychain"


class ProvidersAndKeys(_Base):
    """The providers and keys of ``SettingsDialog``, which provides what is declared here."""

    if TYPE_CHECKING:
        provider_list: QListWidget
        up_button: QPushButton
        down_button: QPushButton
        providers_note: QLabel
        key_edits: dict[str, QLineEdit]
        key_remove_buttons: dict[str, QPushButton]
        keys_note: QLabel
        server_key_note: QLabel
        search_tab: QWidget
        server_tab: QWidget
        _keychain: bool

        def _restyle(self, widget: QWidget) -> None: ...

    # --- search providers ------------------------------------------------------------

    def provider_order(self) -> list[str]:
        """The checked providers, in the order they will be tried."""
        items = [self.provider_list.item(i) for i in range(self.provider_list.count())]
        return [
            item.data(Qt.ItemDataRole.UserRole)
            for item in items
            if item.checkState() == Qt.CheckState.Checked
        ]

    def set_provider_checked(self, name: str, checked: bool) -> None:
        """Check or uncheck a provider, as a click on its box would."""
        for i in range(self.provider_list.count()):
            item = self.provider_list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == name:
                state = Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
                item.setCheckState(state)
                return
        raise KeyError(name)

    def select_provider(self, name: str) -> None:
        for i in range(self.provider_list.count()):
            if self.provider_list.item(i).data(Qt.ItemDataRole.UserRole) == name:
                self.provider_list.setCurrentRow(i)
                return
        raise KeyError(name)

    def move_provider(self, step: int) -> None:
        """Move the selected provider up (-1) or down (+1) the fallback chain."""
        row = self.provider_list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.provider_list.count():
            return
        self.provider_list.blockSignals(True)
        item = self.provider_list.takeItem(row)
        self.provider_list.insertItem(target, item)
        self.provider_list.blockSignals(False)
        self.provider_list.setCurrentRow(target)
        self._update_move_buttons()

    def _update_move_buttons(self) -> None:
        row = self.provider_list.currentRow()
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < self.provider_list.count() - 1)

    def _provider_toggled(self, item: QListWidgetItem) -> None:
        if item.checkState() == Qt.CheckState.Checked or self.provider_order():
            self.providers_note.setObjectName("muted")
            self.providers_note.setText(
                "Checked providers are tried from the top; when one fails the next is used."
            )
        else:
            self.provider_list.blockSignals(True)
            item.setCheckState(Qt.CheckState.Checked)
            self.provider_list.blockSignals(False)
            self.providers_note.setObjectName("warn")
            self.providers_note.setText("At least one search provider must stay on.")
        self._restyle(self.providers_note)

    # --- API keys ----------------------------------------------------------------

    def _show_key_state(self, provider: str) -> None:
        edit = self.key_edits[provider]
        stored = self._keychain and key_is_stored(provider)
        from_env = bool(os.environ.get(secrets.env_var(provider), "").strip())
        if stored:
            edit.setPlaceholderText(STORED_PLACEHOLDER)
        elif from_env:
            edit.setPlaceholderText(f"Taken from {secrets.env_var(provider)}")
        elif self._keychain:
            edit.setPlaceholderText("Paste a key to store it")
        else:
            edit.setPlaceholderText("Cannot be stored here")
        self.key_remove_buttons[provider].setEnabled(stored)

    def _show_keys_note(self, text: str = "", role: str = "muted") -> None:
        notes = ((self.keys_note, SEARCH_KEYS), (self.server_key_note, (SERVER_KEY,)))
        for note, providers in notes:
            if not self._keychain:
                names = [secrets.env_var(p) for p in providers]
                names_text = " or ".join(
                    [", ".join(names[:-1]), names[-1]] if names[:-1] else names
                )
                note.setObjectName("warn")
                note.setText(NO_KEYCHAIN_TEXT.format(names=names_text))
            else:
                note.setObjectName(role)
                note.setText(
                    text or "Keys are kept in the system keychain, never in the settings file."
                )
            self._restyle(note)

    def remove_key(self, provider: str) -> None:
        """Delete a stored key from the keychain now."""
        label = secrets.KEYED_PROVIDERS[provider]
        try:
            removed = secrets.delete_api_key(provider)
        except AppError as exc:
            self._show_keys_note(exc.message, "error")
            return
        self.key_edits[provider].clear()
        self._show_key_state(provider)
        if removed:
            self._show_keys_note(f"Removed the {label} API key from the keychain.")
        else:
            self._show_keys_note(f"No {label} API key was stored.")

    def _store_keys(self) -> None:
        for provider, edit in self.key_edits.items():
            key = edit.text().strip()
            if not key:
                continue
            tab = self.server_tab if provider == SERVER_KEY else self.search_tab
            try:
                secrets.set_api_key(provider, key)
            except AppError as exc:
                raise SettingsProblem(exc.message, tab) from None
            edit.clear()
            self._show_key_state(provider)

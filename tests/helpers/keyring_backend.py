"""An in-memory keyring backend, so no test ever reads or writes the real keychain.

``use_keyring(MemoryKeyring())`` installs it (or keyring's fail backend, to play a
machine with no keychain) for the duration of a ``with`` block.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import keyring
from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    """Stores passwords in a dict. Only ``use_keyring`` installs it."""

    @properties.classproperty
    def priority(cls) -> float:
        # Defining a backend class registers it with keyring; a priority that raises makes
        # it "not viable", so keyring's own detection never picks it behind a test's back.
        raise RuntimeError("MemoryKeyring is installed explicitly with use_keyring()")

    def __str__(self) -> str:
        return "MemoryKeyring (tests)"

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.store[(service, username)]
        except KeyError:
            raise PasswordDeleteError("no such password") from None


@contextmanager
def use_keyring(backend: KeyringBackend) -> Iterator[KeyringBackend]:
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)

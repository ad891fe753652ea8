"""Fixtures shared by the search tests: fake provider servers, a client, the keychain."""

from __future__ import annotations

import httpx
import pytest

from ii_desktop.tools import secrets
from tests.helpers.fake_search_servers import KEYS, FakeProviders


@pytest.fixture
def keychain(memory_keyring):
    """The test's in-memory keychain (tests/conftest.py installs one for every test)."""
    return memory_keyring


@pytest.fixture
def stored_keys(keychain):
    """The keychain holding the key each keyed fake provider expects."""
    for name, key in KEYS.items():
        keychain.set_password(secrets.SERVICE, name, key)
    return keychain


@pytest.fixture
def fakes():
    servers = FakeProviders()
    yield servers
    servers.close()


@pytest.fixture
def http():
    with httpx.Client(trust_env=False) as client:
        yield client

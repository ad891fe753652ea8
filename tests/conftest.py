"""Test setup: Qt offscreen, a temporary data dir for every test, one tiny model."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from tests.helpers.keyring_backend import MemoryKeyring, use_keyring
from tests.helpers.models import tiny_model_dir  # noqa: F401  (fixture)


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """Every test gets its own data dir, through the environment variable the app reads."""
    path = tmp_path / "data"
    monkeypatch.setenv("II_DESKTOP_DATA_DIR", str(path))
    return path


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch):
    """No test touches the developer's real keychain, or sees keys from the environment."""
    for name in ("SERPER", "TAVILY", "BRAVE", "OPENAI"):
        monkeypatch.delenv(f"II_DESKTOP_{name}_KEY", raising=False)
    with use_keyring(MemoryKeyring()) as backend:
        yield backend

"""The notebook store each notebook test works on: a real SQLite file in its data dir."""

from __future__ import annotations

import pytest

from ii_desktop.core.settings import app_paths
from ii_desktop.notebooks import NotebookStore


@pytest.fixture
def store():
    with NotebookStore.open(app_paths().ensure()) as s:
        yield s

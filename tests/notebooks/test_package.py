"""The package's public names, and its place in the layers: no Qt, no mlx."""

from __future__ import annotations

import json
import subprocess
import sys

import ii_desktop.notebooks as notebooks


def test_public_names():
    assert sorted(notebooks.__all__) == notebooks.__all__
    for name in notebooks.__all__:
        assert getattr(notebooks, name) is not None


def test_importing_notebooks_and_their_command_loads_neither_qt_nor_mlx():
    code = (
        "import json, sys\n"
        "import ii_desktop.notebooks, ii_desktop.cli.notebook_cmd\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    heavy = [m for m in json.loads(result.stdout) if m.startswith(("PySide6", "mlx"))]
    assert heavy == []

"""Layer boundaries: the core and the CLI entry import neither Qt nor mlx.

Checked twice: at run time (what a fresh interpreter actually loads) and statically
(ruff's banned-api rule, TID251, as configured in pyproject.toml).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

LIGHT_MODULES = [
    "ii_desktop.core.events",
    "ii_desktop.core.settings",
    "ii_desktop.core.errors",
    "ii_desktop.engine.split",
    "ii_desktop.engine.memory",
    "ii_desktop.cli.main",
    "ii_desktop.agent.run",
    "ii_desktop.engine.replay",
    "ii_desktop.engine.openai_compat",
    "ii_desktop.tools.registry",
    "ii_desktop.notebooks",
    "ii_desktop.cli.notebook_cmd",
    "ii_desktop.cli.ask_cmd",
    "ii_desktop.research",
    "ii_desktop.research.citations",
]
HEAVY_PREFIXES = ("PySide6", "mlx")


def _ruff() -> str:
    beside = Path(sys.executable).with_name("ruff")
    if beside.is_file():
        return str(beside)
    found = shutil.which("ruff")
    if found is None:
        pytest.fail("ruff is not installed next to the interpreter nor on PATH")
    return found


def _loaded_modules(imports: list[str]) -> list[str]:
    code = (
        "import importlib, json, sys\n"
        f"for name in {imports!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_light_modules_load_no_qt_and_no_mlx():
    loaded = _loaded_modules(LIGHT_MODULES)
    assert set(LIGHT_MODULES) <= set(loaded)
    heavy = [m for m in loaded if m.startswith(HEAVY_PREFIXES)]
    assert heavy == [], f"importing the core pulled in {heavy}"


def test_the_check_sees_a_heavy_import():
    # Guard against the test above passing for the wrong reason.
    loaded = _loaded_modules(["ii_desktop.core.events", "mlx.core"])
    assert "mlx.core" in loaded


def _tid251(snippet: str, pretend_path: str) -> list[dict]:
    result = subprocess.run(
        [
            _ruff(),
            "check",
            "--no-cache",
            "--select",
            "TID251",
            "--output-format",
            "json",
            "--stdin-filename",
            pretend_path,
            "-",
        ],
        input=snippet,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    found = json.loads(result.stdout or "[]")
    return [d for d in found if d["code"] == "TID251"]


MLX_SNIPPET = "import mlx.core as mx\n\nprint(mx)\n"
MLX_LM_SNIPPET = "from mlx_lm import load\n\nprint(load)\n"
QT_SNIPPET = "from PySide6 import QtWidgets\n\nprint(QtWidgets)\n"


@pytest.mark.parametrize(
    ("snippet", "banned"),
    [(MLX_SNIPPET, "mlx"), (MLX_LM_SNIPPET, "mlx_lm"), (QT_SNIPPET, "PySide6")],
)
@pytest.mark.parametrize("where", ["ii_desktop/agent/x.py", "ii_desktop/core/x.py"])
def test_ruff_bans_heavy_imports_outside_their_layer(snippet, banned, where):
    hits = _tid251(snippet, where)
    assert len(hits) == 1, hits
    assert f"`{banned}` is banned" in hits[0]["message"]
    assert hits[0]["location"]["row"] == 1


def test_ruff_allows_mlx_in_engine():
    assert _tid251(MLX_SNIPPET, "ii_desktop/engine/x.py") == []
    assert _tid251(MLX_LM_SNIPPET, "ii_desktop/engine/x.py") == []


def test_ruff_allows_qt_in_ui():
    assert _tid251(QT_SNIPPET, "ii_desktop/ui/x.py") == []


def test_ruff_keeps_qt_out_of_the_engine_and_mlx_out_of_the_ui():
    assert [h["message"].split()[0] for h in _tid251(QT_SNIPPET, "ii_desktop/engine/x.py")] == [
        "`PySide6`"
    ]
    assert len(_tid251(MLX_SNIPPET, "ii_desktop/ui/x.py")) == 1
    assert len(_tid251(MLX_LM_SNIPPET, "ii_desktop/ui/x.py")) == 1

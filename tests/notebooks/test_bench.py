"""``ii-desktop bench notebooks`` at a small size: it builds, measures and reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys

COMMANDS = ("list_s", "search_common_s", "search_rare_s", "show_s", "export_html_s")


def test_bench_notebooks_reports_sizes_and_command_times(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ii_desktop",
            "bench",
            "notebooks",
            "--runs",
            "50",
            "--runs",
            "100",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "II_DESKTOP_DATA_DIR": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    small, large = result["sizes"]
    assert (small["runs"], large["runs"]) == (50, 100)
    assert large["notebooks"] == 2
    for row in (small, large):
        assert row["store_bytes"] > row["runs"] * 20_000  # each run keeps its 20 KB page
        assert all(0 < row[c] < 30 for c in (*COMMANDS, "startup_s", "follow_up_prompt_s"))
        # a command costs its start-up and a little more
        assert all(row[c] >= row["startup_s"] * 0.5 for c in COMMANDS)
    # storage grows linearly: the larger store costs no more per run
    assert large["bytes_per_run"] <= small["bytes_per_run"] * 1.05
    assert set(result["targets_met"]) == {
        "each command < 0.3 s at 100 runs",
        "bytes per run flat in N (within 10%)",
    }

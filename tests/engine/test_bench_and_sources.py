"""The engine benchmark command and model sources other than a plain folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.mlx

BENCH_KEYS = {
    "raw_tps",
    "app_tps",
    "ratio",
    "followup_prefill",
    "followup_question_tokens",
    "followup_ttft_s",
    "tool_round_prefill",
    "tool_response_tokens",
    "tool_round_ttft_s",
    "reopen_prefill",
    "reopen_question_tokens",
    "reopen_ttft_s",
    "reopen_cache_source",
    "peak_memory_bytes",
}


def _cli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "ii_desktop", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def test_bench_engine_prints_figures_and_meets_reuse_targets(tiny_model_dir, data_dir):
    done = _cli(
        "--data-dir",
        str(data_dir),
        "bench",
        "engine",
        "--model",
        str(tiny_model_dir),
        "--json",
        "--rounds",
        "1",
        "--tokens",
        "24",
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert BENCH_KEYS <= set(figures)
    assert figures["raw_tps"] > 0 and figures["app_tps"] > 0
    assert figures["reopen_cache_source"] == "disk"
    # prefill counts are exact, not timings: these hold on any machine
    assert figures["followup_prefill"] <= figures["followup_question_tokens"] + 8
    assert figures["tool_round_prefill"] <= figures["tool_response_tokens"] + 8
    assert figures["reopen_prefill"] <= figures["reopen_question_tokens"] + 8
    assert figures["followup_prefill_without_rewrite"] > figures["followup_prefill"]
    assert not (data_dir / "bench-kv-cache").exists()


def test_a_hugging_face_repo_id_in_the_local_cache_loads_without_network(tiny_model_dir, tmp_path):
    hub = tmp_path / "hub"
    repo = hub / "models--example--tiny-qwen3"
    snapshot = repo / "snapshots" / "0123456789abcdef"
    shutil.copytree(tiny_model_dir, snapshot)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123456789abcdef")
    env = {"HF_HUB_CACHE": str(hub), "HF_HUB_OFFLINE": "1"}

    found = _cli("model", "check", "example/tiny-qwen3", "--json", env=env)
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["path"] == str(snapshot)

    missing = _cli("model", "check", "example/not-here", env=env)
    assert missing.returncode == 1
    assert "local cache" in missing.stderr and "Traceback" not in missing.stderr

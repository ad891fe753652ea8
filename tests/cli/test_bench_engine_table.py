"""``ii-desktop bench engine`` without --json: readable tables from a real (small) run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from ii_desktop.cli.bench_cmd import ENGINE_TARGETS, engine_table
from ii_desktop.core.settings import AppPaths

pytestmark = pytest.mark.mlx

SMALLEST = ("--rounds", "1", "--tokens", "24")


@pytest.fixture(scope="module")
def result(tiny_model_dir, tmp_path_factory):
    """What the bench returns for its smallest options, run once for the module."""
    from ii_desktop.engine.bench import run_engine_bench

    paths = AppPaths(tmp_path_factory.mktemp("bench-data")).ensure()
    return run_engine_bench(str(tiny_model_dir), paths, rounds=1, tokens=24)


def test_no_raw_names_or_python_values_are_printed(result):
    text = engine_table(result)
    assert "{" not in text and "True" not in text and "False" not in text
    for key in result:  # every figure is named in words, none by its JSON key
        if "_" in key:
            assert key not in text, key
    assert not re.search(r"'\w+'", text), "no quoted Python strings"


def test_each_figure_has_its_unit_and_what_it_is_compared_with(result):
    lines = engine_table(result).splitlines()
    speed = next(line for line in lines if line.startswith("  plain mlx-lm "))
    assert f"{result['raw_tps']:,.1f} tokens/s" in speed
    app = next(line for line in lines if line.startswith("  the app "))
    assert f"{result['app_tps']:,.1f} tokens/s" in app
    follow = next(line for line in lines if line.startswith("  follow-up question "))
    assert f"{result['followup_prefill']:,} tokens" in follow
    assert f"the question is {result['followup_question_tokens']:,} tokens" in follow
    tool = next(line for line in lines if line.startswith("  tool round ") and "tokens" in line)
    assert f"the tool's response is {result['tool_response_tokens']:,} tokens" in tool
    ttft = [line for line in lines if line.rstrip().endswith(" ms") or " ms  " in line]
    assert len(ttft) == 6
    assert f"{result['followup_ttft_s'] * 1000:,.1f} ms" in "\n".join(ttft)
    assert f"{result['peak_memory_bytes'] / 1024**2:,.1f} MiB" in "\n".join(lines)


def test_the_ratio_is_explained_once_beside_the_other_way_to_take_it(result):
    text = engine_table(result)
    assert text.count("A speed ratio divides") == 1
    assert f"{result['ratio']:.3f}" in text
    assert f"gives {result['ratio_of_medians']:.3f}" in text


def test_figures_line_up_in_each_table(result):
    blocks = engine_table(result).split("\n\n")
    for block in blocks:
        rows = [line for line in block.splitlines()[1:] if re.search(r"\d (tokens/s|ms)\b", line)]
        ends = {re.search(r"\d (tokens/s|tokens|ms)", line).end() for line in rows}
        assert len(ends) <= 1, block


def test_targets_are_met_or_missed_lines(result):
    lines = engine_table(result).splitlines()
    targets = lines[lines.index("Targets") + 1 :]
    assert len(targets) == len(result["targets_met"]) == len(ENGINE_TARGETS)
    for line, met in zip(targets, result["targets_met"].values(), strict=True):
        assert line.split()[0] == ("met" if met else "missed"), line

    missed = {**result, "targets_met": dict.fromkeys(result["targets_met"], False)}
    lines = engine_table(missed).splitlines()
    targets = lines[lines.index("Targets") + 1 :]
    assert all(line.split()[0] == "missed" for line in targets)
    assert "prefills at most its question + 8" in "\n".join(targets)


def test_the_command_prints_the_table_and_json_stays_as_it_was(tiny_model_dir, data_dir):
    env = {**os.environ}
    base = [sys.executable, "-m", "ii_desktop", "--data-dir", str(data_dir), "bench", "engine"]
    args = [*base, "--model", str(tiny_model_dir), *SMALLEST]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Engine benchmark on ")
    assert "\nTargets\n" in done.stdout and "ratio_of_medians" not in done.stdout
    with pytest.raises(json.JSONDecodeError):
        json.loads(done.stdout)

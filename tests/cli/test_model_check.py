"""``ii-desktop model check`` as printed: an aligned table, every part of the memory named."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from ii_desktop.cli.main import main
from ii_desktop.cli.model_cmd import check_table
from ii_desktop.engine import memory
from ii_desktop.engine.model_files import inspect_model

ROWS = ("weights", "KV cache", "app and runtime overhead", "total", "usable on this machine")
SIZE = re.compile(r"(\d+\.\d+) (KiB|MiB|GiB)")
UNIT = {"KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}


def check(capsys, *args: str) -> list[str]:
    assert main(["model", "check", *args]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out.rstrip("\n").splitlines()


def table_rows(lines: list[str]) -> dict[str, str]:
    found = {}
    for line in lines:
        for name in ROWS:
            if line.startswith(f"  {name} "):
                found[name] = line
    assert set(found) == set(ROWS), lines
    return found


def size_of(line: str) -> tuple[float, int]:
    """The size in a row, in bytes, and the column where it ends."""
    m = SIZE.search(line)
    assert m, line
    return float(m.group(1)) * UNIT[m.group(2)], m.end()


def test_an_unquantized_model_prints_an_aligned_table(capsys, tiny_model_dir):
    lines = check(capsys, str(tiny_model_dir))
    text = "\n".join(lines)
    assert "none bits" not in text and "None" not in text
    assert lines[0] == f"{tiny_model_dir.name}: qwen3 model"
    rows = table_rows(lines)
    assert "float32, not quantized" in rows["weights"]
    assert "40,960 tokens, float32, not quantized" in rows["KV cache"]
    # every size ends in the same column, and so does every label's padding
    ends = {size_of(line)[1] for line in rows.values()}
    assert len(ends) == 1, rows
    (end,) = ends
    for line in rows.values():  # the description column starts two spaces after the sizes
        assert line[end : end + 2] == "  " and line[end + 2] != " ", line


def test_the_overhead_is_its_own_row_and_the_total_adds_up(capsys, tiny_model_dir):
    rows = table_rows(check(capsys, str(tiny_model_dir), "--kv-bits", "8"))
    overhead, _ = size_of(rows["app and runtime overhead"])
    assert overhead == memory.APP_OVERHEAD_BYTES
    parts = sum(size_of(rows[name])[0] for name in ("weights", "KV cache"))
    total, _ = size_of(rows["total"])
    assert abs(total - (parts + overhead)) < 0.01 * memory.GIB
    assert "8-bit quantized" in rows["KV cache"]


def test_a_small_model_on_a_big_machine_is_bound_by_its_own_limit(capsys, tiny_model_dir):
    lines = check(capsys, str(tiny_model_dir))
    at = next(i for i, line in enumerate(lines) if line.startswith("  longest context"))
    assert lines[at] == "  longest context that fits this machine: 40,960 tokens"
    assert "the model's own limit" in lines[at + 1]
    fit = memory.context_fit(
        json.loads((tiny_model_dir / "config.json").read_text()),
        None,
        False,
        folder=tiny_model_dir,
    )
    assert fit.memory_tokens > 40960
    assert f"this machine's memory would hold {fit.memory_tokens:,}" in lines[at + 1]


@pytest.fixture
def kv_hungry_model(tiny_model_dir, tmp_path):
    """The tiny model with a config whose KV cache fills this machine at about 10,000 tokens."""
    folder = tmp_path / "kv-hungry"
    shutil.copytree(tiny_model_dir, folder)
    config = json.loads((folder / "config.json").read_text())
    per_head = config["num_hidden_layers"] * config["head_dim"] * 2 * 4  # float32 keys and values
    heads = max(1, memory.usable_memory_bytes() // (10_000 * per_head))
    config["num_key_value_heads"] = config["num_attention_heads"] = heads
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def test_the_longest_context_comes_from_this_machines_memory(capsys, kv_hungry_model):
    lines = check(capsys, str(kv_hungry_model))
    config = json.loads((kv_hungry_model / "config.json").read_text())
    fit = memory.context_fit(config, None, False, folder=kv_hungry_model)
    assert 0 < fit.tokens < 40960 and not fit.bound_by_model
    at = next(i for i, line in enumerate(lines) if line.startswith("  longest context"))
    assert lines[at].endswith(f": {fit.tokens:,} tokens")
    assert lines[at + 1] == "  (set by this machine's memory; the model allows 40,960)"
    # the estimate at that context fits usable memory; one more step does not
    usable = memory.usable_memory_bytes()
    assert memory.estimate(config, fit.tokens, None, kv_hungry_model).total <= usable
    assert memory.estimate(config, fit.tokens + 1024, None, kv_hungry_model).total > usable
    assert "more than this machine can give" in table_rows(lines)["total"]


def test_a_machine_too_small_for_the_weights_says_so(tiny_model_dir):
    folder = inspect_model(str(tiny_model_dir))
    small = memory.GIB  # three quarters of it cannot hold the 1 GiB overhead
    fit = memory.context_fit(folder.config, None, False, memory_bytes=small, folder=folder.path)
    est = memory.estimate(folder.config, 4096, None, folder.path)
    text = check_table(folder, est, 4096, None, fit, small)
    assert fit.tokens == 0 and not fit.weights_fit
    assert "none" in text and "cannot hold the weights" in text
    assert "more than this machine can give" in text

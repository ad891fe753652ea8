"""Quantizing the tiny model for real, then loading and generating with the app's engine."""

from __future__ import annotations

import json
from collections import namedtuple

import pytest

from ii_desktop.cli.main import main
from ii_desktop.core.errors import UsageError
from ii_desktop.engine.tiny_model import TinyModelSpec, model_config
from ii_desktop.models import quantize as qz
from ii_desktop.models.info import model_info
from ii_desktop.models.quantize import QuantizeError, quantize_model
from tests.helpers.engine import run, start_engine, user

pytestmark = pytest.mark.mlx


def test_the_tiny_model_divides_into_groups_of_64():
    config = model_config(TinyModelSpec(), {"<|endoftext|>": 0, "<|im_end|>": 1})
    for key in ("hidden_size", "intermediate_size", "head_dim"):
        assert config[key] % 64 == 0, key


@pytest.mark.parametrize("bits", [4, 8])
def test_quantize_then_load_and_generate(tiny_model_dir, tmp_path, bits):
    stages = []
    out = quantize_model(
        str(tiny_model_dir), tmp_path / f"q{bits}", bits, 64, progress=stages.append
    )
    assert [s.stage for s in stages] == ["checking", "converting", "verifying", "done"]
    config = json.loads((out / "config.json").read_text())
    assert config["quantization"]["bits"] == bits
    assert config["quantization"]["group_size"] == 64
    info = model_info(str(out))
    assert info.parameters == model_info(str(tiny_model_dir)).parameters
    assert info.size_bytes < model_info(str(tiny_model_dir)).size_bytes
    assert info.tool_calling and info.thinking  # the template came along
    engine = start_engine(out)
    try:
        handle, _ = run(engine, "q", [user("Tell me about rivers.")], max_tokens=5)
        assert handle.stats.generated_tokens == 5
        assert handle.final.finish_reason == "length"
    finally:
        engine.close()


def test_an_existing_destination_is_refused(tiny_model_dir, tmp_path):
    (tmp_path / "there").mkdir()
    with pytest.raises(UsageError, match="already exists"):
        quantize_model(str(tiny_model_dir), tmp_path / "there", 4)


def test_a_full_disk_refuses_and_leaves_nothing(tiny_model_dir, tmp_path, monkeypatch):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(qz.shutil, "disk_usage", lambda path: usage(10**9, 10**9, 100))
    with pytest.raises(QuantizeError, match="Not enough disk space"):
        quantize_model(str(tiny_model_dir), tmp_path / "q", 4)
    assert not (tmp_path / "q").exists()


def test_the_copy_is_written_aside_and_appears_whole_or_not_at_all(
    tiny_model_dir, tmp_path, monkeypatch
):
    dest = tmp_path / "q4"
    stale = tmp_path / ".q4.partial"  # what a try cut off by quitting left
    stale.mkdir()
    (stale / "model.safetensors").write_bytes(b"half a file")
    seen: list[bool] = []
    real = qz._convert

    def watched(src, out, bits, group_size):
        seen.append(dest.exists())
        assert not out.exists(), "the stale partial copy was cleared first"
        real(src, out, bits, group_size)

    monkeypatch.setattr(qz, "_convert", watched)
    assert quantize_model(str(tiny_model_dir), dest, 4, verify_load=False) == dest
    assert seen == [False] and not stale.exists()
    assert model_info(str(dest)).quantization == {"bits": 4, "group_size": 64}

    # stopped after converting: nothing in DEST, nothing left aside
    import threading

    stop = threading.Event()

    def then_stop(src, out, bits, group_size):
        real(src, out, bits, group_size)
        stop.set()

    monkeypatch.setattr(qz, "_convert", then_stop)
    other = tmp_path / "q8"
    with pytest.raises(qz.QuantizeCancelled):
        quantize_model(str(tiny_model_dir), other, 8, cancel=stop, verify_load=False)
    assert not other.exists() and not (tmp_path / ".q8.partial").exists()


def test_an_already_quantized_model_is_refused(tiny_model_dir, tmp_path):
    out = quantize_model(str(tiny_model_dir), tmp_path / "q4", 4, verify_load=False)
    with pytest.raises(QuantizeError, match="already quantized"):
        quantize_model(str(out), tmp_path / "q4-again", 4)


def test_cli_quantize_prints_stages(tiny_model_dir, tmp_path, capsys):
    dest = tmp_path / "q8"
    assert main(["model", "quantize", str(tiny_model_dir), "--bits", "8", "-o", str(dest)]) == 0
    out, err = capsys.readouterr()
    assert "[1/4]" in err and "[4/4]" in err and str(dest) in out
    assert "[INFO]" not in out + err  # the converter's own lines stay out of ours
    assert main(["model", "quantize", str(tiny_model_dir), "--bits", "8", "-o", str(dest)]) == 2
    assert "already exists" in capsys.readouterr().err

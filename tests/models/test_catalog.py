"""``model list``, ``info``, ``default`` and ``remove`` on real folders."""

from __future__ import annotations

import json
import shutil

import pytest

from ii_desktop.cli.main import main
from ii_desktop.core.settings import app_paths, load_settings
from ii_desktop.engine import memory
from ii_desktop.models.catalog import hf_cache_models, list_models, lmstudio_models
from ii_desktop.models.info import model_info, template_features

COMMIT = "a" * 40


@pytest.fixture
def places(tmp_path, monkeypatch, tiny_model_dir, data_dir):
    """A model in the app's folder, one in a Hugging Face cache, one in LM Studio's."""
    models = data_dir / "models"
    shutil.copytree(tiny_model_dir, models / "tiny")
    cache = tmp_path / "hf"
    snap = cache / "models--acme--cached" / "snapshots" / COMMIT
    shutil.copytree(tiny_model_dir, snap)
    (cache / "models--acme--cached" / "refs").mkdir()
    (cache / "models--acme--cached" / "refs" / "main").write_text(COMMIT)
    (cache / "models--acme--cached" / "blobs").mkdir()
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    home = tmp_path / "home"
    lm = home / ".lmstudio" / "models" / "pub" / "plain-4bit"
    lm.mkdir(parents=True)
    config = {"model_type": "llama", "quantization": {"bits": 4, "group_size": 32}}
    (lm / "config.json").write_text(json.dumps(config))
    (lm / "tokenizer_config.json").write_text(
        json.dumps({"chat_template": "{% for m in messages %}{{ m.content }}{% endfor %}"})
    )
    monkeypatch.setenv("HOME", str(home))
    return models


def test_list_finds_every_place(places, capsys):
    assert main(["model", "list", "--json"]) == 0
    entries = {e["name"]: e for e in json.loads(capsys.readouterr().out)}
    assert set(entries) == {"tiny", "acme/cached", "pub/plain-4bit"}
    tiny, cached, lm = entries["tiny"], entries["acme/cached"], entries["pub/plain-4bit"]
    assert (tiny["source"], cached["source"], lm["source"]) == ("app", "huggingface", "lmstudio")
    assert tiny["architecture"] == "qwen3" and tiny["quantization"] is None
    assert tiny["tool_calling"] is True and tiny["thinking"] is True
    assert lm["quantization"] == {"bits": 4, "group_size": 32}
    assert lm["tool_calling"] is False and lm["thinking"] is False
    assert tiny["size_bytes"] > 1_000_000 and cached["size_bytes"] > 1_000_000
    assert not any(e["is_default"] for e in entries.values())


def test_default_is_saved_marked_and_used(places, capsys, data_dir):
    assert main(["model", "default", "tiny"]) == 0
    saved = load_settings(app_paths(data_dir)).engine.model_path
    assert saved == str((places / "tiny").resolve())
    assert main(["model", "list"]) == 0
    out = capsys.readouterr().out
    (row,) = [line for line in out.splitlines() if line.startswith("*")]
    assert " tiny " in row and " not quantized " in row  # the same words as model info
    assert main(["model", "info", "--json"]) == 0  # no folder given: the default
    assert json.loads(capsys.readouterr().out)["path"] == saved
    # a cached repo is saved by its id, which the engine resolves from the cache
    assert main(["model", "default", "acme/cached"]) == 0
    assert load_settings(app_paths(data_dir)).engine.model_path == "acme/cached"
    marked = [e.name for e in list_models(places, "acme/cached") if e.is_default]
    assert marked == ["acme/cached"]


def test_default_refuses_a_broken_folder(places, capsys, tmp_path, data_dir):
    broken = tmp_path / "broken"
    shutil.copytree(places / "tiny", broken)
    (broken / "model.safetensors").unlink()
    assert main(["model", "default", str(broken)]) == 1
    assert "no .safetensors weights" in capsys.readouterr().err
    assert load_settings(app_paths(data_dir)).engine.model_path is None


def test_remove_only_inside_the_models_folder(places, capsys, tmp_path, data_dir):
    outside = tmp_path / "elsewhere"
    shutil.copytree(places / "tiny", outside)
    assert main(["model", "remove", str(outside)]) == 2
    assert "Only models in the app's models folder" in capsys.readouterr().err
    assert outside.is_dir()
    assert main(["model", "remove", "../../elsewhere"]) == 2
    assert outside.is_dir()
    assert main(["model", "default", "tiny"]) == 0
    capsys.readouterr()
    # in a terminal it asks first, and anything but yes keeps the model
    answers = iter(["\n", "y\n"])

    class Terminal:
        def isatty(self) -> bool:
            return True

        def readline(self) -> str:
            return next(answers)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.stdin", Terminal())
        assert main(["model", "remove", "tiny"]) == 0
        assert "Remove tiny (" in capsys.readouterr().out and (places / "tiny").is_dir()
        assert main(["model", "remove", "tiny"]) == 0
    assert not (places / "tiny").exists()
    shutil.copytree(outside, places / "tiny")  # back again, removed without asking
    assert main(["model", "remove", "tiny", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "Removed tiny (" in out and "MiB freed" in out and "was the default" in out
    assert not (places / "tiny").exists()
    assert load_settings(app_paths(data_dir)).engine.model_path is None


def test_info_reports_the_folder(tiny_model_dir, capsys):
    assert main(["model", "info", str(tiny_model_dir), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    config = json.loads((tiny_model_dir / "config.json").read_text())
    assert report["architecture"] == "qwen3"
    assert report["quantization"] is None
    assert report["parameters"] == memory.parameter_count(config)
    assert report["context_length"] == 40960
    assert report["tool_calling"] is True and report["thinking"] is True
    sizes = sum(f.stat().st_size for f in tiny_model_dir.iterdir())
    assert report["size_bytes"] == sizes
    contexts = {(m["context_length"], m["kv_bits"]) for m in report["memory"]}
    assert {(8192, None), (32768, None), (40960, None), (131072, 8)} <= contexts
    # the memory figures are the same estimate `model check` prints
    assert main(["model", "check", str(tiny_model_dir), "--json"]) == 0
    check = json.loads(capsys.readouterr().out)
    at_limit = [m for m in report["memory"] if m["context_length"] == 40960 and not m["kv_bits"]]
    assert at_limit[0]["total_bytes"] == check["total_bytes"]


def test_info_of_an_invalid_folder_is_a_clear_error(tmp_path, capsys, tiny_model_dir):
    assert main(["model", "info", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ii-desktop: ") and "no config.json" in err and err.count("\n") == 1
    notemplate = tmp_path / "nt"
    shutil.copytree(tiny_model_dir, notemplate)
    (notemplate / "chat_template.jinja").unlink()
    assert template_features(notemplate) is None
    with pytest.raises(Exception, match="no chat template"):
        model_info(str(notemplate))


def test_missing_places_list_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "none"))
    assert hf_cache_models() == []
    assert lmstudio_models([tmp_path / "none"]) == []


@pytest.mark.mlx
def test_generate_uses_the_default_model_without_model_flag(tiny_model_dir, capsys):
    assert main(["generate", "hi", "--max-tokens", "3"]) == 2
    assert "model default" in capsys.readouterr().err
    assert main(["model", "default", str(tiny_model_dir)]) == 0
    capsys.readouterr()
    assert main(["generate", "hi", "--max-tokens", "3", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines and lines[-1]["type"] == "generation_done"

"""The command line, in-process through ``main()`` and as a real ``python -m ii_desktop``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ii_desktop import __version__
from ii_desktop.cli.main import main
from ii_desktop.core.events import GenerationDone, GenerationStats, event_from_json

CHECK_KEYS = {
    "path",
    "model_type",
    "quantization",
    "fingerprint",
    "context_length",
    "kv_bits",
    "weights_bytes",
    "kv_cache_bytes",
    "total_bytes",
    "kv_bytes_per_token",
    "machine_memory_bytes",
    "largest_context_that_fits",
}


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ii_desktop", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )


def run_main(capsys, *args: str) -> tuple[int, str, str]:
    """Run ``main`` in-process; argparse's own exits count as return codes."""
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(err: str, *fragments: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("ii-desktop: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], err


@pytest.fixture
def model_copy(tiny_model_dir, tmp_path):
    """A private copy of the tiny model that a test may damage."""
    return shutil.copytree(tiny_model_dir, tmp_path / "copy")


# --- version, help, usage ------------------------------------------------------------


def test_version_in_process(capsys):
    code, out, _ = run_main(capsys, "--version")
    assert code == 0
    assert out.strip() == f"ii-desktop {__version__}"


def test_version_as_subprocess():
    result = cli("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"ii-desktop {__version__}"


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        ([], ["model", "generate", "bench", "dev", "--data-dir"]),
        (["model", "check"], ["--json", "--kv-bits", "--long-context"]),
        (["generate"], ["--model", "--conversation", "--max-tokens", "--json", "prompt"]),
        (["bench", "engine"], ["--model", "--rounds", "--tokens"]),
        (["dev", "tiny-model"], ["--hidden", "--layers", "--seed"]),
    ],
    ids=["top", "model-check", "generate", "bench-engine", "dev-tiny-model"],
)
def test_help_exits_zero(capsys, args, expect):
    code, out, err = run_main(capsys, *args, "--help")
    assert code == 0, err
    assert out.startswith("usage: ii-desktop")
    for word in expect:
        assert word in out


@pytest.mark.parametrize(
    "args",
    [
        ["no-such-command"],
        ["generate"],  # the prompt is required
        ["model"],  # an action is required
        ["model", "check", "x", "--kv-bits", "3"],
        ["generate", "hi", "--max-tokens", "many"],
        ["dev", "tiny-model"],
        ["--no-such-option"],
    ],
)
def test_usage_errors_exit_2(capsys, args):
    code, _, err = run_main(capsys, *args)
    assert code == 2
    assert "usage:" in err
    assert "Traceback" not in err


def test_usage_error_as_subprocess():
    result = cli("model", "check")
    assert result.returncode == 2
    assert "usage:" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.mlx
def test_generate_without_a_model_is_a_usage_error(capsys):
    code, out, err = run_main(capsys, "generate", "hello")
    assert code == 2
    assert_one_line_error(err, "No model chosen", "--model")
    assert out == ""


# --- model check ---------------------------------------------------------------------


def test_check_missing_folder_in_process(capsys, tmp_path):
    missing = tmp_path / "no-such-model"
    code, out, err = run_main(capsys, "model", "check", str(missing))
    assert code == 1
    assert out == ""
    assert_one_line_error(err, "not found", str(missing))


def test_check_missing_folder_as_subprocess(tmp_path):
    missing = tmp_path / "no-such-model"
    result = cli("model", "check", str(missing))
    assert result.returncode == 1
    assert result.stdout == ""
    assert_one_line_error(result.stderr, "not found", str(missing))


def test_check_a_file_instead_of_a_folder(capsys, tiny_model_dir):
    code, _, err = run_main(capsys, "model", "check", str(tiny_model_dir / "config.json"))
    assert code == 1
    assert_one_line_error(err, "is a file")


def test_check_folder_without_config(capsys, model_copy):
    (model_copy / "config.json").unlink()
    code, _, err = run_main(capsys, "model", "check", str(model_copy))
    assert code == 1
    assert_one_line_error(err, "no config.json")


def test_check_config_that_is_not_json(capsys, model_copy):
    (model_copy / "config.json").write_text("{oops")
    code, _, err = run_main(capsys, "model", "check", str(model_copy))
    assert code == 1
    assert_one_line_error(err, "not valid JSON")


def test_check_other_architecture(capsys, model_copy):
    config = json.loads((model_copy / "config.json").read_text())
    config["model_type"] = "llama"
    (model_copy / "config.json").write_text(json.dumps(config))
    code, _, err = run_main(capsys, "model", "check", str(model_copy))
    assert code == 1
    assert_one_line_error(err, "llama", "Qwen3")


def test_check_folder_without_weights(capsys, model_copy):
    (model_copy / "model.safetensors").unlink()
    code, _, err = run_main(capsys, "model", "check", str(model_copy))
    assert code == 1
    assert_one_line_error(err, "no .safetensors weights")


@pytest.mark.parametrize("keep", [0.5, 0.99], ids=["half", "last-bytes-missing"])
def test_check_truncated_weights(capsys, model_copy, keep):
    weights = model_copy / "model.safetensors"
    size = weights.stat().st_size
    with weights.open("r+b") as fh:
        fh.truncate(int(size * keep))
    code, _, err = run_main(capsys, "model", "check", str(model_copy))
    assert code == 1
    assert_one_line_error(err, "model.safetensors", "truncated", f"needs {size:,}")


@pytest.mark.parametrize("keep", [0, 4], ids=["empty", "four-bytes"])
def test_check_nearly_empty_weights(capsys, model_copy, keep):
    weights = model_copy / "model.safetensors"
    with weights.open("r+b") as fh:
        fh.truncate(keep)
    code, _, err = run_main(capsys, "model", "check", str(model_copy))
    assert code == 1
    assert_one_line_error(err, "model.safetensors", "truncated")


def test_check_json_on_the_tiny_model(capsys, tiny_model_dir):
    code, out, err = run_main(capsys, "model", "check", str(tiny_model_dir), "--json")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 1
    report = json.loads(lines[0])
    assert set(report) == CHECK_KEYS
    config = json.loads((tiny_model_dir / "config.json").read_text())
    weights = (tiny_model_dir / "model.safetensors").stat().st_size
    per_token = (
        config["num_hidden_layers"] * config["num_key_value_heads"] * config["head_dim"] * 2 * 4
    )  # keys and values, float32
    assert report["path"] == str(tiny_model_dir.resolve())
    assert report["model_type"] == "qwen3"
    assert report["kv_bits"] is None
    assert report["context_length"] == config["max_position_embeddings"]
    assert report["weights_bytes"] == weights
    assert report["kv_bytes_per_token"] == per_token
    assert report["kv_cache_bytes"] == per_token * report["context_length"]
    assert report["total_bytes"] > report["weights_bytes"] + report["kv_cache_bytes"]
    assert report["machine_memory_bytes"] > 0
    assert report["largest_context_that_fits"] > 0
    assert report["largest_context_that_fits"] % 1024 == 0
    assert len(report["fingerprint"]) == 32


def test_check_json_options(capsys, tiny_model_dir):
    args = ["model", "check", str(tiny_model_dir), "--json"]
    _, out, _ = run_main(capsys, *args, "--kv-bits", "8", "--context-length", "4096")
    small = json.loads(out)
    assert small["kv_bits"] == 8
    assert small["context_length"] == 4096
    assert small["kv_cache_bytes"] == int(small["kv_bytes_per_token"] * 4096)
    _, out, _ = run_main(capsys, *args, "--context-length", "10000000")
    assert json.loads(out)["context_length"] == 40960, "clamped to the model's limit"
    _, out, _ = run_main(capsys, *args, "--long-context")
    assert json.loads(out)["context_length"] == 131072


def test_check_fingerprint_changes_with_the_weights(capsys, tiny_model_dir, model_copy):
    _, out, _ = run_main(capsys, "model", "check", str(tiny_model_dir), "--json")
    original = json.loads(out)["fingerprint"]
    _, out, _ = run_main(capsys, "model", "check", str(model_copy), "--json")
    assert json.loads(out)["fingerprint"] == original, "same files, same fingerprint"
    with (model_copy / "model.safetensors").open("ab") as fh:
        fh.write(b"\0" * 16)
    _, out, _ = run_main(capsys, "model", "check", str(model_copy), "--json")
    assert json.loads(out)["fingerprint"] != original


def test_check_human_output(capsys, tiny_model_dir):
    code, out, _ = run_main(capsys, "model", "check", str(tiny_model_dir))
    assert code == 0
    assert out.startswith(f"{tiny_model_dir.name}: qwen3")
    assert "weights" in out
    assert "longest context that fits this machine" in out


# --- dev tiny-model ------------------------------------------------------------------


def test_tiny_model_is_created(capsys, tmp_path):
    target = tmp_path / "new-tiny"
    code, out, err = run_main(capsys, "dev", "tiny-model", str(target), "--layers", "1")
    assert code == 0, err
    assert str(target) in out
    for name in ("config.json", "model.safetensors", "tokenizer.json", "chat_template.jinja"):
        assert (target / name).is_file(), name
    config = json.loads((target / "config.json").read_text())
    assert config["model_type"] == "qwen3"
    assert config["num_hidden_layers"] == 1
    # What it built passes the model check.
    code, out, _ = run_main(capsys, "model", "check", str(target), "--json")
    assert code == 0
    assert json.loads(out)["model_type"] == "qwen3"


def test_tiny_model_refuses_a_non_empty_folder(capsys, tmp_path):
    target = tmp_path / "busy"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    code, _, err = run_main(capsys, "dev", "tiny-model", str(target))
    assert code == 2
    assert_one_line_error(err, "not empty")
    assert sorted(p.name for p in target.iterdir()) == ["keep.txt"]
    assert (target / "keep.txt").read_text() == "mine"


@pytest.mark.parametrize(
    ("option", "value"), [("--hidden", "100"), ("--hidden", "0"), ("--layers", "0")]
)
def test_tiny_model_bad_size_is_a_usage_error(capsys, tmp_path, option, value):
    target = tmp_path / "t"
    code, _, err = run_main(capsys, "dev", "tiny-model", str(target), option, value)
    assert code == 2
    assert_one_line_error(err, option)
    assert not target.exists() or not any(target.iterdir())


# --- generate ------------------------------------------------------------------------


@pytest.mark.mlx
def test_generate_json_as_subprocess_with_env_data_dir(tiny_model_dir, tmp_path):
    data = tmp_path / "env-data"
    result = cli(
        "generate",
        "--model",
        str(tiny_model_dir),
        "hello",
        "--json",
        "--max-tokens",
        "5",
        "--seed",
        "1",
        "--conversation",
        "c1",
        env={"II_DESKTOP_DATA_DIR": str(data)},
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stdout.strip().splitlines()
    events = [event_from_json(line) for line in lines]  # every line is one event
    assert [json.loads(line)["type"] for line in lines] == [e.type for e in events]
    assert isinstance(events[-1], GenerationDone)
    assert events[-1].finish_reason in ("stop", "length")
    stats = [e for e in events if isinstance(e, GenerationStats)]
    assert len(stats) == 1
    assert 1 <= stats[0].generated_tokens <= 5
    assert stats[0].conversation_id == "c1"
    assert stats[0].prompt_tokens == stats[0].reused_tokens + stats[0].prefilled_tokens
    assert len({e.request_id for e in events}) == 1
    saved = list((data / "kv-cache").glob("*.safetensors"))
    assert len(saved) == 1, "the conversation's KV cache is saved under DATA/kv-cache"


@pytest.mark.mlx
def test_generate_honours_data_dir_option_over_environment(
    capsys, tiny_model_dir, tmp_path, data_dir
):
    explicit = tmp_path / "explicit-data"
    code, _, err = run_main(
        capsys,
        "--data-dir",
        str(explicit),
        "generate",
        "--model",
        str(tiny_model_dir),
        "hello",
        "--max-tokens",
        "3",
        "--seed",
        "1",
        "--conversation",
        "c1",
    )
    assert code == 0, err
    assert "prompt tokens" in err
    assert len(list((explicit / "kv-cache").glob("*.safetensors"))) == 1
    assert not (data_dir / "kv-cache").exists(), "the environment's data dir was not used"


@pytest.mark.mlx
def test_generate_without_conversation_saves_no_cache(capsys, tiny_model_dir, data_dir):
    code, _, err = run_main(
        capsys, "generate", "--model", str(tiny_model_dir), "hi", "--max-tokens", "2", "--json"
    )
    assert code == 0, err
    assert not list(data_dir.glob("kv-cache/*.safetensors"))


@pytest.mark.mlx
def test_generate_with_missing_model_exits_1(capsys, tmp_path):
    code, _, err = run_main(capsys, "generate", "--model", str(tmp_path / "nope"), "hi")
    assert code == 1
    assert_one_line_error(err, "not found")


@pytest.mark.mlx
def test_a_context_longer_than_the_mode_allows_is_named_with_the_fix(capsys, tiny_model_dir):
    code, _, err = run_main(
        capsys,
        "generate",
        "--model",
        str(tiny_model_dir),
        "hi",
        "--max-tokens",
        "2",
        "--context-length",
        "100000",
    )
    assert code == 0, err
    note = next(line for line in err.splitlines() if line.startswith("ii-desktop: note:"))
    assert "100,000" in note and "40,960" in note and "long-context" in note


@pytest.mark.parametrize(
    ("argv", "window"),
    [
        ([], True),
        (["gui"], True),
        (["-v", "--data-dir", "/tmp/x", "gui"], True),
        (["--data-dir=/tmp/x"], True),
        (["--help"], False),
        (["--version"], False),
        (["ask", "q"], False),
        (["gui", "--help"], False),
        (["--data-dir", "gui", "ask"], False),  # "gui" here is the folder
    ],
)
def test_which_command_lines_only_open_the_window(argv, window):
    from ii_desktop.cli.main import opens_window

    assert opens_window(argv) is window


def test_the_window_starts_without_the_research_stack():
    """What the first paint needs only: the engine, tools, HTTP client, keychain and page
    readers load after the window shows (the launch-time target depends on it)."""
    code = (
        "import sys\n"
        "from ii_desktop.cli.main import build_parser\n"
        "build_parser(commands_too=False)\n"
        "import ii_desktop.ui.app, ii_desktop.ui.first_run\n"
        "heavy = ['httpx', 'keyring', 'mlx', 'mlx_lm', 'readability', 'trafilatura',\n"
        "         'ii_desktop.research.session', 'ii_desktop.agent.run',\n"
        "         'ii_desktop.cli.ask_cmd']\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_two_crashes_in_one_second_keep_both_logs(tmp_path):
    import argparse

    from ii_desktop.cli.main import _log_crash

    args = argparse.Namespace(data_dir=str(tmp_path))
    written = []
    for message in ("first failure", "second failure"):
        try:
            raise RuntimeError(message)
        except RuntimeError:
            written.append(_log_crash(args))
    assert None not in written and len(set(written)) == 2
    texts = [Path(p).read_text(encoding="utf-8") for p in written]
    assert "first failure" in texts[0] and "second failure" in texts[1]

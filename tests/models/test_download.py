"""Downloads against a local stand-in for the hub: resume, hashes, cancel, disk space."""

from __future__ import annotations

import hashlib
import json
import os
import random
import threading
from collections import namedtuple

import pytest

from ii_desktop.cli.main import main
from ii_desktop.models import download as dl
from ii_desktop.models.catalog import PARTIAL_DIR, SOURCE_FILE
from ii_desktop.models.download import (
    DownloadCancelled,
    DownloadError,
    download_model,
    fetch_plan,
)
from tests.models.hub import COMMIT, FakeHub, HubFile

REPO = "acme/Tiny-MLX"


def _bytes(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


@pytest.fixture
def hub(monkeypatch):
    files = {
        "config.json": HubFile(json.dumps({"model_type": "qwen3"}).encode(), lfs=False),
        "model.safetensors": HubFile(_bytes(3 * 1024 * 1024 + 17, 1)),
        "sub/extra.bin": HubFile(_bytes(4096, 2)),
    }
    server = FakeHub(REPO, files)
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    yield server
    server.close()


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _assert_complete(dest, hub) -> None:
    for name, f in hub.files.items():
        assert (dest / name).read_bytes() == f.data, name
    assert not (dest / PARTIAL_DIR).exists()
    record = json.loads((dest / SOURCE_FILE).read_text())
    assert record["commit"] == COMMIT and record["repo_id"] == REPO


def test_plan_lists_files_with_sizes_and_hashes(hub):
    plan = fetch_plan(REPO)
    assert plan.commit == COMMIT
    by_name = {f.name: f for f in plan.files}
    assert by_name["model.safetensors"].sha256 == hub.files["model.safetensors"].sha256
    assert by_name["config.json"].blob_id == hub.files["config.json"].blob_id
    assert plan.total_bytes == sum(len(f.data) for f in hub.files.values())


def test_download_writes_real_files_and_reports_progress(hub, tmp_path):
    seen = []
    result = download_model(REPO, tmp_path / "Tiny-MLX", progress=seen.append)
    _assert_complete(result.path, hub)
    assert not any(p.is_symlink() for p in result.path.rglob("*"))
    assert seen[0].stage == "checking" and seen[-1].stage == "done"
    assert seen[-1].done_bytes == seen[-1].total_bytes == result.plan.total_bytes
    assert [p.done_bytes for p in seen] == sorted(p.done_bytes for p in seen)
    # a second run finds every file checked and fetches nothing
    before = len(hub.requests)
    again = download_model(REPO, result.path)
    assert again.downloaded_bytes == 0
    assert [p for p, _ in hub.requests[before:] if "/resolve/" in p] == []


def test_a_dropped_connection_is_resumed_with_a_range(hub, tmp_path):
    hub.files["model.safetensors"].drop_after = [1024 * 1024]
    result = download_model(REPO, tmp_path / "m")
    _assert_complete(result.path, hub)
    ranges = hub.file_requests("model.safetensors")
    assert ranges[0] is None
    assert ranges[1] is not None and int(ranges[1][6:-1]) >= 1024 * 1024


def test_an_interrupted_download_resumes_on_the_next_run(hub, tmp_path, monkeypatch):
    monkeypatch.setattr(dl, "RETRIES", 0)
    hub.files["model.safetensors"].drop_after = [2 * 1024 * 1024]
    dest = tmp_path / "m"
    with pytest.raises(DownloadError, match="resume"):
        download_model(REPO, dest)
    part = dest / PARTIAL_DIR / "model.safetensors"
    kept = part.stat().st_size
    assert kept > 0
    result = download_model(REPO, dest)
    _assert_complete(dest, hub)
    assert result.resumed_bytes >= kept
    assert hub.file_requests("model.safetensors")[-1] == f"bytes={kept}-"


def test_cancel_stops_and_keeps_the_partial_file(hub, tmp_path):
    hub.delay = 0.003  # slow enough for the first progress report to land mid-file
    stop = threading.Event()

    def on_progress(p):
        if p.stage == "downloading" and p.file == "model.safetensors":
            stop.set()

    dest = tmp_path / "m"
    with pytest.raises(DownloadCancelled):
        download_model(REPO, dest, progress=on_progress, cancel=stop)
    part = dest / PARTIAL_DIR / "model.safetensors"
    assert 0 < part.stat().st_size < len(hub.files["model.safetensors"].data)
    assert not (dest / "model.safetensors").exists()
    hub.delay = 0.0
    download_model(REPO, dest)
    _assert_complete(dest, hub)


def test_a_corrupted_file_is_deleted_and_named(hub, tmp_path):
    good = hub.files["model.safetensors"].data
    hub.files["model.safetensors"].served = good[:-1] + bytes([good[-1] ^ 0xFF])
    dest = tmp_path / "m"
    with pytest.raises(DownloadError, match=r"model\.safetensors did not match") as err:
        download_model(REPO, dest)
    assert "deleted" in str(err.value)
    assert not (dest / "model.safetensors").exists()
    assert not (dest / PARTIAL_DIR / "model.safetensors").exists()
    hub.files["model.safetensors"].served = None
    download_model(REPO, dest)
    assert _digest(dest / "model.safetensors") == hub.files["model.safetensors"].sha256


def test_a_full_disk_refuses_before_downloading(hub, tmp_path, monkeypatch):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(dl.shutil, "disk_usage", lambda path: usage(10**9, 10**9, 1024))
    with pytest.raises(DownloadError, match="Not enough disk space"):
        download_model(REPO, tmp_path / "m")
    assert hub.file_requests("model.safetensors") == []
    assert not (tmp_path / "m").exists()


def test_cli_download_into_the_models_folder(hub, capsys, data_dir):
    assert main(["model", "download", REPO]) == 0
    out, err = capsys.readouterr()
    dest = data_dir / "models" / "Tiny-MLX"
    _assert_complete(dest, hub)
    assert "all checked" in err and str(dest) in out


def test_cli_unknown_repo_is_one_plain_line(hub, capsys):
    assert main(["model", "download", "acme/nothing-here"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 1  # the "Downloading ..." line, then the error
    assert "No model named acme/nothing-here" in err and "Traceback" not in err


def test_cli_unreachable_hub_is_one_plain_line(capsys, monkeypatch):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    assert main(["model", "download", REPO]) == 1
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("ii-desktop: Could not reach the model hub at 127.0.0.1:")
    assert os.environ["HF_ENDPOINT"].endswith(str(port))

"""The model manager window: download from a local stand-in for the hub, stop and resume,
a real 4-bit copy of the tiny model made the default, a model removed."""

from __future__ import annotations

import pytest

from ii_desktop.core.settings import app_paths, load_settings
from ii_desktop.engine.tiny_model import build_tiny_model
from ii_desktop.ui import model_jobs, model_manager, widgets
from ii_desktop.ui.model_jobs import describe_progress
from ii_desktop.ui.model_manager import ModelManager
from tests.models.hub import FakeHub, HubFile

REPO = "acme/Tiny-MLX"


@pytest.fixture
def hub(tmp_path, monkeypatch):
    folder = build_tiny_model(tmp_path / "source")
    files = {
        p.relative_to(folder).as_posix(): HubFile(p.read_bytes(), lfs=p.suffix == ".safetensors")
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
    server = FakeHub(REPO, files)
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setattr(widgets, "confirm", lambda *a, **k: True)
    yield server
    server.close()


def open_manager(qtbot) -> ModelManager:
    dialog = ModelManager(app_paths().ensure())
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def rows(dialog) -> list[str]:
    return [dialog.list.item(i).text() for i in range(dialog.list.count())]


def select(dialog, name: str) -> None:
    for i in range(dialog.list.count()):
        if dialog.list.item(i).text().startswith(name):
            dialog.list.item(i).setSelected(True)
            return
    raise AssertionError(f"{name} not in {rows(dialog)}")


def wait_idle(qtbot, dialog, timeout=60000) -> None:
    qtbot.waitUntil(lambda: dialog.job is None, timeout=timeout)
    qtbot.wait(300)  # the list refreshes on a worker thread


def test_download_then_a_4_bit_copy_becomes_the_default(qtbot, hub):
    dialog = open_manager(qtbot)
    qtbot.waitUntil(lambda: dialog.empty.isVisible())
    dialog.then_copy.setChecked(False)
    dialog.repo.setText(REPO)
    dialog.download()
    assert dialog.progress.isVisible() and dialog.cancel_button.isVisible()
    assert "listed when it has arrived" in dialog.empty.text()  # not "download one below"
    wait_idle(qtbot, dialog)
    assert "Downloaded to" in dialog.message.text()
    qtbot.waitUntil(lambda: any(r.startswith("Tiny-MLX") for r in rows(dialog)))
    assert "full precision" in next(r for r in rows(dialog) if r.startswith("Tiny-MLX"))

    select(dialog, "Tiny-MLX")
    with qtbot.waitSignal(dialog.default_changed, timeout=120000) as made:
        dialog.quantize_selected()
    copy = made.args[0]
    assert copy.endswith("Tiny-4bit")
    assert load_settings(app_paths()).engine.model_path == copy
    wait_idle(qtbot, dialog)
    assert "is the default model now" in dialog.message.text()
    qtbot.waitUntil(lambda: any("4-bit" in r and "✓ default" in r for r in rows(dialog)))

    select(dialog, "Tiny-MLX")  # the full-size copy can go
    dialog.remove_selected()
    assert "Removed Tiny-MLX" in dialog.message.text()
    qtbot.waitUntil(lambda: not any(r.startswith("Tiny-MLX") for r in rows(dialog)))


def test_a_stopped_download_resumes_even_after_the_window_closed(qtbot, hub):
    hub.delay = 0.05  # slow enough to stop midway
    dialog = open_manager(qtbot)
    dialog.then_copy.setChecked(False)
    job = dialog.download(REPO)
    qtbot.waitUntil(lambda: job.last is not None and job.last.done_bytes > 0, timeout=20000)
    assert "of" in describe_progress(job.last)
    dialog.close()  # the download goes on without the window
    again = open_manager(qtbot)
    assert again.job is job and again.progress.isVisible()
    again.cancel_job()
    wait_idle(qtbot, again)
    assert "Stopped. What arrived is kept" in again.message.text()
    qtbot.waitUntil(lambda: any("download unfinished" in r for r in rows(again)))

    hub.delay = 0.0
    again.then_copy.setChecked(False)
    select(again, "Tiny-MLX")
    assert again.resume_button.isVisibleTo(again)
    again.resume_selected()
    wait_idle(qtbot, again)
    assert "Downloaded to" in again.message.text()
    assert not any("download unfinished" in r for r in rows(again))
    assert model_jobs.running_jobs() == []


def test_a_bad_repo_id_is_said_in_one_line(qtbot, hub):
    dialog = open_manager(qtbot)
    assert dialog.download("not a repo") is None
    assert "is not a Hugging Face repo id" in dialog.message.text()


def test_first_run_flow_downloads_copies_checks_and_offers_to_remove_the_original(
    qtbot, hub, monkeypatch
):
    asked: list[str] = []

    def confirm(parent, title, text, *args, **kwargs):
        asked.append(f"{title} {text}")
        return True

    monkeypatch.setattr(widgets, "confirm", confirm)
    dialog = open_manager(qtbot)
    assert dialog.then_copy.isChecked()  # the default: one click from nothing to a model
    assert "4-bit copy, check that it loads" in dialog.then_copy.text()
    with qtbot.waitSignal(dialog.default_changed, timeout=120000) as made:
        job = dialog.download(REPO)
        assert job is not None and job.then_copy_bits == 4
    copy = made.args[0]
    assert copy.endswith("Tiny-4bit")
    assert load_settings(app_paths()).engine.model_path == copy
    wait_idle(qtbot, dialog)
    assert "loads and is the default model now" in dialog.message.text()
    original = app_paths().models_dir / "Tiny-MLX"
    assert original.is_dir()
    assert dialog.remove_source_button.isVisibleTo(dialog)
    assert "Remove the full-size copy (" in dialog.remove_source_button.text()

    dialog.remove_source()
    assert asked and asked[0].startswith("Remove Tiny-MLX?")
    assert not original.exists()
    assert not dialog.remove_source_button.isVisibleTo(dialog)
    assert "Removed Tiny-MLX" in dialog.message.text()
    # the copy is still the default and still there
    assert load_settings(app_paths()).engine.model_path == copy
    qtbot.waitUntil(lambda: any("4-bit" in r and "✓ default" in r for r in rows(dialog)))


def test_eight_bit_copies_are_offered_only_with_32_gb_or_more(qtbot, hub, monkeypatch):
    monkeypatch.setattr(model_manager, "_memory_gb", lambda: 16.0)
    small = open_manager(qtbot)
    assert [small.bits.itemText(i) for i in range(small.bits.count())] == ["4-bit copy"]
    monkeypatch.setattr(model_manager, "_memory_gb", lambda: 64.0)
    large = open_manager(qtbot)
    assert large.bits.count() == 2
    large.bits.setCurrentIndex(1)
    assert "8-bit copy" in large.then_copy.text()


def test_the_copy_follows_the_download_with_the_window_closed(qtbot, hub):
    dialog = open_manager(qtbot)
    state = model_jobs.state_file(app_paths(), app_paths().models_dir / "Tiny-MLX")
    with qtbot.waitSignal(model_jobs.hub().default_changed, timeout=120000) as made:
        job = dialog.download(REPO)
        dialog.close()  # nobody watches: the download still goes on into the copy
        qtbot.waitUntil(lambda: job.next is not None, timeout=60000)
        # kept while the copy runs: quitting now would make the copy again next time
        assert state.exists() and '"stopped": false' in state.read_text()
    assert job.next is not None and job.next.kind == "quantize"
    copy = made.args[0]
    assert copy.endswith("Tiny-4bit")
    assert load_settings(app_paths()).engine.model_path == copy
    assert not model_jobs.state_file(app_paths(), app_paths().models_dir / "Tiny-MLX").exists()


def _partial_download(qtbot, hub) -> None:
    """A download stopped midway; its folder keeps what arrived."""
    hub.delay = 0.05
    dialog = open_manager(qtbot)
    job = dialog.download(REPO)
    qtbot.waitUntil(lambda: job.last is not None and job.last.done_bytes > 0, timeout=20000)
    dialog.cancel_job()
    wait_idle(qtbot, dialog)
    dialog.close()
    hub.delay = 0.0


def test_a_download_cut_off_by_quitting_resumes_at_the_next_start(qtbot, hub):
    _partial_download(qtbot, hub)
    folder = app_paths().models_dir / "Tiny-MLX"
    state = model_jobs.state_file(app_paths(), folder)
    assert '"stopped": true' in state.read_text()
    assert model_jobs.resume_interrupted(app_paths()) == []  # the user's Stop is kept

    # quitting mid-download leaves the state unstopped, as it was while running
    state.write_text(state.read_text().replace('"stopped": true', '"stopped": false'))
    with qtbot.waitSignal(model_jobs.hub().default_changed, timeout=120000) as made:
        [job] = model_jobs.resume_interrupted(app_paths())
        assert job.name == REPO and job.then_copy_bits == 4
    total = sum(f.size for f in job.result.plan.files)
    assert job.result.downloaded_bytes < total  # what arrived before was kept
    assert made.args[0].endswith("Tiny-4bit")
    assert not state.exists()
    assert model_jobs.resume_interrupted(app_paths()) == []


def test_the_window_resumes_at_start_and_uses_the_copy_it_makes(qtbot, hub, monkeypatch):
    from ii_desktop.ui.main_window import MainWindow

    _partial_download(qtbot, hub)
    state = model_jobs.state_file(app_paths(), app_paths().models_dir / "Tiny-MLX")
    state.write_text(state.read_text().replace('"stopped": true', '"stopped": false'))
    used: list[str] = []
    monkeypatch.setattr(MainWindow, "use_model", lambda self, path: used.append(path))
    hub.delay = 0.05  # slow enough to be seen on the first-run page
    window = MainWindow(app_paths(), start_engine=False)
    qtbot.addWidget(window)
    window.show()
    assert "Downloading acme/Tiny-MLX again" in window.statusBar().currentMessage()
    card = window.first_run
    qtbot.waitUntil(lambda: card.download_status.isVisible(), timeout=10000)
    assert card.download_status.text().startswith("Downloading acme/Tiny-MLX.")
    assert card.download_button.text() == "Show Progress…"
    hub.delay = 0.0
    qtbot.waitUntil(lambda: len(used) == 1, timeout=120000)
    assert used[0].endswith("Tiny-4bit")
    qtbot.waitUntil(lambda: not card.download_status.isVisible(), timeout=10000)
    assert card.download_button.text() == "Download…"
    window.close()
    model_jobs.hub().default_changed.emit("/elsewhere")  # a closed window stops listening
    assert len(used) == 1


def test_a_refused_download_is_not_retried_at_the_next_start(qtbot, hub):
    dialog = open_manager(qtbot)
    dialog.repo.setText("acme/No-Such-Model")
    job = dialog.download()
    assert job is not None
    qtbot.waitUntil(lambda: job.finished, timeout=20000)
    wait_idle(qtbot, dialog)
    assert job.error is not None and dialog.message.text()  # the dialog says why
    assert "Traceback" not in dialog.message.text()
    assert not (app_paths().models_dir / "No-Such-Model").exists()
    assert model_jobs.resume_interrupted(app_paths()) == []


def test_a_removed_partial_download_is_not_resumed(qtbot, hub):
    _partial_download(qtbot, hub)
    folder = app_paths().models_dir / "Tiny-MLX"
    state = model_jobs.state_file(app_paths(), folder)
    assert state.exists()
    dialog = open_manager(qtbot)
    qtbot.waitUntil(lambda: any(r.startswith("Tiny-MLX") for r in rows(dialog)), timeout=10000)
    select(dialog, "Tiny-MLX")
    dialog.remove_selected()
    assert not folder.exists() and not state.exists()
    assert model_jobs.resume_interrupted(app_paths()) == []

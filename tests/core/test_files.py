"""Files written whole or not at all, never through a name someone planted beside them."""

from __future__ import annotations

import os

import pytest

from ii_desktop.core import files
from ii_desktop.core.files import write_atomically


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_text_and_bytes_are_written_whole_with_the_usual_mode(tmp_path):
    target = tmp_path / "notes.md"
    write_atomically(target, "first ✓\n")
    assert target.read_text(encoding="utf-8") == "first ✓\n"
    write_atomically(target, b"%PDF-1.4 second")
    assert target.read_bytes() == b"%PDF-1.4 second"
    assert target.stat().st_mode & 0o777 == 0o666 & ~_umask()
    assert [p.name for p in tmp_path.iterdir()] == ["notes.md"]


def test_text_that_is_not_valid_unicode_is_still_written(tmp_path):
    target = tmp_path / "notes.md"
    write_atomically(target, "a lone \ud800 surrogate")
    assert target.read_text(encoding="utf-8") == "a lone \ufffd surrogate"


@pytest.mark.parametrize("planted", ["notes.md.part", ".notes.md.part", "notes.md.tmp"])
def test_a_link_planted_beside_the_target_is_never_followed(tmp_path, planted):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / planted).symlink_to(victim)
    target = tmp_path / "notes.md"
    write_atomically(target, "the export")
    assert victim.read_text() == "precious"
    assert target.read_text() == "the export" and not target.is_symlink()
    assert (tmp_path / planted).is_symlink()  # left alone
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([planted, "notes.md", "victim.txt"])


def test_a_target_that_is_a_link_is_replaced_not_written_through(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    target = tmp_path / "notes.md"
    target.symlink_to(victim)
    write_atomically(target, "the export")
    assert victim.read_text() == "precious"
    assert not target.is_symlink() and target.read_text() == "the export"


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(
    tmp_path, monkeypatch, failing
):
    target = tmp_path / "notes.md"
    target.write_text("old")

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, failing, fail)
    with pytest.raises(OSError, match="No space left"):
        write_atomically(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["notes.md"]


def test_a_missing_folder_is_an_oserror(tmp_path):
    with pytest.raises(FileNotFoundError):
        write_atomically(tmp_path / "missing" / "notes.md", "x")

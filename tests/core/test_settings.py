"""Data directory resolution, settings persistence and validation."""

from __future__ import annotations

import json
from pathlib import Path

import platformdirs
import pytest

from ii_desktop.core.errors import ConfigError
from ii_desktop.core.settings import (
    DATA_DIR_ENV,
    LONG_CONTEXT_MAX,
    AppPaths,
    EngineSettings,
    Settings,
    app_paths,
    load_settings,
    resolve_data_dir,
    save_settings,
)

# --- data directory ------------------------------------------------------------------


def test_explicit_beats_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "from-env"))
    assert resolve_data_dir(tmp_path / "explicit") == (tmp_path / "explicit").resolve()
    assert resolve_data_dir(str(tmp_path / "explicit")) == (tmp_path / "explicit").resolve()


def test_environment_beats_default(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "from-env"))
    assert resolve_data_dir() == (tmp_path / "from-env").resolve()
    assert resolve_data_dir(None) == (tmp_path / "from-env").resolve()


def test_empty_explicit_value_falls_through_to_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "from-env"))
    assert resolve_data_dir("") == (tmp_path / "from-env").resolve()


def test_platform_default_without_explicit_or_environment(monkeypatch):
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    got = resolve_data_dir()
    assert got == Path(platformdirs.user_data_dir("ii-desktop", appauthor=False))
    assert got.name == "ii-desktop"
    assert got.is_absolute()


def test_empty_environment_value_means_default(monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, "")
    assert resolve_data_dir() == Path(platformdirs.user_data_dir("ii-desktop", appauthor=False))


def test_relative_and_home_paths_become_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_data_dir("rel/data") == tmp_path.resolve() / "rel" / "data"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert resolve_data_dir("~/appdata") == (tmp_path / "home" / "appdata").resolve()


def test_app_paths_layout(tmp_path):
    paths = app_paths(tmp_path / "d")
    root = (tmp_path / "d").resolve()
    assert paths.data_dir == root
    assert paths.settings_file == root / "settings.json"
    assert paths.kv_cache_dir == root / "kv-cache"
    assert paths.models_dir == root / "models"
    assert not root.exists()
    assert paths.ensure() is paths
    assert root.is_dir()


def test_app_paths_uses_environment_from_conftest(data_dir):
    assert app_paths().data_dir == data_dir.resolve()


def test_ensure_reports_a_folder_that_cannot_be_made(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="Cannot create the data folder"):
        AppPaths(blocker / "sub").ensure()


# --- persistence ---------------------------------------------------------------------


def test_missing_file_gives_defaults(tmp_path):
    assert load_settings(app_paths(tmp_path)) == Settings()


def test_save_load_round_trip(tmp_path):
    paths = app_paths(tmp_path / "new" / "data")
    settings = Settings(
        engine=EngineSettings(
            model_path="/models/II-Search-4B-4bit",
            context_length=65536,
            long_context=True,
            kv_bits=8,
            prefill_chunk=256,
            cache_memory_budget=123_456_789,
            persist_caches=False,
            disk_cache_budget=987_654_321,
        )
    )
    save_settings(paths, settings)
    assert paths.settings_file.is_file()
    assert load_settings(paths) == settings
    assert json.loads(paths.settings_file.read_text())["engine"]["kv_bits"] == 8
    leftovers = sorted(p.name for p in paths.data_dir.iterdir())
    assert leftovers == ["settings.json"], "no temporary file may be left behind"


def test_save_overwrites(tmp_path):
    paths = app_paths(tmp_path)
    save_settings(paths, Settings(engine=EngineSettings(kv_bits=4)))
    save_settings(paths, Settings(engine=EngineSettings(kv_bits=None, prefill_chunk=64)))
    assert load_settings(paths).engine == EngineSettings(kv_bits=None, prefill_chunk=64)


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"",
        b"[1, 2, 3]",
        b'"just a string"',
        b'{"engine": []}',
        b'{"engine": {"kv_bits": 3}}',
        b'{"engine": {"context_length": 100}}',
        b'{"engine": {"prefill_chunk": "many"}}',
        b"\xff\xfe\x00garbage",
    ],
    ids=[
        "bad-json",
        "empty",
        "list",
        "string",
        "engine-not-object",
        "kv-bits-3",
        "context-100",
        "wrong-type",
        "not-utf8",
    ],
)
def test_damaged_file_is_moved_aside_and_defaults_used(tmp_path, content):
    paths = app_paths(tmp_path)
    paths.ensure()
    paths.settings_file.write_bytes(content)
    assert load_settings(paths) == Settings()
    aside = tmp_path / "settings.damaged.json"
    assert aside.is_file()
    assert aside.read_bytes() == content, "the damaged file is kept as it was"
    assert not paths.settings_file.exists()
    # Saving afterwards works and loads back cleanly.
    save_settings(paths, Settings(engine=EngineSettings(kv_bits=4)))
    assert load_settings(paths).engine.kv_bits == 4


def test_unknown_keys_are_ignored(tmp_path):
    paths = app_paths(tmp_path)
    paths.ensure()
    paths.settings_file.write_text(
        json.dumps(
            {
                "engine": {"kv_bits": 8, "context_length": 32768, "from_the_future": True},
                "ui": {"theme": "dark"},
                "version": 7,
            }
        )
    )
    settings = load_settings(paths)
    assert settings.engine == EngineSettings(kv_bits=8, context_length=32768)
    assert paths.settings_file.is_file(), "a file with extra keys is not damaged"
    assert not (tmp_path / "settings.damaged.json").exists()


def test_missing_engine_section_gives_default_engine(tmp_path):
    paths = app_paths(tmp_path)
    paths.ensure()
    paths.settings_file.write_text("{}")
    assert load_settings(paths) == Settings()
    assert paths.settings_file.is_file()


def test_save_into_unwritable_place_is_a_config_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError):
        save_settings(AppPaths(blocker / "data"), Settings())


# --- validation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kv_bits": 3}, "KV cache bits"),
        ({"kv_bits": 16}, "KV cache bits"),
        ({"context_length": 100}, "at least 256"),
        ({"context_length": 255}, "at least 256"),
        ({"context_length": LONG_CONTEXT_MAX + 1}, "cannot exceed 131,072"),
        ({"context_length": 1_000_000}, "cannot exceed 131,072"),
        ({"prefill_chunk": 0}, "at least 1"),
        ({"prefill_chunk": -5}, "at least 1"),
    ],
)
def test_invalid_engine_settings(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        EngineSettings(**kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"kv_bits": None},
        {"kv_bits": 8},
        {"kv_bits": 4},
        {"context_length": 256},
        {"context_length": LONG_CONTEXT_MAX},
        {"prefill_chunk": 1},
    ],
)
def test_valid_engine_settings(kwargs):
    settings = EngineSettings(**kwargs)
    for key, value in kwargs.items():
        assert getattr(settings, key) == value


def test_from_dict_wraps_bad_values_in_config_error():
    with pytest.raises(ConfigError, match="KV cache bits"):
        Settings.from_dict({"engine": {"kv_bits": 3}})
    with pytest.raises(ConfigError, match="'engine' must be an object"):
        Settings.from_dict({"engine": "fast"})

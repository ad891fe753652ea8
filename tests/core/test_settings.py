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
    load_settings_report,
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
    ("content", "said"),
    [
        (b"{not json", "settings.json line 1, column 2: a key in double quotes was expected"),
        (b"[1, 2, 3]", "settings.json must hold one JSON object"),
        (b'"just a string"', "settings.json must hold one JSON object"),
        (b"\xff\xfe\x00garbage", "settings.json is not UTF-8 text"),
    ],
    ids=["bad-json", "list", "string", "not-utf8"],
)
def test_an_unreadable_file_is_kept_as_it_is_and_said(tmp_path, content, said):
    paths = app_paths(tmp_path)
    paths.ensure()
    paths.settings_file.write_bytes(content)
    settings, problems = load_settings_report(paths)
    assert settings == Settings()
    assert len(problems) == 1 and problems[0].startswith(said)
    assert str(paths.settings_file) in problems[0], "the message says which file to fix"
    assert paths.settings_file.read_bytes() == content, "the file is neither moved nor changed"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.json"]
    # the app's next save keeps a copy first, and never over an earlier copy
    assert save_settings(paths, Settings(engine=EngineSettings(kv_bits=4))) == (
        tmp_path / "settings.damaged.json"
    )
    assert (tmp_path / "settings.damaged.json").read_bytes() == content
    assert load_settings_report(paths) == (Settings(engine=EngineSettings(kv_bits=4)), [])
    paths.settings_file.write_bytes(content)
    assert save_settings(paths, Settings()) == tmp_path / "settings.damaged-2.json"
    assert (tmp_path / "settings.damaged.json").read_bytes() == content


@pytest.mark.parametrize(
    ("content", "kept"),
    [
        (b'{"engine": []}', {"kv_bits": None}),
        (b'{"engine": {"kv_bits": 3, "prefill_chunk": 64}}', {"prefill_chunk": 64}),
        (b'{"engine": {"context_length": 100, "kv_bits": 8}}', {"kv_bits": 8}),
        (b'{"engine": {"prefill_chunk": "many", "kv_bits": 4}}', {"kv_bits": 4}),
    ],
    ids=["engine-not-object", "kv-bits-3", "context-100", "wrong-type"],
)
def test_a_bad_value_falls_back_alone_and_the_file_stays(tmp_path, content, kept):
    paths = app_paths(tmp_path)
    paths.ensure()
    paths.settings_file.write_bytes(content)
    settings, problems = load_settings_report(paths)
    assert settings.engine == EngineSettings(**kept)
    assert len(problems) == 1 and problems[0].startswith("settings.json line 1: engine")
    assert paths.settings_file.read_bytes() == content
    assert load_settings(paths) == settings
    assert save_settings(paths, settings) is None, "a readable file needs no copy"
    assert not (tmp_path / "settings.damaged.json").exists()


def test_an_empty_file_is_the_defaults_and_may_be_saved_over(tmp_path):
    paths = app_paths(tmp_path)
    paths.ensure()
    paths.settings_file.write_bytes(b"  \n")
    assert load_settings_report(paths) == (Settings(), [])
    assert save_settings(paths, Settings()) is None


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
    settings, problems = load_settings_report(paths)
    assert settings.engine == EngineSettings(kv_bits=8, context_length=32768)
    assert problems == [
        'settings.json line 1: unknown key "engine.from_the_future"; it is ignored.',
        'settings.json line 1: unknown key "ui.theme"; it is ignored.',
        'settings.json line 1: unknown key "version"; it is ignored.',
    ]
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


def test_a_trailing_comma_is_said_with_its_line_and_nothing_is_lost(tmp_path):
    paths = app_paths(tmp_path)
    paths.ensure()
    text = '{\n  "engine": {\n    "model_path": "/models/m",\n    "kv_bits": 8,\n  }\n}\n'
    paths.settings_file.write_text(text)
    settings, problems = load_settings_report(paths)
    assert settings == Settings()
    assert problems[0].startswith("settings.json line 5, column 3: a key in double quotes")
    assert 'no comma before "}"' in problems[0]
    assert paths.settings_file.read_text() == text


def test_one_bad_value_is_named_with_what_is_allowed_and_the_rest_kept(tmp_path):
    paths = app_paths(tmp_path)
    paths.ensure()
    paths.settings_file.write_text(
        '{\n  "engine": {\n    "model_path": "/models/m",\n    "kv_bits": 16\n  }\n}\n'
    )
    settings, problems = load_settings_report(paths)
    assert settings.engine.model_path == "/models/m", "the other values are kept"
    assert settings.engine.kv_bits == EngineSettings().kv_bits
    assert problems == [
        "settings.json line 4: engine.kv_bits is 16, but it must be null (full precision), "
        "8 or 4; the default (null) is used."
    ]


def test_a_key_in_the_wrong_section_names_the_right_one(tmp_path):
    paths = app_paths(tmp_path)
    paths.ensure()
    paths.settings_file.write_text('{\n  "model_path": "/models/m",\n  "engine": {"kv_bit": 4}\n}')
    _, problems = load_settings_report(paths)
    assert problems == [
        'settings.json line 2: unknown key "model_path"; did you mean "engine.model_path"?',
        'settings.json line 3: unknown key "engine.kv_bit"; did you mean "engine.kv_bits"?',
    ]


def test_saving_keeps_keys_this_version_does_not_read(tmp_path):
    paths = app_paths(tmp_path)
    paths.ensure()
    paths.settings_file.write_text(json.dumps({"engine": {"later": 1}, "plugins": ["x"]}))
    save_settings(paths, Settings(engine=EngineSettings(kv_bits=4)))
    data = json.loads(paths.settings_file.read_text())
    assert data["engine"]["later"] == 1 and data["engine"]["kv_bits"] == 4
    assert data["plugins"] == ["x"]

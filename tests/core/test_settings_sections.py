"""The sampling section of the settings: defaults, round trip and refused values."""

from __future__ import annotations

import json

import pytest

from ii_desktop.core.errors import ConfigError
from ii_desktop.core.settings import (
    DEFAULT_MAX_TOKENS,
    DEFAULT_REPETITION_PENALTY,
    DEFAULT_TEMPERATURE,
    DEFAULT_TOP_K,
    DEFAULT_TOP_P,
    LONG_CONTEXT_MAX,
    SamplingSettings,
    ServerSettings,
    Settings,
    UiSettings,
    app_paths,
    load_settings,
    load_settings_report,
    save_settings,
)


def test_defaults_are_the_model_cards():
    sampling = Settings().sampling
    assert sampling == SamplingSettings()
    assert sampling.temperature == DEFAULT_TEMPERATURE
    assert sampling.top_p == DEFAULT_TOP_P
    assert sampling.top_k == DEFAULT_TOP_K
    assert sampling.repetition_penalty == DEFAULT_REPETITION_PENALTY
    assert sampling.max_tokens == DEFAULT_MAX_TOKENS


def test_round_trip_through_the_settings_file(tmp_path):
    paths = app_paths(tmp_path / "data")
    settings = Settings(
        sampling=SamplingSettings(
            temperature=0.0, top_p=0.8, top_k=0, repetition_penalty=1.25, max_tokens=4096
        ),
        server=ServerSettings(enabled=True, base_url="http://localhost:8000/v1", model_name="m"),
        ui=UiSettings(fold_reasoning=False),
    )
    save_settings(paths, settings)
    assert load_settings(paths) == settings
    stored = json.loads(paths.settings_file.read_text())["sampling"]
    assert stored == {
        "temperature": 0.0,
        "top_p": 0.8,
        "top_k": 0,
        "repetition_penalty": 1.25,
        "max_tokens": 4096,
    }


def test_a_file_without_sampling_gets_the_defaults(tmp_path):
    paths = app_paths(tmp_path)
    paths.ensure()
    paths.settings_file.write_text(json.dumps({"engine": {"kv_bits": 8}}))
    settings = load_settings(paths)
    assert settings.sampling == SamplingSettings()
    assert settings.engine.kv_bits == 8


def test_unknown_sampling_keys_are_ignored():
    settings = Settings.from_dict({"sampling": {"top_k": 5, "min_p": 0.1}})
    assert settings.sampling == SamplingSettings(top_k=5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"temperature": -0.1}, "temperature"),
        ({"temperature": 2.5}, "temperature"),
        ({"top_p": 0.0}, "Top-p"),
        ({"top_p": 1.01}, "Top-p"),
        ({"top_k": -1}, "Top-k"),
        ({"repetition_penalty": 0.0}, "repetition penalty"),
        ({"repetition_penalty": 3.0}, "repetition penalty"),
        ({"max_tokens": 0}, "tokens per turn"),
        ({"max_tokens": LONG_CONTEXT_MAX + 1}, "tokens per turn"),
    ],
)
def test_bad_values_are_refused(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        SamplingSettings(**kwargs)


def test_edge_values_are_accepted():
    SamplingSettings(temperature=0, top_p=1, top_k=0, repetition_penalty=2, max_tokens=1)
    SamplingSettings(temperature=2, max_tokens=LONG_CONTEXT_MAX)


@pytest.mark.parametrize(
    "section",
    [{"temperature": 9}, {"top_k": "many"}, {"max_tokens": 0}],
    ids=["too-hot", "wrong-type", "no-tokens"],
)
def test_from_dict_refuses_bad_sampling(section):
    with pytest.raises(ConfigError):
        Settings.from_dict({"sampling": section})


def test_a_bad_sampling_value_falls_back_alone(tmp_path):
    paths = app_paths(tmp_path)
    paths.ensure()
    written = json.dumps({"sampling": {"top_p": 7, "top_k": 5}}, indent=2)
    paths.settings_file.write_text(written)
    settings, problems = load_settings_report(paths)
    assert settings == Settings(sampling=SamplingSettings(top_k=5))
    assert problems == [
        "settings.json line 3: sampling.top_p is 7, but top-p must be more than 0 and at "
        "most 1; the default (0.95) is used."
    ]
    assert paths.settings_file.read_text() == written
    assert not (tmp_path / "settings.damaged.json").exists()

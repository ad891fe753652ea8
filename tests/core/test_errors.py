"""The exception tree: user-facing messages and CLI exit codes."""

from __future__ import annotations

import pytest

from ii_desktop.core import errors
from ii_desktop.core.errors import (
    AppError,
    CacheError,
    ConfigError,
    ContextOverflow,
    EngineClosed,
    EngineError,
    EngineNotReady,
    ModelError,
    ModelFormatError,
    ModelNotFound,
    TemplateError,
    UsageError,
)

SIMPLE = [
    AppError,
    UsageError,
    ConfigError,
    ModelError,
    ModelNotFound,
    ModelFormatError,
    TemplateError,
    EngineError,
    EngineNotReady,
    EngineClosed,
    CacheError,
]


def _all_error_classes() -> set[type[AppError]]:
    found: set[type[AppError]] = set()
    todo: list[type[AppError]] = [AppError]
    while todo:
        cls = todo.pop()
        if cls.__module__ == errors.__name__ and cls not in found:
            found.add(cls)
            todo.extend(cls.__subclasses__())
    return found


def test_tree_is_covered():
    assert _all_error_classes() == {*SIMPLE, ContextOverflow}


@pytest.mark.parametrize(
    ("cls", "parent"),
    [
        (UsageError, AppError),
        (ConfigError, AppError),
        (ModelNotFound, ModelError),
        (ModelFormatError, ModelError),
        (TemplateError, ModelError),
        (ContextOverflow, EngineError),
        (EngineNotReady, EngineError),
        (EngineClosed, EngineError),
        (CacheError, AppError),
        (ModelError, AppError),
        (EngineError, AppError),
    ],
)
def test_hierarchy(cls, parent):
    assert issubclass(cls, parent)


def test_app_error_is_an_exception_not_a_base_exception_only():
    assert issubclass(AppError, Exception)


@pytest.mark.parametrize("cls", SIMPLE)
def test_exit_codes(cls):
    expected = 2 if cls is UsageError else 1
    assert cls.exit_code == expected
    assert cls("x").exit_code == expected


def test_context_overflow_exit_code():
    assert ContextOverflow(10, 5).exit_code == 1


@pytest.mark.parametrize("cls", SIMPLE)
def test_str_is_the_user_message(cls):
    message = "The model folder /tmp/m has no config.json."
    exc = cls(message)
    assert str(exc) == message
    assert exc.message == message
    assert exc.args == (message,)


def test_message_survives_raise_and_catch_as_base():
    with pytest.raises(AppError) as info:
        raise ModelFormatError("model.safetensors is truncated")
    assert str(info.value) == "model.safetensors is truncated"
    assert isinstance(info.value, ModelError)


def test_context_overflow_names_both_numbers():
    exc = ContextOverflow(prompt_tokens=45_000, context_length=40_960)
    text = str(exc)
    assert "45,000" in text
    assert "40,960" in text
    assert text.index("45,000") < text.index("40,960")
    assert exc.prompt_tokens == 45_000
    assert exc.context_length == 40_960
    assert exc.message == text
    assert "\n" not in text

"""One exception tree for everything a user can be told about.

    AppError                     message is written for the user
    ├── UsageError               bad command-line or API use (CLI exit 2)
    ├── ConfigError              settings or data directory problems
    ├── ModelError               a model folder that cannot be used
    │   ├── ModelNotFound
    │   ├── ModelFormatError     missing config/weights, wrong architecture, corrupt files
    │   └── TemplateError        chat template missing or unable to render tools
    ├── EngineError              generation failed
    │   ├── ContextOverflow      the prompt does not fit the context length
    │   ├── EngineNotReady       no model loaded
    │   └── EngineClosed
    └── CacheError               a stored KV cache cannot be used

Every message says what went wrong and, where it helps, what to do next.
"""

from __future__ import annotations


class AppError(Exception):
    """Base of every error whose message may be shown to the user as it is."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(AppError):
    exit_code = 2


class ConfigError(AppError):
    pass


class ModelError(AppError):
    pass


class ModelNotFound(ModelError):
    pass


class ModelFormatError(ModelError):
    pass


class TemplateError(ModelError):
    pass


class EngineError(AppError):
    pass


class ContextOverflow(EngineError):
    def __init__(self, prompt_tokens: int, context_length: int) -> None:
        super().__init__(
            f"The prompt is {prompt_tokens:,} tokens but the context length is "
            f"{context_length:,}. Shorten the conversation or raise the context length "
            "in Settings (long-context mode allows up to 131,072)."
        )
        self.prompt_tokens = prompt_tokens
        self.context_length = context_length


class EngineNotReady(EngineError):
    pass


class EngineClosed(EngineError):
    pass


class CacheError(AppError):
    pass

"""The engine the settings ask for: the local MLX model or an OpenAI-compatible server."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from ii_desktop.core.errors import UsageError
from ii_desktop.core.settings import AppPaths, Settings
from ii_desktop.engine.base import Engine


def build_engine(settings: Settings, paths: AppPaths) -> tuple[Engine, Future[Any]]:
    """The engine, and a future that resolves when it is ready (for the local model, when
    its weights are loaded on the engine thread; raises what loading raised)."""
    server = settings.server
    if server.enabled:
        from ii_desktop.engine.openai_compat import OpenAIEngine
        from ii_desktop.tools.secrets import KeychainError, get_api_key

        try:
            key: str | None = get_api_key("openai")
        except KeychainError:
            key = None  # local servers need no key
        engine = OpenAIEngine(
            server.base_url, server.model_name, api_key=key, context_length=server.context_length
        )
        ready: Future[Any] = Future()
        ready.set_result(None)
        return engine, ready
    if not settings.engine.model_path:
        raise UsageError(
            "No model chosen. Choose a model folder in Settings, or connect to a model server."
        )
    from ii_desktop.engine.worker import MLXEngine

    mlx = MLXEngine(settings.engine, cache_dir=paths.kv_cache_dir)
    return mlx, mlx.load(settings.engine.model_path)


def describe_engine(settings: Settings) -> str:
    """A short name for the status line."""
    if settings.server.enabled:
        return f"{settings.server.model_name} on {settings.server.base_url}"
    path = settings.engine.model_path or ""
    return path.rstrip("/").rsplit("/", 1)[-1] or "no model"

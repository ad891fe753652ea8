"""Placeholder until the tools land; registers no command yet."""

from __future__ import annotations

from typing import Any


def register(commands: Any) -> None:
    return None

"""Placeholder until the reader benchmark lands; registers nothing yet."""

from __future__ import annotations

from typing import Any


def register(bench_commands: Any) -> None:
    return None

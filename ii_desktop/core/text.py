"""Text from outside (pages, servers, files) made safe to keep and to print.

``valid_unicode`` is applied once, where text enters the app: a lone surrogate (a JSON
page's ``"\\ud800"``) cannot be encoded and would abort whatever writes it later.
``printable`` is applied to what a terminal shows: control characters (escape codes
that retitle the window, clear the screen or write the clipboard) are dropped.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls (0x9b is a one-byte CSI)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# the rest of an escape sequence once its ESC is gone would still print as junk
_ESCAPE_SEQUENCE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|.)")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def valid_unicode(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def printable(text: str) -> str:
    """``text`` for a terminal: escape sequences and other control characters removed
    (newlines and tabs kept), and valid Unicode."""
    text = _ESCAPE_SEQUENCE.sub("", text)
    return valid_unicode(_CONTROL.sub("", text))


def plural(count: int, word: str, many: str | None = None) -> str:
    """``count`` with its noun: "1 result", "2 results" (``many`` for irregular plurals)."""
    return f"{count} {word if count == 1 else (many or word + 's')}"

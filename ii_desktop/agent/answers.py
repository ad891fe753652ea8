"""Reading the final answer: the boxed short answer and the URLs it cites."""

from __future__ import annotations

import re

BOXED = "\\boxed{"
_URL = re.compile(r"https?://[^\s<>\"'\]}]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\""


def _trim(url: str) -> str:
    """Drop trailing punctuation, and a closing parenthesis that has no opening one in the
    URL (a URL cited "(like this)"), but keep ``Seine_(river)``."""
    while url:
        if url[-1] in _TRAILING:
            url = url[:-1]
        elif url[-1] == ")" and url.count(")") > url.count("("):
            url = url[:-1]
        else:
            break
    return url


def extract_boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{...}``, nested braces included; None if absent
    or unbalanced."""
    start = text.rfind(BOXED)
    while start >= 0:
        depth = 1
        i = start + len(BOXED)
        while i < len(text):
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth == 0:
                    return text[start + len(BOXED) : i].strip()
            i += 1
        start = text.rfind(BOXED, 0, start)  # unbalanced: try an earlier one
    return None


def cited_urls(text: str) -> list[str]:
    """URLs in the answer, in order, without duplicates or trailing punctuation."""
    seen: dict[str, None] = {}
    for match in _URL.finditer(text):
        url = _trim(match.group(0))
        seen.setdefault(url, None)
    return list(seen)

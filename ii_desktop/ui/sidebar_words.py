"""The sidebar's words: when a notebook was used, its tags, search snippets, errors.

Pure functions from notebook data to the text a row, a tooltip or a message shows; no
widget here, so each is tested as plain Python.
"""

from __future__ import annotations

import errno
import logging
import re
from collections.abc import Callable, Sequence
from datetime import datetime

from ii_desktop.core.errors import AppError
from ii_desktop.core.text import plural
from ii_desktop.notebooks import NotebookNotFound

log = logging.getLogger(__name__)

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)?")
_BARE_URL = re.compile(r"https?://(?:www\.)?([^/\s)]+)[^\s)]*")
_MD_MARKS = re.compile(r"\*\*|__|`+|(?:^|(?<=\s))#{1,6}\s|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)")


def relative_time(timestamp: float, now: float | None = None) -> str:
    """When, as a sidebar says it: "Today 14:05", "Yesterday", "3 Mar", "3 Mar 2023"."""
    when = datetime.fromtimestamp(timestamp)
    today = datetime.fromtimestamp(now) if now is not None else datetime.now()
    days = (today.date() - when.date()).days
    if days == 0:
        return f"Today {when:%H:%M}"
    if days == 1:
        return "Yesterday"
    day = f"{when.day} {_MONTHS[when.month - 1]}"
    return day if when.year == today.year else f"{day} {when.year}"


def notebook_detail(updated: float, runs: int, now: float | None = None) -> str:
    """The dimmed line under a notebook's title, without its tags."""
    questions = plural(runs, "question") if runs else "no questions"
    return f"{relative_time(updated, now)} · {questions}"


def plain_snippet(snippet: str) -> str:
    """A search snippet as words: Markdown marks dropped, links as their text or host."""
    text = _MD_LINK.sub(r"\1", snippet)
    text = _BARE_URL.sub(lambda m: m.group(1), text)
    text = _MD_MARKS.sub("", text)
    return " ".join(text.split())


def tag_words(tags: Sequence[str]) -> str:
    return " ".join(f"#{t}" for t in tags)


def fit_tags(tags: Sequence[str], room: float, width: Callable[[str], float]) -> str:
    """As many whole "#tags" as fit in ``room``, and "+N" for the rest ("" if none fit)."""
    shown: list[str] = []
    for n, tag in enumerate(tags):
        rest = len(tags) - n - 1
        candidate = " ".join([*shown, f"#{tag}"]) + (f" +{rest}" if rest else "")
        if width(candidate) > room:
            break
        shown.append(f"#{tag}")
    if not shown:
        return ""
    hidden = len(tags) - len(shown)
    return " ".join(shown) + (f" +{hidden}" if hidden else "")


def focus_snippet(snippet: str, query: str, lead: int = 24, keep: int = 48) -> str:
    """The snippet started a little before its first match, so a narrow row shows the
    match; at least ``keep`` characters are kept where the snippet has them."""
    words = [w for w in re.findall(r"\w+", query.lower()) if w]
    lowered = snippet.lower()
    found = [m.start() for w in words if (m := re.search(rf"\b{re.escape(w)}", lowered))]
    if not found or min(found) <= lead:
        return snippet
    start = snippet.rfind(" ", 0, min(min(found) - lead // 2, len(snippet) - keep))
    if start <= 0:
        return snippet
    return "…" + snippet[start + 1 :].lstrip("…")


def parse_tags(text: str) -> list[str]:
    """Comma-separated tags as typed; a leading "#" (as the list shows them) is dropped."""
    tags = (" ".join(part.split()).lstrip("#").strip() for part in text.split(","))
    return sorted({t for t in tags if t})


def os_reason(exc: OSError) -> str:
    """Why a file operation failed, in a few words ("the disk is full")."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied"
    return exc.strerror or str(exc) or type(exc).__name__


def describe_error(exc: BaseException, doing: str) -> str:
    """A message a user can read for anything that went wrong while ``doing``."""
    if isinstance(exc, NotebookNotFound):  # its message names a CLI command
        return f"Could not {doing}: it no longer exists (deleted in another window?)."
    if isinstance(exc, AppError):
        return exc.message
    if isinstance(exc, OSError):
        return f"Could not {doing}: {os_reason(exc)}."
    log.error("could not %s", doing, exc_info=(type(exc), exc, exc.__traceback__))
    return f"Could not {doing}: something unexpected went wrong ({type(exc).__name__})."


def two_lines(sentences: str) -> str:
    """Two sentences on two lines: a narrow column then breaks where a reader pauses."""
    return sentences.replace(". ", ".\n", 1)

"""What a follow-up question carries of its notebook: each earlier run in compact form.

An earlier run enters a new question's prompt as two turns: the question as it was
asked and the final answer with the pages it read, never its reasoning or tool traffic
(the model's template drops earlier reasoning anyway; tool results are what would fill
the context). The engine's idle-time cache rewrite produces the same turns, so a
follow-up prefills only its own question.

When even the compact runs do not fit the history's share of the context, the oldest
are left out a block at a time: the history then changes (and its cache is rebuilt)
once every ``DROP_BLOCK`` questions, not on every one. Which runs are left out depends
only on the runs, so the rewrite after a run and the next question's prompt agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ii_desktop.agent import prompts

HISTORY_SHARE = 0.4  # of the context; the rest is the new question's own research
DEFAULT_CONTEXT = 32_768  # when the engine does not say (a remote server)
DROP_BLOCK = 8
CHARS_PER_TOKEN = 3  # a cautious estimate: English runs near 4, URLs and numbers lower
MESSAGE_TOKENS = 8  # the template's markers around each message
MAX_SOURCES = 10


@dataclass(frozen=True)
class PastRun:
    """An earlier run as later questions see it: ``answer`` is ``compact_answer``'s text."""

    question: str
    mode: str
    answer: str


@dataclass(frozen=True)
class History:
    """The messages a follow-up starts with, and how many earlier runs were left out."""

    messages: list[dict[str, Any]]
    left_out: int


def compact_answer(answer: str, pages: Sequence[tuple[str, str]] = ()) -> str:
    """A run's final answer and the pages it read (``(title, url)``), for later prompts."""
    text = answer.strip()
    seen: set[str] = set()
    lines: list[str] = []
    for title, url in pages:
        if url and url not in seen and len(lines) < MAX_SOURCES:
            seen.add(url)
            lines.append(f"- {title.strip() or url}: {url}" if title.strip() else f"- {url}")
    if lines:
        text += "\n\nPages read:\n" + "\n".join(lines)
    return text


def history_budget(context_length: int | None) -> int:
    """Tokens the compact history may take of a context of ``context_length``."""
    return int((context_length or DEFAULT_CONTEXT) * HISTORY_SHARE)


def estimated_tokens(run: PastRun) -> int:
    chars = len(prompts.user_message(run.question, run.mode)) + len(run.answer)
    return chars // CHARS_PER_TOKEN + 2 * MESSAGE_TOKENS


def first_kept(runs: Sequence[PastRun], budget: int) -> int:
    """Index of the oldest run the history keeps: the first block boundary from which
    the rest fits, else (one run's answer is huge) as many of the newest as fit."""
    costs = [estimated_tokens(run) for run in runs]
    total = sum(costs)
    dropped = 0
    for start in range(0, len(runs) + 1):
        if start % DROP_BLOCK == 0 and total - dropped <= budget:
            return start
        if start < len(runs):
            dropped += costs[start]
    # no block boundary fits: keep the newest runs that do
    kept, start = 0, len(runs)
    while start > 0 and kept + costs[start - 1] <= budget:
        start -= 1
        kept += costs[start]
    return start


def build_history(system: str, runs: Sequence[PastRun], budget: int) -> History:
    """The system message and the compact turns of ``runs`` that fit ``budget``."""
    start = first_kept(runs, budget)
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}]
    for run in runs[start:]:
        messages.append({"role": "user", "content": prompts.user_message(run.question, run.mode)})
        messages.append({"role": "assistant", "content": run.answer})
    return History(messages, start)

"""Claims on a page: asking the model for them, reading its answer defensively, and
finding each claim's words in the page.

The model reads the page in chunks that fit its context and answers with a JSON array
``[{"claim": ..., "quote": ...}]``. A 4B model wraps it in code fences, adds a sentence
after it, or breaks the JSON halfway: ``parse_claims`` keeps every whole object it can
find and says whether the answer was clean. ``find_span`` maps a quote back to its
characters in the page, forgiving whitespace, quote marks, dashes and case; a claim
whose quote is not in the page is dropped (the model made it up).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

MAX_CLAIM_CHARS = 500
MAX_QUOTE_CHARS = 1000
MAX_ANSWER_CHARS = 200_000  # more than any honest answer: the rest is not read

# ours: what the model is asked for each chunk of the page
EXTRACT_PROMPT = (
    "Below is {part} of the page “{title}”. List the factual claims it makes that can be "
    "checked against other sources: names, numbers, dates, events, records, causes. "
    "Leave out opinions, predictions, advice, questions and vague statements.\n\n"
    'Answer with only a JSON array, one object per claim: [{{"claim": "...", "quote": '
    '"..."}}]. "claim" is the claim rewritten to stand on its own (names instead of '
    '"he", "it" or "the company"). "quote" is the page\'s exact words the claim comes '
    "from, copied character for character (one sentence at most). If there are no such "
    "claims, answer [].\n\n<page>\n{text}\n</page>"
)
# ours: the one retry after an answer that was not a JSON array
RETRY_PROMPT = (
    "That was not a valid JSON array. Answer again with only the JSON array of "
    '{"claim": "...", "quote": "..."} objects, and nothing before or after it.'
)

_FENCE = re.compile(r"```[a-zA-Z]*\s*")
_THINK_END = "</think>"
# quote marks, dashes and spaces a model (or a page) may write in another form
_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2033": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\u00ad": "",  # a soft hyphen is invisible on the page
    }
)


@dataclass(frozen=True)
class Claim:
    """A claim found in the page; ``span`` is where its quote is in the page's text."""

    claim: str
    quote: str
    span: tuple[int, int]

    def to_dict(self) -> dict[str, object]:
        return {"claim": self.claim, "quote": self.quote, "span": list(self.span)}


def chunks(text: str, max_chars: int) -> list[str]:
    """``text`` in pieces of at most ``max_chars``, cut between paragraphs (or, inside
    a paragraph too long for one piece, between sentences or words)."""
    max_chars = max(200, max_chars)
    pieces: list[str] = []
    current = ""
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        while len(paragraph) > max_chars:  # a wall of text: cut at a sentence or a space
            cut = paragraph.rfind(". ", 0, max_chars)
            cut = cut + 1 if cut > max_chars // 2 else paragraph.rfind(" ", 0, max_chars)
            cut = cut if cut > 0 else max_chars
            if current:
                pieces.append(current)
                current = ""
            pieces.append(paragraph[:cut].strip())
            paragraph = paragraph[cut:].strip()
        if current and len(current) + 2 + len(paragraph) > max_chars:
            pieces.append(current)
            current = ""
        current = f"{current}\n\n{paragraph}" if current else paragraph
    if current:
        pieces.append(current)
    return pieces


def extraction_prompt(text: str, title: str, index: int, total: int) -> str:
    part = "the text" if total == 1 else f"part {index + 1} of {total}"
    return EXTRACT_PROMPT.format(part=part, title=title or "untitled", text=text)


def _answer_part(raw: str) -> str:
    """What follows the reasoning, without code fences."""
    text = raw[:MAX_ANSWER_CHARS]
    if _THINK_END in text:
        text = text.rsplit(_THINK_END, 1)[1]
    return _FENCE.sub("", text).replace("```", "")


def _valid(item: object) -> dict[str, str] | None:
    if not isinstance(item, dict):
        return None
    claim, quote = item.get("claim"), item.get("quote")
    if not isinstance(claim, str) or not isinstance(quote, str):
        return None
    claim, quote = " ".join(claim.split()), " ".join(quote.split())
    if not claim or not quote or len(claim) > MAX_CLAIM_CHARS:
        return None
    return {"claim": claim, "quote": quote[:MAX_QUOTE_CHARS]}


def parse_claims(raw: str) -> tuple[list[dict[str, str]], bool]:
    """The claims in a model's answer, and whether the answer was one clean JSON array.

    A broken answer gives every whole ``{"claim", "quote"}`` object that can be read in
    it (so a reply cut off by the token limit keeps its first claims)."""
    text = _answer_part(raw)
    start = text.find("[")
    if start >= 0:
        try:
            data, _ = json.JSONDecoder().raw_decode(text, start)
        except (ValueError, RecursionError):
            data = None
        if isinstance(data, list):
            found = [v for v in (_valid(item) for item in data) if v is not None]
            return found, len(found) == len(data)
    decoder = json.JSONDecoder()
    found = []
    i = text.find("{")
    while i >= 0:
        try:
            item, end = decoder.raw_decode(text, i)
        except (ValueError, RecursionError):
            i = text.find("{", i + 1)
            continue
        valid = _valid(item)
        if valid is not None:
            found.append(valid)
        i = text.find("{", end)
    return found, False


def _folded(text: str) -> tuple[str, list[int]]:
    """``text`` with quote marks, dashes and case folded and each run of whitespace made
    one space, and for each character of the result its index in ``text``."""
    out: list[str] = []
    where: list[int] = []
    space = False
    for i, ch in enumerate(text):
        ch = ch.translate(_FOLD)
        if not ch:
            continue
        if ch.isspace():
            if out and not space:
                out.append(" ")
                where.append(i)
            space = True
            continue
        space = False
        for c in ch.casefold():
            out.append(c)
            where.append(i)
    return "".join(out), where


class PageText:
    """A page's text, folded once, for finding many quotes in it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._folded, self._where = _folded(text)

    def find(self, quote: str) -> tuple[int, int] | None:
        """Where ``quote`` is in the text, as ``(start, end)`` character offsets."""
        needle, _ = _folded(quote)
        needle = needle.strip()
        for candidate in (needle, needle.strip(" .,;:!?\"'")):
            if len(candidate) < 8:  # a word or two is found anywhere and proves nothing
                continue
            at = self._folded.find(candidate)
            if at >= 0:
                start = self._where[at]
                end = self._where[at + len(candidate) - 1] + 1
                return start, end
        # a quote that skips words with an ellipsis: its longest piece, when long enough
        pieces = [p.strip(" .,;:") for p in re.split(r"\.\.\.|…", needle)]
        longest = max(pieces, key=len, default="")
        if longest != needle and len(longest) >= 24:
            at = self._folded.find(longest)
            if at >= 0:
                return self._where[at], self._where[at + len(longest) - 1] + 1
        return None

    def __contains__(self, quote: str) -> bool:
        return self.find(quote) is not None


_NUMBER = re.compile(r"\d[\d,.]*")
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+")
_HEDGE = re.compile(
    r"\b(may|might|could|should|would|will|probably|perhaps|believe|think|feel|"
    r"opinion|best|worst|great|amazing|seems?|likely)\b",
    re.I,
)


def worthiness(claim: str) -> float:
    """How much checking a claim is worth: specific facts (numbers, dates, names) up,
    hedges and value words down."""
    score = 1.0
    score += 1.5 * min(3, len(_NUMBER.findall(claim)))
    score += 0.5 * min(4, len(_NAME.findall(claim)))
    score -= 1.0 * len(_HEDGE.findall(claim))
    words = len(claim.split())
    if words < 5:
        score -= 1.0
    elif words > 45:
        score -= 0.5
    return score


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", text.casefold()) if len(w) > 2}


def _same(a: str, b: str) -> bool:
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return a.casefold() == b.casefold()
    return len(wa & wb) / len(wa | wb) >= 0.8


def select_claims(
    found: Iterable[dict[str, str]],
    page: PageText,
    limit: int,
    left_out: dict[str, int] | None = None,
) -> list[Claim]:
    """The claims whose quote is in the page, duplicates merged (the same words, or the
    same claim said twice), at most ``limit``, the most check-worthy first. ``left_out``,
    when given, counts what was dropped: ``not_in_page``, ``repeated`` and ``over_limit``."""
    kept: list[Claim] = []
    counts = {"not_in_page": 0, "repeated": 0, "over_limit": 0}
    for item in found:
        span = page.find(item["quote"])
        if span is None:
            counts["not_in_page"] += 1
            continue
        if any(c.span == span or _same(c.claim, item["claim"]) for c in kept):
            counts["repeated"] += 1
            continue
        kept.append(Claim(item["claim"], page.text[span[0] : span[1]], span))
    ranked = sorted(enumerate(kept), key=lambda pair: (-worthiness(pair[1].claim), pair[0]))
    counts["over_limit"] = max(0, len(ranked) - max(0, limit))
    if left_out is not None:
        left_out.update(counts)
    return [claim for _, claim in ranked[: max(0, limit)]]


def left_out_note(counts: dict[str, int], limit: int) -> str:
    """What ``select_claims`` dropped, in a sentence ("" when nothing was)."""
    parts = []
    if counts.get("not_in_page"):
        n = counts["not_in_page"]
        parts.append(
            f"{n} whose quoted words are not on the page"
            if n > 1
            else "1 whose quoted words are not on the page"
        )
    if counts.get("repeated"):
        n = counts["repeated"]
        parts.append(f"{n} that repeated another" if n > 1 else "1 that repeated another")
    if counts.get("over_limit"):
        n = counts["over_limit"]
        parts.append(f"{n} beyond the {limit} most check-worthy (--max-claims)")
    if not parts:
        return ""
    total = sum(counts.get(k, 0) for k in ("not_in_page", "repeated", "over_limit"))
    joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    word = "claim was" if total == 1 else "claims were"
    return f"{total} {word} left out: {joined}."

"""Which part of a conversation's KV cache a new prompt can reuse.

The cache holds the tokens the model actually read and wrote. A reply the model
sampled is often not the canonical tokenization of its own text (a word written as
two tokens where the tokenizer would use one), so comparing the cache with a fresh
tokenization of the new prompt stops at the first such word and prefills the rest of
the reply again. Matching on text instead: the longest run of cached tokens whose
text is a prefix of the new prompt's text is kept as it is, and only the rest of the
prompt is tokenized.
"""

from __future__ import annotations

from collections.abc import Callable

from ii_desktop.engine.kv_store import common_prefix

Decode = Callable[[list[int]], str]
Encode = Callable[[str], list[int]]
_REPLACEMENT = "\ufffd"


def _spells(head: str, text: str) -> bool:
    # U+FFFD stands for bytes that are not valid UTF-8 on their own: the same character
    # in the prompt may be other bytes, so text up to it is all that is known to agree
    return text.startswith(head) and _REPLACEMENT not in head


def _text_prefix(held: list[int], text: str, decode: Decode, at_least: int) -> tuple[int, str]:
    """The largest ``k`` (not below ``at_least``) whose cached tokens spell a prefix of
    ``text``, with that prefix; ``(at_least, ...)`` when nothing longer matches."""
    whole = decode(held)
    if _spells(whole, text):
        return len(held), whole
    lo, hi = at_least, len(held) - 1  # held[:lo] matches (or lo is the floor); held fails
    best = decode(held[:lo]) if lo else ""
    if not _spells(best, text):
        return at_least, ""
    while lo < hi:
        mid = (lo + hi + 1) // 2
        head = decode(held[:mid])
        if _spells(head, text):
            lo, best = mid, head
        else:
            hi = mid - 1
    return lo, best


def plan_reuse(
    held: list[int], canonical: list[int], text: str, decode: Decode, encode: Encode
) -> tuple[list[int], int]:
    """The prompt's tokens and how many leading ones the cache already holds.

    ``held``: the cached tokens; ``canonical``: the prompt tokenized afresh; ``text``:
    the prompt's text. The result never claims the whole prompt as reused: the last
    token must be run to produce the first new one.
    """
    shared = common_prefix(held, canonical)
    if shared < len(held):
        k, head = _text_prefix(held, text, decode, shared)
        if k > shared and head:
            tokens = held[:k] + encode(text[len(head) :])
            return tokens, min(k, len(tokens) - 1)
    return canonical, min(shared, len(canonical) - 1)

"""Render a page's kept blocks: clean text for the model, markdown for the reader pane.

The clean text has links flattened to their words, URLs and e-mail addresses removed
and spaces collapsed, one block per line; ``web_visit`` collapses it further into the
single run of text the model was trained on.
The markdown keeps links, headings, lists, quotes, code and tables for people.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ii_desktop.tools.reader_blocks import Block

_URL = re.compile(
    r"\b(?:https?://|ftp://|www\.)[^\s<>\"'()\[\]]+[^\s<>\"'()\[\].,;:!?]", re.IGNORECASE
)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_SPACES = re.compile(r"[ \t\f\v\u00a0\u200b]+")
_EMPTY_BRACKETS = re.compile(r"\(\s*\)|\[\s*\]|<\s*>")


def clean_line(text: str) -> str:
    """One line as the model sees it: no URLs, no e-mail addresses, single spaces."""
    text = _URL.sub("", text)
    text = _EMAIL.sub("", text)
    text = _EMPTY_BRACKETS.sub("", text)
    return _SPACES.sub(" ", text).strip()


def clean_text(text: str) -> str:
    """Clean free text (plain-text pages, PDF pages) line by line; no blank-line runs."""
    lines = []
    blank = False
    for raw in text.splitlines():
        line = clean_line(raw)
        if line:
            lines.append(line)
            blank = False
        elif lines and not blank:
            lines.append("")
            blank = True
    return "\n".join(lines).strip()


def _text_line(block: Block) -> str:
    if block.kind == "pre":
        return "\n".join(clean_line(line) for line in block.text.splitlines())
    line = clean_line(block.text)
    if block.kind == "li" and line:
        return "  " * max(0, block.level - 1) + "- " + line
    return line


def render_text(blocks: Sequence[Block]) -> str:
    """The plain text of the blocks, one per line."""
    lines = (_text_line(b) for b in blocks)
    return "\n".join(line for line in lines if line.strip())


def _heading_shift(blocks: Sequence[Block]) -> int:
    # the page title is shown above the body, so body headings start at level 2
    levels = [b.level for b in blocks if b.kind == "h"]
    return 2 - min(levels) if levels else 0


def render_markdown(blocks: Sequence[Block]) -> str:
    """Markdown for the reader pane, with links kept."""
    parts: list[str] = []
    shift = _heading_shift(blocks)
    previous = ""
    for block in blocks:
        if block.kind == "h":
            piece = "#" * min(6, max(2, block.level + shift)) + " " + block.md
        elif block.kind == "li":
            piece = "  " * max(0, block.level - 1) + "- " + block.md
        elif block.kind == "quote":
            piece = "> " + block.md
        elif block.kind == "pre":
            piece = "```\n" + block.text + "\n```"
        elif block.kind == "row":
            piece = block.md
            if block.header_row:
                cells = block.md.count(" | ") + 1
                piece += "\n|" + "---|" * cells
        else:
            piece = block.md
        tight = block.kind == previous and block.kind in ("li", "row", "quote")
        if parts:
            parts.append("\n" if tight else "\n\n")
        parts.append(piece)
        previous = block.kind
    return "".join(parts).strip()

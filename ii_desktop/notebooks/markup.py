"""Answers are Markdown; exports show them with numbered citations.

``safe_markdown`` keeps an answer's Markdown (headings, lists, tables, code, bold, links)
but lets nothing through that a Markdown viewer would turn into raw HTML or a link to
anything but http(s). ``markdown_to_html`` renders an answer with markdown-it (raw HTML
off, links checked, no images); its printable variant also keeps every block short, as
Qt's layout needs. Citations are numbered by ``research.citations.number_citations``
before either. Every pattern here runs in time linear in its input, however hostile.
"""

from __future__ import annotations

import bisect
import re
import string
from collections.abc import Callable
from html import escape

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ii_desktop.research.citations import markdown_url, number_citations

Cite = Callable[[str], int | None]

__all__ = [
    "BLOCK_CHARS",
    "LIST_ITEMS",
    "QUOTE_DEPTH",
    "Cite",
    "fenced",
    "html_link",
    "is_web_url",
    "markdown_to_html",
    "markdown_url",
    "pieces",
    "safe_markdown",
    "shift_headings",
]

# Qt lays out a block (paragraph, list item, heading) in time growing with the square of
# its length, and a list in time growing with the square of its items: printable HTML
# keeps both short. Deeper quotes than QUOTE_DEPTH are shown as text.
BLOCK_CHARS = 10_000
LIST_ITEMS = 100
QUOTE_DEPTH = 8

_TRAILING = ".,;:!?'\""
# a label stops at any bracket, so no text is scanned twice by successive labels
_LINK_PATTERN = r"\[(?P<label>[^\[\]\n]+)\]\((?P<href>https?://[^\s)]+)\)"
_URL_PATTERN = r"https?://[^\s<>\"'\])}]+"
_LINK = re.compile(_LINK_PATTERN, re.IGNORECASE)
_URL = re.compile(_URL_PATTERN, re.IGNORECASE)
_TICKS = re.compile(r"`+")
_FENCE_INFO = re.compile(r"[\w.+#-]{1,40}")
# attribute syntax some Markdown dialects read after a span or at a line's start
# (kramdown's {: onclick=...}, pandoc's {key=value}): it must stay text
_ATTRIBUTES = re.compile(r"\{\s*(?:[:#.]|[\w-]+\s*=)")
_PUNCTUATION = frozenset(string.punctuation)


def _split_url(url: str) -> tuple[str, str]:
    bare = url.rstrip(_TRAILING)
    return bare, url[len(bare) :]


def _longest_run(text: str, char: str = "`") -> int:
    longest = run = 0
    for ch in text:
        run = run + 1 if ch == char else 0
        longest = max(longest, run)
    return longest


def fenced(text: str, info: str = "") -> str:
    """``text`` as a fenced code block that nothing in it can close."""
    fence = "`" * max(3, _longest_run(text) + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def _code_span(content: str) -> str:
    ticks = "`" * (_longest_run(content) + 1)
    pad = " " if content.startswith("`") or content.endswith("`") else ""
    return f"{ticks}{pad}{content}{pad}{ticks}"


class _Line:
    """One line of an answer made safe for Markdown, character by character."""

    def __init__(self, line: str) -> None:
        self.line = line
        # start of every backtick run, by length: a code span closes at the next run of
        # exactly its opener's length (found by bisection, so the scan stays linear)
        self.runs: dict[int, list[int]] = {}
        for m in _TICKS.finditer(line):
            self.runs.setdefault(len(m.group()), []).append(m.start())

    def _closing(self, after: int, length: int) -> int | None:
        starts = self.runs.get(length, [])
        k = bisect.bisect_left(starts, after)
        return starts[k] if k < len(starts) else None

    def safe(self, start: int, end: int, links: bool) -> str:
        line, out, i = self.line, [], start
        while i < end:
            ch = line[i]
            if ch == "\\" and i + 1 < end and line[i + 1] in _PUNCTUATION:
                out.append(line[i : i + 2])  # an escape: the next character is text
                i += 2
                continue
            if ch == "`":
                length = len(_TICKS.match(line, i, end).group())  # type: ignore[union-attr]
                close = self._closing(i + length, length)
                if close is not None and close + length <= end:
                    out.append(_code_span(line[i + length : close]))
                    i = close + length
                else:
                    out.append("\\`" * length)
                    i += length
                continue
            if links and ch == "[" and (m := _LINK.match(line, i, end)):
                href = m.group("href")
                label = self.safe(m.start("label"), m.end("label"), links=False)
                out.append(f"[{label}]({markdown_url(href)})")
                i = m.end()
                continue
            if links and ch in "hH" and (m := _URL.match(line, i, end)):
                url, _trailing = _split_url(m.group())
                if url:
                    out.append(markdown_url(url))
                    i += len(url)  # the trailing punctuation is text like any other
                    continue
            if ch == "!" and links and (line[i + 1 : i + 2] == "[" or _URL.match(line, i + 1, end)):
                out.append("\\!")  # a link, never an image loaded from anywhere
            elif ch == "<":
                out.append("&lt;")
            elif ch in "[]":
                out.append("\\" + ch)
            elif ch == "{" and _ATTRIBUTES.match(line, i, end):
                out.append("\\{")
            else:
                out.append(ch)
            i += 1
        return "".join(out)


def safe_markdown(text: str, cite: Cite | None = None, top: int = 0) -> str:
    """An answer's Markdown with nothing a viewer could render as raw HTML or as a link
    to anything but http(s): ``<`` outside code becomes ``&lt;``, brackets and backticks
    that form no http(s) link or code span are escaped, and each code block is fenced
    anew so that nothing in it can close it early. ``cite``, when given, first numbers
    the citations (``number_citations``: a cited source becomes ``[n](url)``); ``top``,
    when given, shifts the headings so the highest is at that level."""
    if cite is not None:
        text = number_citations(text, cite, "markdown")
    if top:
        text = shift_headings(text, top)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if stripped.startswith("```") or stripped.startswith("~~~"):
            fence = stripped[:3]
            info = _FENCE_INFO.fullmatch(stripped.lstrip(fence[0]).strip())
            body: list[str] = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(fence):
                body.append(lines[i])
                i += 1
            # at the margin and between blank lines: a fence whatever came before it
            out += ["", fenced("\n".join(body), info.group() if info else ""), ""]
            i += 1
            continue
        line = lines[i]
        out.append(_Line(line).safe(0, len(line), links=True))
        i += 1
    return "\n".join(out).strip("\n")


def is_web_url(url: str) -> bool:
    """Whether a URL may become a link: http(s) only, never ``javascript:`` and the like."""
    return re.match(r"https?://[^\s]", url.strip(), re.IGNORECASE) is not None


def html_link(url: str, label: str) -> str:
    """``<a>`` for an http(s) URL (``label`` is HTML already); other URLs give the label."""
    if not is_web_url(url):
        return label
    return f'<a href="{escape(url.strip(), quote=True)}">{label}</a>'


def pieces(text: str, size: int) -> list[str]:
    """``text`` cut into pieces of at most ``size`` characters, after a space if one is
    in the second half of a piece."""
    out: list[str] = []
    while len(text) > size:
        cut = text.rfind(" ", size // 2, size)
        cut = size if cut < 0 else cut + 1
        out.append(text[:cut])
        text = text[cut:]
    out.append(text)
    return out


# --- headings -------------------------------------------------------------------------

_ATX = re.compile(r"^( {0,3})(#{1,6})(?=[ \t]|$)")


def shift_headings(markdown: str, top: int) -> str:
    """Markdown whose highest heading is at level ``top`` (the others keep their depth
    below it, at most 6), so an answer's headings sit below the question's. Code is
    left alone."""
    lines = markdown.split("\n")
    fence = ""
    levels: list[tuple[int, int]] = []  # (line, level)
    for k, line in enumerate(lines):
        stripped = line.strip()
        if fence:
            if stripped.startswith(fence):
                fence = ""
            continue
        if stripped.startswith("```") or stripped.startswith("~~~"):
            fence = stripped[:3]
            continue
        if m := _ATX.match(line):
            levels.append((k, len(m.group(2))))
    if not levels:
        return markdown
    shift = top - min(level for _, level in levels)
    if shift <= 0:
        return markdown
    for k, level in levels:
        m = _ATX.match(lines[k])
        assert m is not None
        lines[k] = m.group(1) + "#" * min(6, level + shift) + lines[k][m.end() :]
    return "\n".join(lines)


# --- HTML: markdown-it, raw HTML off, links checked ------------------------------------

_SAFE_LINK = re.compile(r"(?:https?://[^\s]|mailto:[^\s]|#)", re.IGNORECASE)
_QUOTES = re.compile(r"^(?:[ \t]{0,3}>){" + str(QUOTE_DEPTH) + r"}[ \t]{0,3}(?=>)")


def _valid_link(url: str) -> bool:
    """http(s), mailto and in-page anchors; never javascript:, data:, files or relative."""
    return _SAFE_LINK.match(url.strip()) is not None


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "breaks": True, "xhtmlOut": False})
    md.enable(["table", "strikethrough"])
    md.disable("image")  # a picture would load from anywhere: its text stays text
    md.validateLink = _valid_link  # type: ignore[method-assign]
    return md


_MD = _parser()


def _shallow_quotes(text: str) -> str:
    """Quote markers past QUOTE_DEPTH escaped, so deeper quotes show as text."""
    return "\n".join(_QUOTES.sub(lambda m: m.group() + "\\", line) for line in text.split("\n"))


def _inline(text: str, like: Token) -> Token:
    token = _MD.parseInline(text, {})[0]
    token.level, token.map = like.level, like.map
    return token


def _printable(tokens: list[Token]) -> list[Token]:
    """Tokens for Qt's layout: no block over BLOCK_CHARS (a paragraph is split, a heading,
    item or cell cut) and no list over LIST_ITEMS items (split, numbering going on)."""
    out: list[Token] = []
    lists: list[tuple[Token, int]] = []  # open list, items so far
    for k, token in enumerate(tokens):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            lists.append((token, 0))
        elif token.type in ("bullet_list_close", "ordered_list_close") and lists:
            lists.pop()
        elif token.type == "list_item_open" and lists:
            opened, count = lists[-1]
            if count and count % LIST_ITEMS == 0:
                close = Token(opened.type.replace("_open", "_close"), opened.tag, -1, block=True)
                again = Token(opened.type, opened.tag, 1, attrs=dict(opened.attrs), block=True)
                again.markup, again.level = opened.markup, opened.level
                if opened.type == "ordered_list_open":
                    again.attrSet("start", int(opened.attrGet("start") or 1) + count)
                out += [close, again]
            lists[-1] = (opened, count + 1)
        elif token.type in ("fence", "code_block"):
            lines = token.content.split("\n")
            token.content = "\n".join(p for line in lines for p in pieces(line, BLOCK_CHARS))
        elif token.type == "inline" and len(token.content) > BLOCK_CHARS:
            before = tokens[k - 1] if k else None
            if before is not None and before.type == "paragraph_open" and not before.hidden:
                # one paragraph becomes several: close the open one after each piece
                parts = pieces(token.content, BLOCK_CHARS)
                for i, part in enumerate(parts):
                    if i:
                        out += [
                            Token("paragraph_close", "p", -1, block=True),
                            Token("paragraph_open", "p", 1, block=True),
                        ]
                    out.append(_inline(part, token))
                continue
            out.append(_inline(token.content[: BLOCK_CHARS - 1] + "…", token))
            continue
        out.append(token)
    return out


def markdown_to_html(
    text: str, cite: Cite | None = None, printable: bool = False, top: int = 3
) -> str:
    """HTML for an answer, by markdown-it: raw HTML shown as text, links only to http(s),
    mailto or an anchor, no images, tables and strikethrough on; headings shifted so the
    highest is ``<h{top}>`` (the notebook owns the ones above).

    ``cite``, when given, numbers the citations first (``number_citations``); exports
    number them themselves, with the run's titles. ``printable`` keeps every block to
    BLOCK_CHARS and every list to LIST_ITEMS, for Qt's layout."""
    if cite is not None:
        text = number_citations(text, cite, "html")
    text = shift_headings(_shallow_quotes(text.replace("\r\n", "\n")), top)
    tokens = _MD.parse(text)
    if printable:
        tokens = _printable(tokens)
    rendered = str(_MD.renderer.render(tokens, _MD.options, {})).strip("\n")
    if printable:  # Qt draws no border on a blockquote: a grey bar cell stands in for it
        rendered = rendered.replace("<blockquote>", _QUOTE_OPEN).replace(
            "</blockquote>", _QUOTE_CLOSE
        )
    return rendered


_QUOTE_OPEN = (
    '<table class="quote" border="0" cellspacing="0" cellpadding="0"><tr>'
    '<td width="3" bgcolor="#d2d2d7" style="padding: 0">&#8203;</td>'
    '<td style="padding-left: 12px">'
)
_QUOTE_CLOSE = "</td></tr></table>"

"""Answers are Markdown; exports turn their cited URLs into numbered citations.

``safe_markdown`` keeps an answer's Markdown (headings, lists, tables, code, bold, links)
and numbers its citations, but lets nothing through that a Markdown viewer would turn
into raw HTML or a link to anything but http(s). ``markdown_to_html`` renders the subset
the model writes (headings, paragraphs, lists, quotes, code, pipe tables, links, bold,
italic) into HTML where every piece of text is escaped and only http(s) links survive;
its printable variant also keeps every block short, as Qt's layout needs. No markdown
library: the output must be safe and self-contained. Every pattern here runs in time
linear in its input, however hostile.
"""

from __future__ import annotations

import bisect
import re
import string
from collections.abc import Callable
from html import escape

Cite = Callable[[str], int | None]

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
_INLINE = re.compile(
    rf"(?P<code>`[^`\n]+`)|(?P<link>{_LINK_PATTERN})|(?P<url>{_URL_PATTERN})", re.IGNORECASE
)
_LINK = re.compile(_LINK_PATTERN, re.IGNORECASE)
_URL = re.compile(_URL_PATTERN, re.IGNORECASE)
# bold never spans another "**", so each opener scans only up to the next one
_BOLD = re.compile(r"\*\*(?=\S)((?:[^*]|\*(?!\*))+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*(?=\S)([^*]+?)(?<=\S)\*(?!\*)")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*)$")
_BULLET = re.compile(r"^\s{0,3}[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s{0,3}(\d{1,9})[.)]\s+(.*)$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_TICKS = re.compile(r"`+")
_FENCE_INFO = re.compile(r"[\w.+#-]{1,40}")
# attribute syntax some Markdown dialects read after a span or at a line's start
# (kramdown's {: onclick=...}, pandoc's {key=value}): it must stay text
_ATTRIBUTES = re.compile(r"\{\s*(?:[:#.]|[\w-]+\s*=)")
_PUNCTUATION = frozenset(string.punctuation)
_URL_ESCAPES = frozenset(' ()<>[]`"\\')


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


def markdown_url(url: str) -> str:
    """An http(s) URL as a Markdown link target: nothing in it can end the link."""
    return "".join(
        f"%{ord(ch):02X}" if ch in _URL_ESCAPES or ch.isspace() else ch for ch in url.strip()
    )


def _code_span(content: str) -> str:
    ticks = "`" * (_longest_run(content) + 1)
    pad = " " if content.startswith("`") or content.endswith("`") else ""
    return f"{ticks}{pad}{content}{pad}{ticks}"


class _Line:
    """One line of an answer made safe for Markdown, character by character."""

    def __init__(self, line: str, cite: Cite) -> None:
        self.line = line
        self.cite = cite
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
                if n := self.cite(href):
                    # "[n]" right before "(" would be a link of its own: escaped there
                    out.append(f" \\[{n}\\]" if line[i : i + 1] == "(" else f" [{n}]")
                continue
            if links and ch in "hH" and (m := _URL.match(line, i, end)):
                url, _trailing = _split_url(m.group())
                if url:
                    n = self.cite(url)
                    shown = markdown_url(url)
                    out.append(f"[[{n}]]({shown})" if n else shown)
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


def safe_markdown(text: str, cite: Cite) -> str:
    """An answer's Markdown with each cited URL numbered (a bare URL becomes
    ``[[n]](url)``, a link gets `` [n]`` after it) and nothing a viewer could render as
    raw HTML or as a link to anything but http(s): ``<`` outside code becomes ``&lt;``,
    brackets and backticks that form no http(s) link or code span are escaped, and each
    code block is fenced anew so that nothing in it can close it early."""
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
        out.append(_Line(line, cite).safe(0, len(line), links=True))
        i += 1
    return "\n".join(out).strip("\n")


def _emphasis(escaped: str) -> str:
    return _ITALIC.sub(r"<em>\1</em>", _BOLD.sub(r"<strong>\1</strong>", escaped))


def is_web_url(url: str) -> bool:
    """Whether a URL may become a link: http(s) only, never ``javascript:`` and the like."""
    return re.match(r"https?://[^\s]", url.strip(), re.IGNORECASE) is not None


def html_link(url: str, label: str) -> str:
    """``<a>`` for an http(s) URL (``label`` is HTML already); other URLs give the label."""
    if not is_web_url(url):
        return label
    return f'<a href="{escape(url.strip(), quote=True)}">{label}</a>'


def _link(url: str, label: str) -> str:
    return html_link(url, label)


def inline_html(text: str, cite: Cite) -> str:
    out: list[str] = []
    pos = 0
    for m in _INLINE.finditer(text):
        out.append(_emphasis(escape(text[pos : m.start()])))
        pos = m.end()
        if m.group("code"):
            out.append(f"<code>{escape(m.group('code')[1:-1])}</code>")
        elif m.group("link"):
            href = m.group("href")
            out.append(_link(href, _emphasis(escape(m.group("label")))))
            n = cite(href)
            if n:
                out.append(f'<sup class="cite">[{n}]</sup>')
        else:
            url, trailing = _split_url(m.group("url"))
            n = cite(url)
            out.append(_link(url, f"[{n}]" if n else escape(url)))
            out.append(escape(trailing))
    out.append(_emphasis(escape(text[pos:])))
    return "".join(out)


def _cells(line: str) -> list[str]:
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|"):
        line = line[:-1]
    return [c.strip() for c in line.split("|")]


def _heading_text(text: str) -> str:
    """A heading's text without its closing ``#`` run (which needs a space before it)."""
    text = text.rstrip()
    bare = text.rstrip("#")
    if bare != text and (not bare or bare[-1] in " \t"):
        return bare.rstrip()
    return text


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


def _short(text: str, printable: bool) -> str:
    """A heading, list item or cell for print: one block, so cut at BLOCK_CHARS."""
    if printable and len(text) > BLOCK_CHARS:
        return text[: BLOCK_CHARS - 1] + "…"
    return text


def _list_html(tag: str, items: list[str], printable: bool) -> str:
    """A list; for print, in runs of LIST_ITEMS, numbers going on from one to the next."""
    step = LIST_ITEMS if printable else max(1, len(items))
    out = []
    for first in range(0, len(items), step):
        start = f' start="{first + 1}"' if tag == "ol" and first else ""
        body = "".join(f"<li>{item}</li>" for item in items[first : first + step])
        out.append(f"<{tag}{start}>{body}</{tag}>")
    return "\n".join(out)


def markdown_to_html(text: str, cite: Cite, printable: bool = False, depth: int = 0) -> str:
    """HTML for an answer; unknown constructs come out as escaped paragraphs.

    ``printable`` keeps every block to BLOCK_CHARS and every list to LIST_ITEMS, for Qt's
    layout: a long paragraph is split, a long heading, item or cell is cut."""
    lines = text.replace("\r\n", "\n").split("\n")
    out: list[str] = []
    paragraph: list[str] = []
    i = 0

    def close_paragraph() -> None:
        if not paragraph:
            return
        groups: list[list[str]] = [[]]
        size = 0
        for line in paragraph:
            for piece in pieces(line, BLOCK_CHARS) if printable else [line]:
                if printable and groups[-1] and size + len(piece) > BLOCK_CHARS:
                    groups.append([])
                    size = 0
                groups[-1].append(piece)
                size += len(piece)
        for group in groups:
            out.append("<p>" + "<br>\n".join(inline_html(p, cite) for p in group) + "</p>")
        paragraph.clear()

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("```") or stripped.startswith("~~~"):
            close_paragraph()
            fence = stripped[:3]
            body: list[str] = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(fence):
                body += pieces(lines[i], BLOCK_CHARS) if printable else [lines[i]]
                i += 1
            out.append("<pre><code>" + escape("\n".join(body)) + "</code></pre>")
            i += 1
            continue
        if not stripped:
            close_paragraph()
        elif heading := _HEADING.match(stripped):
            close_paragraph()
            level = min(len(heading.group(1)) + 2, 6)  # the notebook owns h1 and h2
            shown = _short(_heading_text(heading.group(2)), printable)
            out.append(f"<h{level}>{inline_html(shown, cite)}</h{level}>")
        elif _RULE.match(line):
            close_paragraph()
            out.append("<hr>")
        elif _BULLET.match(line) or _NUMBERED.match(line):
            close_paragraph()
            numbered = bool(_NUMBERED.match(line))
            pattern = _NUMBERED if numbered else _BULLET
            items: list[str] = []
            while i < len(lines) and (m := pattern.match(lines[i])):
                items.append(inline_html(_short(m.group(m.lastindex or 1), printable), cite))
                i += 1
            out.append(_list_html("ol" if numbered else "ul", items, printable))
            continue
        elif stripped.startswith(">") and depth < QUOTE_DEPTH:
            close_paragraph()
            quoted: list[str] = []
            while i < len(lines) and lines[i].strip().startswith(">"):
                quoted.append(lines[i].strip()[1:].lstrip())
                i += 1
            inner = markdown_to_html(chr(10).join(quoted), cite, printable, depth + 1)
            out.append(f"<blockquote>{inner}</blockquote>")
            continue
        elif "|" in stripped and i + 1 < len(lines) and _TABLE_RULE.match(lines[i + 1]):
            close_paragraph()

            def row(line: str, tag: str) -> str:
                cells = (inline_html(_short(c, printable), cite) for c in _cells(line))
                return "".join(f"<{tag}>{c}</{tag}>" for c in cells)

            head = row(line, "th")
            rows: list[str] = []
            i += 2
            while i < len(lines) and "|" in lines[i] and lines[i].strip():
                rows.append(f"<tr>{row(lines[i], 'td')}</tr>")
                i += 1
            out.append(
                f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            )
            continue
        else:
            paragraph.append(stripped)
        i += 1
    close_paragraph()
    return "\n".join(out)

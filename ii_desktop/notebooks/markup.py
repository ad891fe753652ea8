"""Answers are Markdown; exports turn their cited URLs into numbered citations.

``cite_markdown`` keeps Markdown and numbers citations; ``markdown_to_html`` renders the
subset the model writes (headings, paragraphs, lists, quotes, code, pipe tables, links,
bold, italic) into HTML where every piece of text is escaped and only http(s) links
survive. No markdown library: the output must be safe and self-contained.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape

Cite = Callable[[str], int | None]

_TRAILING = ".,;:!?'\""
_INLINE = re.compile(
    r"(?P<code>`[^`\n]+`)"
    r"|(?P<link>\[(?P<label>[^\]\n]+)\]\((?P<href>https?://[^\s)]+)\))"
    r"|(?P<url>https?://[^\s<>\"'\])}]+)",
    re.IGNORECASE,
)
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*(?=\S)([^*]+?)(?<=\S)\*(?!\*)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s{0,3}[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s{0,3}(\d{1,9})[.)]\s+(.*)$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def _split_url(url: str) -> tuple[str, str]:
    bare = url.rstrip(_TRAILING)
    return bare, url[len(bare) :]


def cite_markdown(text: str, cite: Cite) -> str:
    """Markdown with each cited URL numbered: a bare URL becomes ``[[n]](url)``, a link
    gets `` [n]`` after it. URLs the run never came across are left as written."""

    def replace(m: re.Match[str]) -> str:
        if m.group("link"):
            n = cite(m.group("href"))
            return m.group(0) + (f" [{n}]" if n else "")
        if m.group("url"):
            url, trailing = _split_url(m.group("url"))
            n = cite(url)
            return (f"[[{n}]]({url})" if n else url) + trailing
        return m.group(0)

    return _INLINE.sub(replace, text)


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


def markdown_to_html(text: str, cite: Cite) -> str:
    """HTML for an answer; unknown constructs come out as escaped paragraphs."""
    lines = text.replace("\r\n", "\n").split("\n")
    out: list[str] = []
    paragraph: list[str] = []
    i = 0

    def close_paragraph() -> None:
        if paragraph:
            out.append("<p>" + "<br>\n".join(inline_html(p, cite) for p in paragraph) + "</p>")
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
                body.append(lines[i])
                i += 1
            out.append("<pre><code>" + escape("\n".join(body)) + "</code></pre>")
            i += 1
            continue
        if not stripped:
            close_paragraph()
        elif heading := _HEADING.match(stripped):
            close_paragraph()
            level = min(len(heading.group(1)) + 2, 6)  # the notebook owns h1 and h2
            out.append(f"<h{level}>{inline_html(heading.group(2), cite)}</h{level}>")
        elif _RULE.match(line):
            close_paragraph()
            out.append("<hr>")
        elif _BULLET.match(line) or _NUMBERED.match(line):
            close_paragraph()
            numbered = bool(_NUMBERED.match(line))
            pattern = _NUMBERED if numbered else _BULLET
            items: list[str] = []
            while i < len(lines) and (m := pattern.match(lines[i])):
                items.append(inline_html(m.group(m.lastindex or 1), cite))
                i += 1
            tag = "ol" if numbered else "ul"
            out.append(f"<{tag}>" + "".join(f"<li>{item}</li>" for item in items) + f"</{tag}>")
            continue
        elif stripped.startswith(">"):
            close_paragraph()
            quoted: list[str] = []
            while i < len(lines) and lines[i].strip().startswith(">"):
                quoted.append(lines[i].strip()[1:].lstrip())
                i += 1
            out.append(f"<blockquote>{markdown_to_html(chr(10).join(quoted), cite)}</blockquote>")
            continue
        elif "|" in stripped and i + 1 < len(lines) and _TABLE_RULE.match(lines[i + 1]):
            close_paragraph()
            head = "".join(f"<th>{inline_html(c, cite)}</th>" for c in _cells(line))
            rows: list[str] = []
            i += 2
            while i < len(lines) and "|" in lines[i] and lines[i].strip():
                cells = "".join(f"<td>{inline_html(c, cite)}</td>" for c in _cells(lines[i]))
                rows.append(f"<tr>{cells}</tr>")
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

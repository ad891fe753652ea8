"""Citations in an answer: the model's ``[URL]`` becomes a numbered link to its source.

``link_citations`` rewrites Markdown for display: each cited URL that is one of the
run's sources becomes ``[[n]](cite:n)``; a source the run only saw in search results
and never read is marked ``[[n?]](cite:n)`` (unverified), and one whose page may not
hold what the citing sentence says ``[[n*]](cite:n)`` (weak support). URLs that are no source stay
as they are. Markdown links the model wrote keep their text.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from ii_desktop.agent.answers import _trim
from ii_desktop.agent.sources import url_key

_URL = r"https?://[^\s<>\"'\]\[]+"
_GROUP = re.compile(r"\[\s*(" + _URL + r"(?:\s*[,;]\s*" + _URL + r")*)\s*\](?!\()", re.I)
_PAREN = re.compile(r"(?<![\]\w])\(\s*(" + _URL + r")\s*\)", re.I)


@dataclass(frozen=True)
class Cited:
    n: int
    read: bool  # the run visited the page (else it only appeared in search results)
    weak: bool = False  # the page may not hold what the citing sentence says


def _key(url: str) -> str:
    return _trim(url).rstrip("/").lower()


def _link(url: str, sources: Mapping[str, Cited]) -> str | None:
    cited = sources.get(_key(url))
    if cited is None:
        return None
    mark = "" if cited.read and not cited.weak else "?" if not cited.read else "*"
    return f"[[{cited.n}{mark}]](cite:{cited.n})"


def source_index(sources: Mapping[str, tuple[int, bool, bool]]) -> dict[str, Cited]:
    """``url -> (n, read, weak)`` to the lookup ``link_citations`` takes."""
    return {_key(url): Cited(n, read, weak) for url, (n, read, weak) in sources.items()}


def link_citations(markdown: str, sources: Mapping[str, Cited]) -> str:
    if not sources or "http" not in markdown:
        return markdown

    def group(match: re.Match[str]) -> str:
        urls = re.split(r"\s*[,;]\s*", match.group(1))
        links = [_link(u, sources) for u in urls]
        if any(link is None for link in links):
            return match.group(0)
        return "".join(link for link in links if link)

    def paren(match: re.Match[str]) -> str:
        link = _link(match.group(1), sources)
        return link if link is not None else match.group(0)

    return _PAREN.sub(paren, _GROUP.sub(group, markdown))


# --- numbered markers for show, exports and the transcript ---------------------------

Style = Literal["text", "markdown", "html"]


@dataclass(frozen=True)
class Numbered:
    """One source in a run's numbered list."""

    n: int
    url: str
    title: str = ""


# a link's target: parentheses in it only in balanced pairs, as in ".../Seine_(river)"
_HREF = r"https?://(?:[^\s<>\"'\[\]()]|\([^\s<>\"'\[\]()]*\))+"
_SEP = re.compile(r"\s*[,;]\s*")
_URL_RE = re.compile(_URL, re.I)
# one pass over a line finds, leftmost first: a Markdown link, a group of URLs in
# brackets or parentheses, an autolink, the model's own "[2]" or "[1, 3]", a bare URL
_CITE = re.compile(
    r"(?P<link>\[(?P<label>[^\[\]\n]+)\]\((?P<href>" + _HREF + r")\))"
    r"|(?P<group>\[\s*(?P<gurls>" + _URL + r"(?:\s*[,;]\s*" + _URL + r")*)\s*\](?![(:]))"
    r"|(?<![\]\w])(?P<paren>\(\s*(?P<purls>" + _URL + r"(?:\s*[,;]\s*" + _URL + r")*)\s*\))"
    r"|(?P<auto><(?P<aurl>" + _URL + r")>)"
    r"|(?P<nums>\[(?P<ns>\d{1,4}(?:\s*[,;]\s*\d{1,4})*)\](?![(:\[]))"
    r"|(?P<bare>" + _URL + r")",
    re.I,
)
_LINKED = re.compile(r"\[([^\[\]\n]*)\]\(\s*" + _URL + r"\s*\)", re.I)
_TICKS = re.compile(r"`+")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
# "## References", "**Sources:**", "References:": the heading of a reference list
_HEADING = re.compile(r"^\s{0,3}(?:#{1,6}\s+)?[*_]{0,2}\s*([A-Za-z ]{4,20}?)[\s:*_#]*$")
_REFERENCE_WORDS = {"references", "sources", "citations", "bibliography", "works cited", "links"}
_ENTRY = re.compile(
    r"^\s{0,3}(?:[-*+]\s+)?(?:(?P<num>\d{1,4})[.)]\s+|\[(?P<bnum>\d{1,4})\]:?\s*)(?P<body>.*)$"
)
_BULLET_ENTRY = re.compile(r"^\s{0,3}[-*+]\s+(?P<body>.*)$")
_ASCII_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_URL_ESCAPES = frozenset(' ()<>[]`"\\')


def markdown_url(url: str) -> str:
    """An http(s) URL as a Markdown link target: nothing in it can end the link."""
    return "".join(
        f"%{ord(ch):02X}" if ch in _URL_ESCAPES or ch.isspace() else ch for ch in url.strip()
    )


def _md_escape(text: str) -> str:
    """Text that Markdown shows as written: every ASCII punctuation mark escaped."""
    return "".join("\\" + ch if ch in _ASCII_PUNCT else ch for ch in text)


class SourceNumbers:
    """A run's numbered sources, found by URL (scheme, ``www.``, case of the host and a
    trailing slash aside). ``resolved`` adds what the run itself resolved (URL -> n)."""

    def __init__(
        self, sources: Iterable[Numbered], resolved: Mapping[str, int] | None = None
    ) -> None:
        self.by_n = {s.n: s for s in sources}
        self._by_key = {url_key(s.url): s.n for s in self.by_n.values()}
        for url, n in (resolved or {}).items():
            if n in self.by_n:
                self._by_key.setdefault(url_key(url), n)

    def number(self, url: str) -> int | None:
        return self._by_key.get(url_key(_trim(url)))

    def title(self, n: int) -> str:
        source = self.by_n.get(n)
        return source.title if source else ""


class _Lookup(SourceNumbers):
    """Numbers from a lookup function alone (no titles)."""

    def __init__(self, cite: Callable[[str], int | None]) -> None:
        super().__init__(())
        self.cite = cite

    def number(self, url: str) -> int | None:
        return self.cite(_trim(url))


def _marker(n: int, url: str, style: Style) -> str:
    if style == "text":
        return f"[{n}]"
    if style == "markdown":
        return f"[{n}]({markdown_url(url)})"
    return f"[\\[{n}\\]]({markdown_url(url)})"  # markdown-it makes it an "[n]" link


def _is_reference_heading(line: str) -> bool:
    m = _HEADING.match(line)
    return m is not None and " ".join(m.group(1).lower().split()) in _REFERENCE_WORDS


def _code_spans(line: str) -> list[tuple[int, int]]:
    """Where the code spans of a line are: a run of backticks closes at the next run
    of the same length (each run looked at once, so hostile lines stay linear)."""
    runs = [(m.start(), m.end()) for m in _TICKS.finditer(line)]
    spans: list[tuple[int, int]] = []
    following: dict[int, list[int]] = {}
    for k, (start, end) in enumerate(runs):
        following.setdefault(end - start, []).append(k)
    used = -1
    for k, (start, end) in enumerate(runs):
        if k <= used:
            continue
        same = following.get(end - start, [])
        at = bisect.bisect_right(same, k)
        if at < len(same):
            used = same[at]
            spans.append((start, runs[used][1]))
    return spans


class _Renderer:
    def __init__(self, numbers: SourceNumbers, style: Style) -> None:
        self.numbers = numbers
        self.style = style
        self.model_numbers: dict[int, str] = {}  # the answer's own [k] -> URL

    def mark(self, url: str) -> str | None:
        n = self.numbers.number(url)
        return None if n is None else _marker(n, _trim(url), self.style)

    def marks(self, urls: str) -> str | None:
        found = [self.mark(u) for u in _SEP.split(urls.strip())]
        if any(m is None for m in found):
            return None
        return "".join(m for m in found if m)

    def cite(self, m: re.Match[str]) -> str:
        whole = m.group(0)
        if m.group("link"):
            mark = self.mark(m.group("href"))
            if self.style == "text":
                return m.group("label") + (f" {mark}" if mark else f" ({m.group('href')})")
            return whole + (f" {mark}" if mark else "")
        if m.group("group") or m.group("paren"):
            marks = self.marks(m.group("gurls") or m.group("purls"))
            return marks if marks is not None else whole
        if m.group("auto"):
            return self.mark(m.group("aurl")) or whole
        if m.group("nums"):
            urls = [self.model_numbers.get(int(k)) for k in _SEP.split(m.group("ns"))]
            if not urls or any(u is None for u in urls):
                return whole
            return "".join(self.mark(u) or u for u in urls if u)
        url = _trim(whole)
        mark = self.mark(url)
        if mark is None:  # no source: as written (for HTML, a link to it)
            mark = f"<{url}>" if self.style == "html" and url else url
        return mark + whole[len(url) :]

    def prose(self, text: str) -> str:
        return _CITE.sub(self.cite, text)

    def line(self, line: str) -> str:
        out, pos = [], 0
        for start, end in _code_spans(line):
            out += [self.prose(line[pos:start]), line[start:end]]
            pos = end
        out.append(self.prose(line[pos:]))
        return "".join(out)

    def entry(self, body: str) -> str | None:
        """A reference entry with its one URL: ``[n] Title — URL``, the URL in view."""
        urls = {_trim(u) for u in _URL_RE.findall(body)}
        if len(urls) != 1:
            return None
        url = urls.pop()
        n = self.numbers.number(url)
        title = _LINKED.sub(r" \1 ", body)  # "[Title](URL)" keeps its title
        title = _URL_RE.sub(" ", title.replace("<", " ").replace(">", " "))
        title = re.sub(r"\(\s*\)", " ", title)
        title = title.replace("[", " ").replace("]", " ").replace("`", " ")
        title = " ".join(title.split()).strip(" -–—:|,;.*_")
        if not title and n is not None:
            title = self.numbers.title(n)
        number = "" if n is None else f"[{n}] "
        if self.style == "text":
            return f"{number}{title} — {url}" if title else f"{number}{url}"
        if self.style == "markdown":
            return f"- {number}{title} — {url}" if title else f"- {number}{url}"
        shown = f"[{_md_escape(url)}]({markdown_url(url)})"
        number = _md_escape(number)
        return f"- {number}{_md_escape(title)} — {shown}" if title else f"- {number}{shown}"


def number_citations(
    answer: str,
    sources: SourceNumbers | Iterable[Numbered] | Callable[[str], int | None],
    style: Style = "text",
) -> str:
    """An answer with each citation as a numbered marker matching the run's sources.

    The model cites as ``[URL]``, ``(URL)``, a bare URL, a Markdown link, or as ``[k]``
    pointing into a numbered reference list of its own; each cited source becomes
    ``[n]`` (``style="text"``, for terminals), ``[n](url)`` (``"markdown"``) or
    Markdown that renders as an ``[n]`` link (``"html"``), ``n`` being the run's number
    for it. A reference list (under a heading such as "References", or lines that start
    with ``[k]``) becomes ``[n] Title — URL`` entries, the URL in view. A URL that is
    none of the run's sources stays as written; code is left alone.
    """
    if isinstance(sources, SourceNumbers):
        numbers = sources
    elif callable(sources):
        numbers = _Lookup(sources)
    else:
        numbers = SourceNumbers(sources)
    renderer = _Renderer(numbers, style)
    lines = answer.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    # first the answer's own numbering, so that its "[k]" can be read anywhere
    in_refs = False
    kinds: list[str] = []  # per line: code, entry or prose
    fence = ""
    for line in lines:
        opened = _FENCE.match(line)
        if fence:
            kinds.append("code")
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = ""
            continue
        if opened:
            fence = opened.group(1)
            kinds.append("code")
            continue
        if line.lstrip().startswith("#") or _is_reference_heading(line):
            in_refs = _is_reference_heading(line)
            kinds.append("prose")
            continue
        m = _ENTRY.match(line)
        if m and (in_refs or m.group("bnum")) and _URL_RE.search(m.group("body")):
            urls = {_trim(u) for u in _URL_RE.findall(m.group("body"))}
            if len(urls) == 1:
                renderer.model_numbers[int(m.group("num") or m.group("bnum"))] = urls.pop()
                kinds.append("entry")
                continue
        b = _BULLET_ENTRY.match(line)
        if in_refs and b and len({_trim(u) for u in _URL_RE.findall(b.group("body"))}) == 1:
            kinds.append("entry")
            continue
        kinds.append("prose")
    out = []
    for line, kind in zip(lines, kinds, strict=True):
        if kind == "code":
            out.append(line)
        elif kind == "entry":
            m = _ENTRY.match(line) or _BULLET_ENTRY.match(line)
            body = m.group("body") if m else line
            out.append(renderer.entry(body) or renderer.line(line))
        else:
            out.append(renderer.line(line))
    return "\n".join(out)

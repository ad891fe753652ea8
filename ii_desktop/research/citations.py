"""Citations in an answer: the model's ``[URL]`` becomes a numbered link to its source.

``link_citations`` rewrites Markdown for display: each cited URL that is one of the
run's sources becomes ``[[n]](cite:n)``; a source the run only saw in search results
and never read is marked ``[[n?]](cite:n)`` (unverified). URLs that are no source stay
as they are. Markdown links the model wrote keep their text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ii_desktop.agent.answers import _trim

_URL = r"https?://[^\s<>\"'\]\[]+"
_GROUP = re.compile(r"\[\s*(" + _URL + r"(?:\s*[,;]\s*" + _URL + r")*)\s*\](?!\()", re.I)
_PAREN = re.compile(r"(?<![\]\w])\(\s*(" + _URL + r")\s*\)", re.I)


@dataclass(frozen=True)
class Cited:
    n: int
    read: bool  # the run visited the page (else it only appeared in search results)


def _key(url: str) -> str:
    return _trim(url).rstrip("/").lower()


def _link(url: str, sources: Mapping[str, Cited]) -> str | None:
    cited = sources.get(_key(url))
    if cited is None:
        return None
    mark = "" if cited.read else "?"
    return f"[[{cited.n}{mark}]](cite:{cited.n})"


def source_index(sources: Mapping[str, tuple[int, bool]]) -> dict[str, Cited]:
    """``url -> (n, read)`` to the lookup ``link_citations`` takes."""
    return {_key(url): Cited(n, read) for url, (n, read) in sources.items()}


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

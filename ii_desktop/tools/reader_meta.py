"""A page's title, byline and date, from the places publishers put them.

Sources in order of trust: Open Graph and article meta tags, schema.org JSON-LD, then
the visible page (the first ``<h1>``, a ``<time>`` element, a byline element), then
the ``<title>`` with the site name cut off.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml.html import HtmlElement

_SITE_SEPARATORS = re.compile(r"\s+(?:\||-|–|—|::|·|»)\s+")
_BY = re.compile(r"^\s*(?:by|von|par|por|di|door|av|af|przez|автор:?)\s+", re.IGNORECASE)
_ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")
_ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "blogposting",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "techarticle",
    "scholarlyarticle",
    "report",
    "webpage",
    "posting",
    "socialmediaposting",
    "liveblogposting",
}


@dataclass(frozen=True)
class PageMeta:
    title: str = ""
    byline: str = ""
    date: str = ""
    headline: str = ""  # the first <h1>, which may differ from the title


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _meta(root: HtmlElement, *keys: str) -> str:
    wanted = {k.lower() for k in keys}
    for el in root.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").lower()
        if key in wanted:
            value = _clean(el.get("content"))
            if value:
                return value
    return ""


def _json_ld(root: HtmlElement) -> Iterator[dict[str, Any]]:
    for script in root.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                stack.extend(v for k, v in item.items() if k == "@graph")
                kinds = item.get("@type", "")
                kinds = kinds if isinstance(kinds, list) else [kinds]
                if any(str(k).lower() in _ARTICLE_TYPES for k in kinds):
                    yield item


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return _names(value.get("name"))
    if isinstance(value, list):
        return [n for v in value for n in _names(v)]
    return []


def _title_from_tag(text: str) -> str:
    # "Headline | Site" and "Site - Headline": the headline is the longest part
    parts = [p for p in _SITE_SEPARATORS.split(text) if p.strip()]
    return max(parts, key=len).strip() if len(parts) > 1 else text


def _first_h1(root: HtmlElement) -> str:
    for h1 in root.iter("h1"):
        text = _clean(h1.text_content()).rstrip("¶#").strip()
        if text:
            return text
    return ""


def find_title(root: HtmlElement, ld: list[dict[str, Any]]) -> str:
    for candidate in (
        _meta(root, "og:title", "twitter:title"),
        next((_clean(str(i["headline"])) for i in ld if i.get("headline")), ""),
    ):
        if candidate:
            return _title_from_tag(candidate) if len(candidate) > 20 else candidate
    h1 = _first_h1(root)
    tag = root.find(".//title")
    title = _clean(tag.text_content()) if tag is not None else ""
    if h1 and (not title or h1.lower() in title.lower() or len(h1) > 15):
        return h1
    return _title_from_tag(title) if title else h1


def find_byline(root: HtmlElement, ld: list[dict[str, Any]]) -> str:
    for item in ld:
        names = _names(item.get("author"))
        if names:
            return ", ".join(dict.fromkeys(_clean(n) for n in names if n))
    value = _meta(root, "author", "article:author", "parsely-author", "dc.creator", "byl")
    if value and not value.startswith("http"):
        return _BY.sub("", value)
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.get("rel") == "author" or el.get("itemprop") == "author":
            text = _clean(el.text_content())
            if 0 < len(text) < 80:
                return _BY.sub("", text)
    return ""


def find_date(root: HtmlElement, ld: list[dict[str, Any]]) -> str:
    value = _meta(
        root,
        "article:published_time",
        "og:published_time",
        "datepublished",
        "date",
        "pubdate",
        "publish-date",
        "dc.date",
        "dc.date.issued",
        "sailthru.date",
    )
    if not value:
        value = next((str(i["datePublished"]) for i in ld if i.get("datePublished")), "")
    if not value:
        for el in root.iter("time"):
            value = _clean(el.get("datetime") or el.text_content())
            if value:
                break
    match = _ISO_DATE.match(value)
    return match.group(1) if match else value[:40]


def read_meta(root: HtmlElement) -> PageMeta:
    """Title, byline and date of a parsed page (run before pruning)."""
    ld = list(_json_ld(root))
    return PageMeta(
        find_title(root, ld), find_byline(root, ld), find_date(root, ld), _first_h1(root)
    )

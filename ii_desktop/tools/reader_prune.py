"""Remove a page's furniture before the article extractors look at it.

Navigation, cookie banners, share bars, newsletter boxes, comment threads, related-link
lists, captions and bylines are recognised by tag, ARIA role, hidden state and the
words in their ``class`` and ``id``. Pruning first makes both extractors faster (a
smaller tree) and more precise. One safety rule: an element holding most of the page's
long paragraphs is never removed, whatever its class says (WordPress puts words like
``has-sidebar`` on the element that wraps everything), and neither is a form, table or
section holding most of the page's text (ASP.NET pages put all of it in one ``<form>``).
An article's own ``<header>`` (headline and lede) stays, and an element named as a
caption goes only when it is short, follows a picture and credits it.
"""

from __future__ import annotations

import itertools
import re

from lxml.html import HtmlElement

DROP_TAGS = frozenset(
    "script style noscript template svg iframe form button input select textarea nav "
    "object embed canvas video audio dialog figcaption aside header footer".split()
)
# Elements that wrap a whole page on some sites; one holding most of its text stays.
WRAPPERS = frozenset(("form", "div", "table", "td", "section", "header", "aside"))
WRAPPER_SHARE = 0.6
KEEP_ALWAYS = frozenset(("html", "body", "main", "article"))
DROP_ROLES = frozenset(
    "navigation banner contentinfo complementary search dialog alertdialog menu menubar "
    "toolbar".split()
)
# Whole words of class/id values; "ad" must not match "header" or "read".
_WORDS = frozenset(
    """
    ad ads adv advert adverts advertisement advertising adslot sponsor sponsored promo promoted
    banner comment comments disqus respond replies reply cookie cookies consent gdpr cmp
    newsletter newsletters subscribe subscription signup paywall metered regwall share sharing
    shares social sharedaddy addthis shariff related recirc recommended recommendations
    outbrain taboola sidebar widget widgets rail breadcrumb breadcrumbs modal popup overlay
    byline dateline bio meta tags tagged topics credit credits pullquote
    skip navigation nav menu toc pagination pager toolbar tools print feedback affiliate
    disclosure dek subtitle standfirst kicker trending popular mostread ticker announcement
    masthead colophon footer header copyright
    """.split()
)
_JOINED = re.compile(
    r"comment(?!ary)|cookie|consent|newsletter|sidebar|advert|sponsor|social|share|breadcrumb|"
    r"paywall|promo|popup|recirc|outbrain|taboola|disqus|related|byline|authorbio|"
    r"authorbox|aboutauthor|mostread|mostpopular|readmore|readalso|moreabout|morefrom|"
    r"morestories|pullquote|signup|visuallyhidden|sronly|screenreader|aboutme|"
    r"abouttheauthor|authorinfo|authordetails|youmightalsolike|alsoread"
)
_SPLIT = re.compile(r"[^a-z0-9]+")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_LONG_P = 100  # characters: a real paragraph, not a teaser line
_CAPTION_CHARS = 400  # longer than any caption
_PICTURES = ("img", "picture", "video", "figure")
# a caption that credits its picture is the picture's furniture; one that only describes
# it, annotators of full-text benchmarks count as text
_PHOTO_CREDIT = re.compile(
    r"\b(?:photo|photograph|picture|image|foto|bild)s?\s*(?::|by\b|courtesy\b|credit\b)|"
    r"getty|reuters|\bafp\b|\bap\b|shutterstock|istock",
    re.IGNORECASE,
)


def _is_caption_name(value: str) -> bool:
    return "caption" in value.lower()


def is_boilerplate_name(value: str) -> bool:
    """Whether a class/id value names page furniture."""
    value = value.lower()
    words = [w for w in _SPLIT.split(value) if w]
    if any(w in _WORDS for w in words):
        return True
    squashed = "".join(words)
    return bool(_JOINED.search(squashed))


def _is_hidden(el: HtmlElement) -> bool:
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    style = el.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


def _should_drop(el: HtmlElement) -> bool:
    tag = el.tag
    if tag in KEEP_ALWAYS:
        return False
    if tag == "header" and _in_article(el):
        return False  # an article's own header: its headline and lede
    if tag in DROP_TAGS or _is_hidden(el):
        return True
    role = el.get("role")
    if role and role.lower() in DROP_ROLES:
        return True
    names = " ".join(v for v in (el.get("class"), el.get("id")) if v)
    if not names:
        return False
    if is_boilerplate_name(names):
        return True
    # a caption is a line or two under a picture; a "caption" element holding much more is
    # a template's mistake around the article itself
    return (
        _is_caption_name(names)
        and len(el.text_content()) < _CAPTION_CHARS
        and _follows_a_picture(el)
        and bool(_PHOTO_CREDIT.search(el.text_content()))
    )


def _follows_a_picture(el: HtmlElement) -> bool:
    for before in itertools.islice(el.itersiblings(preceding=True), 1):
        if before.tag in _PICTURES or any(True for _ in before.iter(*_PICTURES)):
            return True
    return False


def _in_article(el: HtmlElement) -> bool:
    return any(a.tag in ("article", "main") for a in el.iterancestors())


def prune(root: HtmlElement) -> HtmlElement:
    """Remove furniture from ``root`` in place and return it."""
    long_paragraphs = {
        p for p in root.iter("p") if len(p.text_content()) >= _LONG_P and not _is_hidden(p)
    }
    total = sum(len(p.text_content()) for p in long_paragraphs)
    page_chars = _text_chars(root)
    doomed: list[HtmlElement] = []
    skip_below: set[HtmlElement] = set()
    for el in root.iter():
        if not isinstance(el.tag, str):
            if el.getparent() is not None:
                doomed.append(el)  # comments and processing instructions
            continue
        parent = el.getparent()
        if parent is not None and parent in skip_below:
            skip_below.add(el)  # already going with its ancestor
            continue
        if _should_drop(el) and not _holds_article(el, long_paragraphs, total, page_chars):
            doomed.append(el)
            skip_below.add(el)
    for el in doomed:
        _remove(el)
    return root


def _text_chars(el: HtmlElement) -> int:
    return sum(len(t.strip()) for t in el.itertext())


def _holds_article(
    el: HtmlElement, long_paragraphs: set[HtmlElement], total: int, page_chars: int
) -> bool:
    if el.tag in WRAPPERS and page_chars and _text_chars(el) >= WRAPPER_SHARE * page_chars:
        return True  # a form or section around the whole page (ASP.NET pages, old layouts)
    if not total:
        return False
    inside = sum(len(p.text_content()) for p in el.iter("p") if p in long_paragraphs)
    return inside * 2 >= total


def _remove(el: HtmlElement) -> None:
    # keep the tail text: it belongs to the parent, not to the removed element
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail and tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)

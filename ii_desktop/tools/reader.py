"""Find a page's article: the text a reader came for, without the page around it.

The page is parsed once. Its furniture is pruned (``reader_prune``), then two
extractors vote on the same pruned tree: readability-lxml (good at finding the one
container that holds the article) and trafilatura (good at dropping boilerplate inside
it). Votes are counted per block of the page (``reader_blocks``):

- blocks both extractors keep form the core of the article;
- a block only one keeps is taken when it lies inside the core, or next to it and
  reads like prose (a lede one extractor skipped, a list the other dropped);
- titles, bylines, captions, photo credits, teasers for other pages, "Advertisement"
  and link-only lines are dropped anyway, and so is a heading or lead-in line left
  dangling at the end;
- when the vote keeps far less than one extractor found (directory pages, table
  layouts), that extractor's blocks are taken instead.

When the vote finds too little (a page that is not an article), every prose block of
the pruned page is kept instead.
"""

from __future__ import annotations

import copy
import itertools
import logging
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

from ii_desktop.tools.reader_blocks import Block, linearize
from ii_desktop.tools.reader_charset import decode_body
from ii_desktop.tools.reader_meta import PageMeta, read_meta
from ii_desktop.tools.reader_prune import prune
from ii_desktop.tools.reader_text import render_markdown, render_text

log = logging.getLogger(__name__)
# Both extractors log a warning for every page they find nothing in; for this app that
# is an ordinary outcome the vote handles, not something to show the user.
for _name in ("trafilatura", "readability", "htmldate", "courlan"):
    logging.getLogger(_name).setLevel(logging.ERROR)

_WORD = re.compile(r"\w+")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?:;\"'”’»)。！？]$")
# Lines that are page furniture by their opening words...
_NOISE_START = re.compile(
    r"^(?:read more|read also|also read|see also|more:|sign up|subscribe\b|follow us|"
    r"click here|(?:photos?|image|picture|credit|source|foto|bild|quelle)\s*:|getty images|"
    r"©|copyright\b|all rights reserved|skip to|back to top|"
    r"(?:updated|posted|published|last updated)\s*(?::|on\b|at\b|\d)|"
    # teasers for other pages, in the languages of the pages the app reads most
    r"(?:lesen sie auch|lies auch|schon gelesen|mehr zum thema|mehr themen|weitere artikel|"
    r"auch interessant|das könnte (?:dich|sie) auch interessieren|vorschau auf|"
    r"à lire aussi|lire aussi|voir aussi|leer más|lee también|notas relacionadas)\b|"
    r"(?:follow|like) (?:us|[\w .]{1,40}) on (?:twitter|facebook|instagram)|"
    r"(?:download|get) (?:the|our) [\w .]{1,40} apps?\b)",
    re.IGNORECASE,
)
# ...or by being nothing but a label.
_NOISE_LINE = re.compile(
    r"^(?:advertisement|advertising|anzeige|werbung|publicité|publicidad|pubblicità|реклама|"
    r"sponsored(?: content)?|share(?: this(?: story| article)?)?|related(?: articles| stories)?|"
    r"recommended(?: for you)?|loading|print|email|tweet)\W*$",
    re.IGNORECASE,
)
# A photo credit on a line of its own: an agency or a stock library, a slash between names.
_CREDIT = re.compile(
    r"(?:getty ?images|istock(?:photo)?(?:\.com)?|shutterstock|imago|picture[ -]alliance|"
    r"\bdpa\b|\bafp\b|\breuters\b|\bap photo\b|\bkeystone\b|\bepa\b|bestimage)",
    re.IGNORECASE,
)
_BYLINE = re.compile(
    r"^(?i:by|von|par|por|di|door|av)\s+[A-ZÀ-ÖØ-ÞА-Я][\w.'-]*(?:\s+[A-ZÀ-ÖØ-ÞА-Я]|\s*[,·|]|$)"
)
_DATE_LIKE = re.compile(
    r"\b(?:\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{4}-\d{2}-\d{2}|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2},? \d{4}|"
    r"\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{4})\b",
    re.IGNORECASE,
)
MIN_ARTICLE_CHARS = 250  # below this the vote has probably missed the article
# A page is read up to this many elements and the rest is dropped: every step after the
# parse grows with the tree, and no article needs more (a long encyclopedia page has
# about 30,000, most of them reference links at the end).
MAX_ELEMENTS = 30_000
# Text both extractors left out, between kept blocks, that still does not end the article
# (a reply box between two posts, a caption between paragraphs), in words.
_MAX_GAP_WORDS = 40
_SCOPE_PARAGRAPH = 80  # characters for a paragraph to count towards the scope
# The scope is this many levels above the deepest element holding most long paragraphs:
# a lede, a teaser or a summary box often sits a few levels outside the body's container.
_SCOPE_LEVELS_UP = 5
# When the vote keeps less than this share of what one extractor found, it is replaced
# by that extractor's blocks.
_SHORTFALL = 0.5


@dataclass(frozen=True)
class Article:
    title: str
    byline: str
    date: str
    blocks: tuple[Block, ...]
    text: str  # the body as clean text, one block per line
    markdown: str


def _norm(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


_local = threading.local()


def _parser() -> lxml.html.HTMLParser:
    # One parser per thread. Element classes are looked up in C rather than through
    # lxml.html's Python lookup, which otherwise costs more than the parse itself.
    parser: lxml.html.HTMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True)
        parser.set_element_class_lookup(
            etree.ElementDefaultClassLookup(element=lxml.html.HtmlElement)
        )
        _local.parser = parser
    return parser


def parse_html(text: str) -> HtmlElement | None:
    text = _XML_DECL.sub("", text.replace("\x00", ""), count=1)
    if not text.strip():
        return None
    parser = _parser()
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError):
        return None
    except etree.XMLSyntaxError as exc:
        if _out_of_memory(exc.error_log):
            raise MemoryError from None
        raise
    # the parser recovers from a failed allocation by leaving the rest of the page out
    if _out_of_memory(parser.error_log):
        raise MemoryError
    return root if isinstance(root, HtmlElement) else None


def _out_of_memory(log: Iterable[Any]) -> bool:
    return any(e.type == etree.ErrorTypes.ERR_NO_MEMORY for e in log)


def cap_elements(root: HtmlElement, limit: int) -> bool:
    """Cut the tree after its first ``limit`` elements in document order; whether it was cut."""
    cut = next(itertools.islice(root.iter(), limit, None), None)
    if cut is None:
        return False
    node: HtmlElement | None = cut
    first = True
    while node is not None:
        parent = node.getparent()
        if parent is None:
            break
        # everything after the cut goes: its own later siblings, then each ancestor's
        for later in list(node.itersiblings()):
            parent.remove(later)
        if first:
            parent.remove(node)
            first = False
        node = parent
    return True


def read_html(html: bytes | str, url: str = "", charset: str | None = None) -> Article:
    """The article of an HTML page (bytes are decoded with ``charset`` or detection)."""
    text = html if isinstance(html, str) else decode_body(html, charset)
    root = parse_html(text)
    if root is None:
        return Article("", "", "", (), "", "")
    cap_elements(root, MAX_ELEMENTS)
    meta = read_meta(root)
    prune(root)
    scope = article_scope(root)
    kept = select_blocks(scope, linearize(scope, url), meta, url)
    if sum(len(b.text) for b in kept) < MIN_ARTICLE_CHARS:
        kept = _fallback(kept, linearize(root, url), meta)
    return Article(
        meta.title,
        meta.byline,
        meta.date,
        tuple(kept),
        render_text(kept),
        render_markdown(kept),
    )


def load_extractors() -> None:
    """Import the extractors ahead of the first page (together about 0.3 s of imports
    that hold the interpreter): the window does it on a background thread at start, so
    a run's first visit does not stall the window."""
    import readability  # noqa: F401

    try:
        import trafilatura  # noqa: F401
    except ImportError:
        pass


def _readability_lines(root: HtmlElement, url: str) -> list[str]:
    from readability import Document

    try:
        summary = Document(copy.deepcopy(root)).summary(html_partial=True)
        fragment = lxml.html.fragment_fromstring(summary, create_parent="div")
    except MemoryError:
        raise  # the page is over the memory cap: not a page readability cannot read
    except Exception as exc:  # readability raises bare Exceptions on odd pages
        log.debug("readability failed: %s", exc)
        return []
    return [b.text for b in linearize(fragment, url)]


def _trafilatura_lines(root: HtmlElement, url: str) -> list[str]:
    try:
        import trafilatura
    except ImportError:
        return []
    try:
        doc = trafilatura.bare_extraction(
            root,
            url=url or None,
            fast=True,
            include_comments=False,
            include_tables=True,
            with_metadata=False,
            # precision mode skips trafilatura's second, recall-oriented pass: readability's
            # vote already covers recall, and the pass doubles the time on busy pages
            favor_precision=True,
        )
    except MemoryError:
        raise
    except Exception as exc:
        log.debug("trafilatura failed: %s", exc)
        return []
    text = getattr(doc, "text", None) or ""
    return text.splitlines()


class _Votes:
    """Which blocks one extractor's output contains."""

    def __init__(self, lines: Sequence[str]) -> None:
        normed = [_norm(line) for line in lines]
        self.lines = {n for n in normed if n}
        self.joined = " " + " ".join(n for n in normed if n) + " "
        self.empty = not self.lines

    def has(self, norm: str) -> bool:
        if not norm:
            return False
        if norm in self.lines:
            return True  # the common case, without scanning the whole text for it
        if norm.count(" ") < 3:  # short blocks must match a whole line
            return False
        return f" {norm} " in self.joined


def _is_prose(block: Block) -> bool:
    words = block.text.count(" ") + 1
    if block.kind in ("pre", "row"):
        return True
    return words >= 12 or (words >= 5 and bool(_SENTENCE_END.search(block.text)))


def _is_noise(block: Block, norm: str, titles: set[str], meta: PageMeta) -> bool:
    """Furniture that survives pruning: titles, bylines, labels, link lines, captions."""
    if block.kind == "caption" or norm in titles:
        return True
    text = block.text
    words = text.count(" ") + 1
    if words < 20 and (_NOISE_START.match(text) or _BYLINE.match(text)):
        return True
    if words <= 4 and _NOISE_LINE.match(text):
        return True
    if words <= 8 and _CREDIT.search(text) and not _SENTENCE_END.search(text):
        return True
    if words < 14 and _DATE_LIKE.search(text) and not _SENTENCE_END.search(text):
        return True
    if meta.byline and words < 12 and meta.byline.lower() in text.lower():
        return True
    if block.kind != "li" and words < 25 and block.link_density >= 0.6:
        return True
    # a lone word in a paragraph of its own ("Note", "Menu") is a label, not text
    return block.kind == "p" and words == 1 and not _SENTENCE_END.search(text)


def select_blocks(
    root: HtmlElement, blocks: Sequence[Block], meta: PageMeta, url: str = ""
) -> list[Block]:
    """The blocks of the article, by the vote described in the module docstring."""
    if not blocks:
        return []
    readability = _Votes(_readability_lines(root, url))
    trafilatura = _Votes(_trafilatura_lines(root, url))
    titles = {_norm(meta.title), _norm(meta.headline)} - {""}
    norms = [_norm(b.text) for b in blocks]
    noise = [_is_noise(b, n, titles, meta) for b, n in zip(blocks, norms, strict=True)]
    votes = [int(readability.has(n)) + int(trafilatura.has(n)) for n in norms]
    keep = [False] * len(blocks)
    core = [i for i, v in enumerate(votes) if v == 2]
    if core:
        lo, hi = core[0], core[-1]
        for i in range(lo, hi + 1):
            keep[i] = votes[i] > 0 and not noise[i]
        _extend(blocks, votes, noise, keep, range(lo - 1, -1, -1))
        _extend(blocks, votes, noise, keep, range(hi + 1, len(blocks)))
    else:
        # no agreement: trafilatura's precision mode is rarely wrong when it finds text
        found = sum(len(x) for x in trafilatura.lines)
        chosen = trafilatura if found >= MIN_ARTICLE_CHARS else readability
        keep = [chosen.has(n) and not noise[i] for i, n in enumerate(norms)]
    # a vote that kept far less than either extractor found has lost the article's
    # thread (a directory page, a table layout): take the larger extractor's blocks
    kept_chars = _chars(blocks, keep)
    best_chars = kept_chars
    for extractor in (readability, trafilatura):
        mine = [extractor.has(n) and not noise[i] for i, n in enumerate(norms)]
        chars = _chars(blocks, mine)
        if chars * _SHORTFALL > kept_chars and chars > best_chars:
            keep, best_chars = mine, chars
    kept = [b for b, k in zip(blocks, keep, strict=True) if k]
    while kept and _is_dangling(kept[-1]):
        kept.pop()
    return kept


def _chars(blocks: Sequence[Block], keep: Sequence[bool]) -> int:
    return sum(len(b.text) for b, k in zip(blocks, keep, strict=True) if k)


def _is_dangling(block: Block) -> bool:
    """A heading or lead-in line with nothing after it: the start of the next section
    of the page (related links, a contact box), not the end of the article."""
    if block.kind == "h":
        return True
    words = block.text.count(" ") + 1
    return words <= 8 and block.text.endswith((":", "?"))


def _fallback(kept: list[Block], blocks: Sequence[Block], meta: PageMeta) -> list[Block]:
    """Every prose block of the page, when the vote found less than that."""
    titles = {_norm(meta.title), _norm(meta.headline)} - {""}
    prose = [b for b in blocks if _is_prose(b) and not _is_noise(b, _norm(b.text), titles, meta)]
    found = sum(len(b.text) for b in prose)
    return prose if found > sum(len(b.text) for b in kept) else kept


def article_scope(root: HtmlElement) -> HtmlElement:
    """A smaller document around the article, for speed; the whole page if unsure.

    The deepest element holding at least 80% of the text of the page's long paragraphs
    is the article's container; its parent is taken so the title, lede and any box
    beside the body stay in view of the extractors.
    """
    weight: dict[HtmlElement, int] = {}
    depth: dict[HtmlElement, int] = {}
    total = 0
    for p in root.iter("p"):
        size = len(p.text_content())
        if size < _SCOPE_PARAGRAPH:
            continue
        total += size
        ancestors = list(p.iterancestors())
        for level, el in enumerate(reversed(ancestors)):
            weight[el] = weight.get(el, 0) + size
            depth[el] = level
    if not total:
        return root
    holders = [el for el, w in weight.items() if w >= 0.8 * total]
    best = max(holders, key=lambda el: depth[el])
    container = best
    for _ in range(_SCOPE_LEVELS_UP):
        parent = container.getparent()
        if parent is None:
            break
        container = parent
    if container.tag in ("html", "body"):
        return root
    doc = lxml.html.document_fromstring("<html><body></body></html>", parser=_parser())
    body = doc.find("body")
    assert body is not None
    body.append(copy.deepcopy(container))
    return doc


def _extend(
    blocks: Sequence[Block],
    votes: Sequence[int],
    noise: Sequence[bool],
    keep: list[bool],
    order: range,
) -> None:
    """Grow the core outwards over adjacent prose one extractor kept."""
    pending: list[int] = []  # headings and short lines, kept only if prose follows
    gap = 0  # words of real text both extractors left out since the last kept block
    for i in order:
        block = blocks[i]
        if noise[i]:
            continue
        if votes[i] == 0:
            words = block.text.count(" ") + 1
            if words >= 5:
                gap += words
                if gap > _MAX_GAP_WORDS:
                    return  # more text both extractors left out: the article ends here
            continue
        if gap and not _is_prose(block):
            continue  # past a gap, only prose carries the article on
        gap = 0
        if _is_prose(block) or (order.step < 0 and block.kind == "h" and keep[i + 1]):
            for j in pending:
                keep[j] = True
            pending.clear()
            keep[i] = True
        else:
            pending.append(i)

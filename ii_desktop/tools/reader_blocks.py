"""Flatten an HTML tree into the page's blocks, in reading order.

A block is one paragraph, heading, list item, quote, preformatted section or table row:
the unit that extraction keeps or drops, and that both the plain text for the model and
the markdown for the reader pane are rendered from. Inline markup is flattened to text;
in the markdown, links stay links. Text inside ``<div>``s and ``<br>`` runs (old
templates and press releases) becomes blocks of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

from lxml.html import HtmlElement

SKIP_TAGS = frozenset(
    "script style noscript template svg iframe head select option button input textarea "
    "object embed canvas video audio map math link meta title".split()
)
BLOCK_TAGS = frozenset(
    "p div section article main header footer aside nav h1 h2 h3 h4 h5 h6 ul ol li dl dt dd "
    "pre blockquote table thead tbody tfoot tr td th caption figure figcaption form hr center "
    "details summary address body html fieldset legend menu dialog".split()
)
_OWN_KIND = {"p": "p", "li": "li", "blockquote": "quote", "figcaption": "caption", "pre": "pre"}
_STICKY = ("li", "quote", "caption")  # a <p> inside a list item is still the item
_CELL_BLOCKS = frozenset("p div table ul ol h1 h2 h3 h4 h5 h6 pre blockquote section".split())
_SPACE = re.compile(r"\s+")
_MD_ESCAPE = re.compile(r"([\\`*_\[\]])")
# A page gives at most this many blocks and the walk stops there; extraction and
# rendering grow with the count, and the model reads the first 10,000 characters anyway.
MAX_BLOCKS = 20_000


@dataclass
class Block:
    kind: str  # "p", "h", "li", "quote", "pre", "row", "caption"
    text: str  # plain text, whitespace collapsed ("pre" keeps its line breaks)
    md: str  # the same with inline markdown: links, code
    level: int = 0  # heading level; list depth for items
    link_chars: int = 0  # characters of text inside links
    header_row: bool = False

    @property
    def link_density(self) -> float:
        return self.link_chars / len(self.text) if self.text else 0.0


def _collapse(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


class _Builder:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.blocks: list[Block] = []
        self._text: list[str] = []
        self._md: list[str] = []
        self._links = 0
        self.kind = "p"
        self.level = 0

    @property
    def full(self) -> bool:
        return len(self.blocks) >= MAX_BLOCKS

    def append(self, block: Block) -> None:
        if not self.full:
            self.blocks.append(block)

    def flush(self) -> None:
        text = _collapse("".join(self._text))
        if text:
            md = _collapse("".join(self._md))
            self.append(Block(self.kind, text, md, self.level, self._links))
        self._text, self._md, self._links = [], [], 0

    def add(self, text: str | None, in_link: bool = False) -> None:
        if not text:
            return
        self._text.append(text)
        self._md.append(_MD_ESCAPE.sub(r"\\\1", text))
        if in_link:
            self._links += len(text.strip())

    def add_link(self, text: str, href: str | None) -> None:
        label = _collapse(text)
        if not label:
            return
        target = _absolute(self.base_url, href)
        self._text.append(text)
        escaped = _MD_ESCAPE.sub(r"\\\1", label)
        self._md.append(f"[{escaped}]({target})" if target else escaped)
        self._links += len(label)

    def add_code(self, text: str) -> None:
        self._text.append(text)
        self._md.append(f"`{_collapse(text)}`" if text.strip() else text)


def _absolute(base_url: str, href: str | None) -> str | None:
    if not href:
        return None
    href = href.strip()
    if href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
        return None
    target = urljoin(base_url, href) if base_url else href
    return target.replace(" ", "%20").replace(")", "%29") if target.startswith("http") else None


def _has_block(el: HtmlElement) -> bool:
    return any(isinstance(d.tag, str) and d.tag in BLOCK_TAGS for d in el.iterdescendants())


def _walk(el: HtmlElement, out: _Builder, in_link: bool) -> None:
    tag = el.tag
    if not isinstance(tag, str) or tag in SKIP_TAGS or out.full:
        return
    if tag == "br" or tag == "hr":
        out.flush()
        return
    if tag == "pre":
        out.flush()
        text = "\n".join(line.rstrip() for line in el.text_content().strip("\n").splitlines())
        if text.strip():
            out.append(Block("pre", text, text, out.level))
        return
    if tag == "table" and not _is_layout_table(el):
        out.flush()
        _table(el, out)
        return
    if tag == "a" and not _has_block(el):
        out.add_link(el.text_content(), el.get("href"))
        return
    if tag in ("code", "kbd", "samp", "tt") and not _has_block(el):
        out.add_code(el.text_content())
        return
    if tag in BLOCK_TAGS:
        _block(el, out, in_link or tag == "a")
        return
    out.add(el.text, in_link)
    for child in el:
        _walk(child, out, in_link or tag == "a")
        out.add(child.tail, in_link)


def _block(el: HtmlElement, out: _Builder, in_link: bool) -> None:
    out.flush()
    saved = out.kind, out.level
    tag = el.tag
    if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
        out.kind, out.level = "h", int(tag[1])
    elif tag in ("ul", "ol", "menu"):
        out.level = out.level + 1 if out.kind == "li" else 1
    elif tag in _OWN_KIND and not (out.kind in _STICKY and tag == "p"):
        out.kind = _OWN_KIND[tag]
    elif out.kind not in _STICKY:
        out.kind = "p"
    out.add(el.text, in_link)
    for child in el:
        _walk(child, out, in_link)
        out.add(child.tail, in_link)
    out.flush()
    out.kind, out.level = saved


def _is_layout_table(table: HtmlElement) -> bool:
    # tables used for page layout hold paragraphs and other blocks in their cells
    for cell in table.iter("td", "th"):
        for d in cell.iterdescendants():
            if isinstance(d.tag, str) and d.tag in _CELL_BLOCKS:
                return True
    return False


def _table(table: HtmlElement, out: _Builder) -> None:
    for row in table.iter("tr"):
        if out.full:
            return
        cells = [c for c in row if isinstance(c.tag, str) and c.tag in ("td", "th")]
        texts = [_collapse(c.text_content()) for c in cells]
        if not any(texts):
            continue
        text = " | ".join(t for t in texts if t)
        md = "| " + " | ".join(_MD_ESCAPE.sub(r"\\\1", t).replace("|", "\\|") for t in texts) + " |"
        header = all(c.tag == "th" for c in cells)
        out.append(Block("row", text, md, 0, 0, header))


def linearize(root: HtmlElement, base_url: str = "") -> list[Block]:
    """The blocks of ``root`` in document order."""
    out = _Builder(base_url)
    body = root.find("body") if root.tag == "html" else root
    _walk(body if body is not None else root, out, False)
    out.flush()
    return out.blocks

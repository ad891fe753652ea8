"""Text of a PDF, page by page, with a marker line before each page.

Work is capped by the amount of content read: a page's drawing operators are read up
to ``MAX_PAGE_CONTENT`` bytes and the document's up to ``MAX_CONTENT``. Text drawing
costs tens of microseconds an operator, and a small compressed file can hold millions.
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from ii_desktop.tools.reader_text import clean_text

MAX_PAGES = 500  # a longer document is cut here; the model sees 10,000 characters anyway
# A page of dense text is 5-50 KB of operators; more is drawings, or a file built to stall.
MAX_PAGE_CONTENT = 256 * 1024
MAX_CONTENT = 4 * 1024 * 1024
_OPERATOR_END = re.compile(rb"\s(?:Tj|TJ|ET|'|\")(?=\s)")
_READ_ERRORS = (ValueError, KeyError, TypeError, OSError, RecursionError, AttributeError)


class PdfError(Exception):
    """A PDF that cannot be read: damaged, encrypted, or not a PDF at all."""


@dataclass(frozen=True)
class PdfInfo:
    """The document's own description of itself."""

    title: str
    author: str
    date: str


@dataclass(frozen=True)
class PdfText:
    title: str
    author: str
    date: str
    text: str  # clean text with "[Page N]" markers
    markdown: str
    pages: int


# Told of each page as it is read: the document's info and the page's clean text.
PageListener = Callable[[PdfInfo, str], None]
# The listener when none is passed, for a caller that reaches read_pdf through another
# function (a worker following a visit's reading page by page).
page_listener: ContextVar[PageListener | None] = ContextVar("page_listener", default=None)


def page_marker(number: int) -> str:
    return f"[Page {number}]"


def read_pdf(body: bytes, on_page: PageListener | None = None) -> PdfText:
    """The text of a PDF; ``on_page`` (or ``page_listener``) hears each page once read."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    listener = on_page if on_page is not None else page_listener.get()

    # pypdf reports recoverable oddities of real-world files as warnings and log lines
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("pypdf").setLevel(logging.ERROR)
        try:
            reader = PdfReader(io.BytesIO(body))
            if reader.is_encrypted and not reader.decrypt(""):
                raise PdfError("The PDF is encrypted.")
            info = _read_info(reader.metadata)
            texts: list[str] = []
            budget = MAX_CONTENT
            for index, page in enumerate(reader.pages):
                if index >= MAX_PAGES or budget <= 0:
                    break
                text, used = _page_text(page, budget)
                budget -= used
                texts.append(text)
                if listener is not None:
                    listener(info, text)
        except PdfError:
            raise
        except (PyPdfError, *_READ_ERRORS) as exc:
            raise PdfError(f"The PDF could not be read ({exc or type(exc).__name__}).") from None
    return pdf_text(info, texts)


def pdf_text(info: PdfInfo, texts: list[str]) -> PdfText:
    """The document from its info and its pages' clean texts (all of them, or the first few)."""
    title = info.title
    plain, md = [], []
    for number, text in enumerate(texts, start=1):
        if text:
            plain.append(f"{page_marker(number)}\n{text}")
            md.append(f"## Page {number}\n\n{text}")
    if not title:
        first = next((t for t in texts if t), "")
        title = first.splitlines()[0][:200] if first else ""
    return PdfText(
        title=title,
        author=info.author,
        date=info.date,
        text="\n\n".join(plain),
        markdown="\n\n".join(md),
        pages=len(texts),
    )


def _page_text(page: Any, budget: int) -> tuple[str, int]:
    """A page's clean text and the bytes of content it took from the budget."""
    from pypdf.errors import PyPdfError
    from pypdf.generic import DecodedStreamObject, NameObject

    try:
        contents = page.get_contents()
        data = contents.get_data() if contents is not None else b""
    except (PyPdfError, *_READ_ERRORS):
        data = b""  # left to extract_text, which reports what is wrong with it
    limit = min(MAX_PAGE_CONTENT, budget)
    if len(data) <= limit:
        return clean_text(page.extract_text() or ""), len(data)
    cut = DecodedStreamObject()
    cut.set_data(_cut(data, limit))
    page[NameObject("/Contents")] = cut
    try:
        text = page.extract_text() or ""
    except (PyPdfError, *_READ_ERRORS):
        text = ""  # the cut fell somewhere the parser could not recover from
    return clean_text(text), limit


def _cut(data: bytes, limit: int) -> bytes:
    """The content up to the last text operator that ends within ``limit`` bytes, with
    the text object closed there (a stray ``ET`` is harmless to the extractor)."""
    window = max(0, limit - 64 * 1024)
    ends = [m.end() for m in _OPERATOR_END.finditer(data, window, limit)]
    end = ends[-1] if ends else limit
    return data[:end] + b"\nET\n"


def _read_info(info: object) -> PdfInfo:
    return PdfInfo(_info(info, "title"), _info(info, "author"), _date(info))


def _info(info: object, name: str) -> str:
    value = getattr(info, name, None) if info is not None else None
    return " ".join(str(value).split()) if value else ""


def _date(info: object) -> str:
    try:
        created = getattr(info, "creation_date", None) if info is not None else None
    except (ValueError, TypeError):  # a malformed date string in the file
        return ""
    return created.date().isoformat() if created is not None else ""

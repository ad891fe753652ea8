"""Text of a PDF, page by page, with a marker line before each page."""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass

from ii_desktop.tools.reader_text import clean_text

MAX_PAGES = 500  # a longer document is cut here; the model sees 10,000 characters anyway


class PdfError(Exception):
    """A PDF that cannot be read: damaged, encrypted, or not a PDF at all."""


@dataclass(frozen=True)
class PdfText:
    title: str
    author: str
    date: str
    text: str  # clean text with "[Page N]" markers
    markdown: str
    pages: int


def page_marker(number: int) -> str:
    return f"[Page {number}]"


def read_pdf(body: bytes) -> PdfText:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    # pypdf reports recoverable oddities of real-world files as warnings and log lines
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("pypdf").setLevel(logging.ERROR)
        try:
            reader = PdfReader(io.BytesIO(body))
            if reader.is_encrypted and not reader.decrypt(""):
                raise PdfError("The PDF is encrypted.")
            texts = []
            for index, page in enumerate(reader.pages):
                if index >= MAX_PAGES:
                    break
                texts.append(clean_text(page.extract_text() or ""))
            info = reader.metadata
        except PdfError:
            raise
        except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
            raise PdfError(f"The PDF could not be read ({exc or type(exc).__name__}).") from None
    title = _info(info, "title")
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
        author=_info(info, "author"),
        date=_date(info),
        text="\n\n".join(plain),
        markdown="\n\n".join(md),
        pages=len(texts),
    )


def _info(info: object, name: str) -> str:
    value = getattr(info, name, None) if info is not None else None
    return " ".join(str(value).split()) if value else ""


def _date(info: object) -> str:
    try:
        created = getattr(info, "creation_date", None) if info is not None else None
    except (ValueError, TypeError):  # a malformed date string in the file
        return ""
    return created.date().isoformat() if created is not None else ""

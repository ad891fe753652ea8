"""Turn a page's bytes into text with the right character set.

Order of evidence, as browsers use it: a byte-order mark, then the Content-Type header,
then a ``<meta>`` charset (or XML declaration) near the top, then the bytes themselves:
valid UTF-8 is taken as UTF-8, anything else goes to statistical detection. Legacy
labels are widened the way the WHATWG encoding standard does (``iso-8859-1`` is really
windows-1252 on the web, ``shift_jis`` is cp932, ``gb2312`` is GB18030).
"""

from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE
)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_.:-]+)""")
_PRESCAN = 16 * 1024
_DETECT_SAMPLE = 256 * 1024

# What the web means by these labels (WHATWG encoding standard, simplified).
_WIDER = {
    "ascii": "cp1252",
    "iso8859_1": "cp1252",
    "iso8859_9": "cp1254",
    "iso8859_11": "cp874",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "big5": "big5hkscs",
    "utf_16": "utf-8",  # a declared UTF-16 in a byte page is always wrong
}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def normalize_label(label: str | None) -> str | None:
    """A Python codec name for a charset label, or None if Python has no such codec."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in ("x-user-defined", "binary", "none"):
        return None
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    name = name.replace("-", "_")
    return _WIDER.get(name, name)


def declared_in_markup(body: bytes) -> str | None:
    head = body[:_PRESCAN]
    found = _XML_DECL.match(head) or _META_CHARSET.search(head)
    return normalize_label(found.group(1).decode("ascii", "replace")) if found else None


def detect(body: bytes) -> str:
    """Best guess for undeclared, non-UTF-8 bytes."""
    from charset_normalizer import from_bytes

    best = from_bytes(body[:_DETECT_SAMPLE]).best()
    return normalize_label(best.encoding if best else None) or "cp1252"


def _valid_utf8(body: bytes) -> bool:
    # a multi-byte character may be cut at the sample's end
    try:
        body[:_DETECT_SAMPLE].decode("utf-8")
    except UnicodeDecodeError as exc:
        return len(body) > _DETECT_SAMPLE and exc.start >= _DETECT_SAMPLE - 4
    return True


def choose_charset(body: bytes, header_charset: str | None = None, markup: bool = True) -> str:
    """The codec to decode ``body`` with."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    declared = normalize_label(header_charset)
    if declared is None and markup:
        declared = declared_in_markup(body)
    if declared is not None:
        if declared == "utf_8" and not _valid_utf8(body):
            return detect(body)  # mislabelled legacy page
        return declared
    if _valid_utf8(body):
        return "utf-8"
    return detect(body)


def decode_body(body: bytes, header_charset: str | None = None, markup: bool = True) -> str:
    """Decode a page to text; undecodable bytes become U+FFFD rather than failing."""
    codec = choose_charset(body, header_charset, markup)
    for bom, name in _BOMS:
        if body.startswith(bom) and codec == name:
            body = body[len(bom) :]
    return body.decode(codec, errors="replace")

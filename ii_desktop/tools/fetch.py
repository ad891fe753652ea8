"""Download one page within hard limits.

Redirects are followed here, one hop at a time, so the guard sees every URL. The body is
streamed raw and decompressed here, never by httpx, so both the bytes on the wire and
the decompressed bytes are counted and a compression bomb stops at the cap instead of
filling memory. The whole exchange, redirects included, runs under one total deadline.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from ii_desktop.core.settings import ToolSettings
from ii_desktop.tools.guard import GuardError, check_url
from ii_desktop.tools.http import Cancelled, deadline, is_guarded

CHUNK = 64 * 1024
REDIRECT_CODES = (301, 302, 303, 307, 308)

# Content types we read; anything else is refused before its body is downloaded.
HTML_TYPES = ("text/html", "application/xhtml+xml")
PDF_TYPES = ("application/pdf", "application/x-pdf")
TEXT_TYPES = ("text/plain", "text/markdown", "text/x-markdown", "text/csv")
JSON_TYPES = ("application/json", "text/json", "application/ld+json")
# Servers label many real pages vaguely; these are sniffed from the first bytes.
SNIFF_TYPES = ("", "application/octet-stream", "binary/octet-stream", "application/x-download")
SNIFFED_TYPES = {
    "html": "text/html",
    "pdf": "application/pdf",
    "json": "application/json",
    "text": "text/plain",
}


class FetchError(Exception):
    """A page that could not be fetched; ``kind`` is the tool's stable error word.

    ``message`` is for people; ``model_message`` (the same unless given) is what the
    model is told, without advice only the user can follow.
    """

    def __init__(self, kind: str, message: str, model_message: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.model_message = message if model_message is None else model_message


@dataclass(frozen=True)
class FetchedPage:
    url: str
    final_url: str
    status: int
    content_type: str  # the media type, lower case, no parameters ("" when unknown)
    charset: str | None  # from the Content-Type header
    body: bytes
    kind: str  # "html", "pdf", "text" or "json"


def classify(content_type: str) -> str | None:
    """Which reader handles a media type; None for types we never read."""
    if content_type in HTML_TYPES:
        return "html"
    if content_type in PDF_TYPES:
        return "pdf"
    if content_type in JSON_TYPES or content_type.endswith("+json"):
        return "json"
    if content_type in TEXT_TYPES:
        return "text"
    if content_type in SNIFF_TYPES:
        return "sniff"
    return None


def sniff(body: bytes) -> str | None:
    head = body[:1024].lstrip().lower()
    if body.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "html"
    if head[:1] in (b"{", b"[") and b"\x00" not in head:
        return "json"
    return None


def looks_binary(body: bytes) -> bool:
    """Bytes no text page has: NULs or many control characters in the first 4 KiB.

    UTF-16 text has NULs too, so a UTF-16 byte-order mark exempts it.
    """
    sample = body[:4096]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls > len(sample) // 20


class _Decoder:
    """One Content-Encoding layer, decompressed in bounded steps."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._brotli = None
        if encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj()
            self._raw_fallback = True
        elif encoding == "br":
            import brotli

            self._brotli = brotli.Decompressor()
        else:
            raise FetchError("unsupported_type", f"Unsupported content encoding {encoding!r}.")
        self._first = True
        self._fed = False

    def decode(self, data: bytes, room: int) -> Iterator[bytes]:
        """Decompressed pieces of ``data``; never more than ``room + 1`` bytes at once."""
        limit = max(1, min(CHUNK, room + 1))
        self._fed = self._fed or bool(data)
        try:
            if self._brotli is not None:
                yield from _unbrotli(self._brotli, data, limit)
                return
            yield from self._inflate(data, limit)
        except FetchError:
            raise
        except Exception:  # zlib.error, brotli.error
            raise self._corrupt() from None

    def finish(self) -> None:
        """Check the stream ended where its data says it ends, once the body is over.

        A brotli stream marks its own end; one cut short is corrupt, never a short page.
        An empty body is left to the readers, which call it an empty page.
        """
        if self._brotli is not None and self._fed and not self._brotli.is_finished():
            raise self._corrupt()

    def _corrupt(self) -> FetchError:
        return FetchError("network", f"The page's {self.encoding} data is corrupt.")

    def _inflate(self, data: bytes, limit: int) -> Iterator[bytes]:
        if self._first and self.encoding == "deflate":
            # "deflate" is sent both zlib-wrapped and raw; the header byte tells which.
            if data and (data[0] & 0x0F) != 8:
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
        self._first = False
        while data:
            out = self._zlib.decompress(data, limit)
            yield out
            data = self._zlib.unconsumed_tail
            if self._zlib.eof:
                # gzip allows several members back to back
                rest = self._zlib.unused_data
                if rest and self.encoding in ("gzip", "x-gzip"):
                    self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    data = rest
                else:
                    return


def _unbrotli(decompressor: Any, data: bytes, limit: int) -> Iterator[bytes]:
    """Everything ``data`` decompresses to, in pieces of about ``limit`` bytes.

    One ``process`` call stops once ``limit`` bytes are out, even with more output
    pending and all input taken, so it is called again with empty input until nothing
    more comes. Input kept back with no output to show for it can never make progress.
    """
    out = decompressor.process(data, output_buffer_limit=limit)
    while out:
        yield out
        out = decompressor.process(b"", output_buffer_limit=limit)
    if not decompressor.can_accept_more_data():
        raise ValueError("brotli input left over")  # reported as corrupt data


def _decoded(
    raw: Iterable[bytes], encodings: list[str], cap: int, cancel: threading.Event | None
) -> bytes:
    decoders = [_Decoder(e) for e in reversed(encodings)]
    out = bytearray()
    received = 0

    def through(data: bytes, layer: int) -> None:
        if layer == len(decoders):
            out.extend(data)
            if len(out) > cap:
                raise FetchError("too_large", _too_large(cap, "once decompressed"))
            return
        for piece in decoders[layer].decode(data, cap - len(out)):
            if piece:
                through(piece, layer + 1)

    for chunk in raw:
        if cancel is not None and cancel.is_set():
            raise FetchError("cancelled", "The visit was cancelled.")
        received += len(chunk)
        if received > cap:
            raise FetchError("too_large", _too_large(cap, "to download"))
        through(chunk, 0)
    for decoder in decoders:
        decoder.finish()
    return bytes(out)


def _too_large(cap: int, what: str) -> str:
    return f"The page is larger than the {cap / 1024 / 1024:.0f} MiB limit {what}."


def _media_type(response: httpx.Response) -> tuple[str, str | None]:
    header = response.headers.get("content-type", "")
    media, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.lower() == "charset" and value:
            charset = value.strip().strip("\"'").lower()
    return media.strip().lower(), charset


def _encodings(response: httpx.Response) -> list[str]:
    header = response.headers.get("content-encoding", "")
    return [e.strip().lower() for e in header.split(",") if e.strip() not in ("", "identity")]


def fetch(
    client: httpx.Client,
    url: str,
    settings: ToolSettings,
    cancel: threading.Event | None = None,
) -> FetchedPage:
    """Fetch ``url``; raise ``FetchError`` with one of the tool's error kinds."""
    try:
        with deadline(settings.total_timeout, cancel):
            return _fetch(client, url, settings, cancel)
    except Cancelled:
        raise FetchError("cancelled", "The visit was cancelled.") from None
    except GuardError as exc:
        raise FetchError(exc.kind, exc.message, exc.model_message) from None
    except httpx.TimeoutException as exc:
        raise FetchError("timeout", _timeout_message(exc, settings)) from None
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        raise FetchError("bad_url", f"Not a URL that can be visited: {exc}.") from None
    except (httpx.HTTPError, OSError) as exc:
        message = str(exc) or type(exc).__name__
        raise FetchError("network", f"The page could not be fetched: {message}.") from None


def _timeout_message(exc: Exception, settings: ToolSettings) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return f"The site did not answer within {settings.connect_timeout:g} seconds."
    return f"The page did not arrive within the time limit ({settings.total_timeout:g} s)."


def _fetch(
    client: httpx.Client, url: str, settings: ToolSettings, cancel: threading.Event | None
) -> FetchedPage:
    timeout = httpx.Timeout(
        settings.read_timeout, connect=settings.connect_timeout, pool=settings.connect_timeout
    )
    # The guarded client checks resolved addresses at connect time; a plain client
    # (tests of other parts, or a caller's own) gets the best check possible up front.
    resolve_names = not is_guarded(client)
    current = url
    for hop in range(settings.max_redirects + 1):
        target = check_url(current, settings, resolve_names=resolve_names)
        with client.stream("GET", target, timeout=timeout, follow_redirects=False) as response:
            if response.status_code in REDIRECT_CODES:
                if "location" not in response.headers:
                    raise FetchError(
                        "http_status",
                        f"The site answered HTTP {response.status_code} "
                        f"{response.reason_phrase or 'redirect'} without saying where to go.",
                    )
                try:
                    current = str(response.url.join(response.headers["location"]))
                except httpx.InvalidURL:
                    raise FetchError("bad_url", "The page redirects to an invalid URL.") from None
                if hop == settings.max_redirects:
                    break
                continue
            return _read(response, url, settings, cancel)
    raise FetchError(
        "too_many_redirects", f"The page redirected more than {settings.max_redirects} times."
    )


def _read(
    response: httpx.Response, url: str, settings: ToolSettings, cancel: threading.Event | None
) -> FetchedPage:
    # 3xx too: a redirect is never the page itself (those with a Location are followed)
    if response.status_code >= 300 or response.status_code < 200:
        reason = response.reason_phrase or "error"
        raise FetchError("http_status", f"The site answered HTTP {response.status_code} {reason}.")
    media, charset = _media_type(response)
    kind = classify(media)
    if kind is None:
        raise FetchError("unsupported_type", f"Pages of type {media} cannot be read.")
    cap = settings.max_download_bytes
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > cap:
        raise FetchError("too_large", _too_large(cap, "to download"))
    body = _decoded(response.iter_raw(), _encodings(response), cap, cancel)
    if kind == "sniff":
        kind = sniff(body) or ("text" if not looks_binary(body) and media == "" else "")
        if not kind:
            raise FetchError("unsupported_type", "The page is binary data, not a document.")
    elif kind != "pdf" and looks_binary(body):
        raise FetchError("unsupported_type", "The page is binary data, not a document.")
    return FetchedPage(
        url=url,
        final_url=str(response.url),
        status=response.status_code,
        content_type=media if media not in SNIFF_TYPES else SNIFFED_TYPES[kind],
        charset=charset,
        body=body,
        kind=kind,
    )

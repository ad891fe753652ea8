"""The ``web_visit`` tool: fetch a page, find its text, give the model the trained format.

The model sees the page as the model author's harness gave it: clean text with links
flattened, URLs and e-mail addresses removed and whitespace collapsed, cut at 10,000
characters plus the truncation line. The app gets the rest in ``data``: the title,
markdown with links for the reader pane, the full clean text (one block per line) for
quotes and fact checks, the final URL and the content type.

Failures come back as ``ToolOutput.failure`` with one of these kinds: ``bad_url``,
``blocked``, ``timeout``, ``too_large``, ``unsupported_type``, ``http_status``,
``network``, ``too_many_redirects`` (and ``cancelled`` when the run was stopped). The
kind is a field for programs (``--json``, the views' choices); the ``error`` is words
for the user, with how to allow a refused page; the model reads ``Error:`` and the
problem alone.

A page read before (the session's cache, or a notebook's saved page) is served without
a download, but only where today's page guard would let a new visit through.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import httpcore

from ii_desktop.core.settings import ToolSettings
from ii_desktop.core.text import valid_unicode
from ii_desktop.tools.base import (
    WEB_VISIT_SCHEMA,
    SourceRef,
    ToolContext,
    ToolOutput,
    truncate_page_text,
)
from ii_desktop.tools.fetch import FetchedPage, FetchError, fetch
from ii_desktop.tools.guard import (
    DEFAULT_PORTS,
    GuardError,
    HostPolicy,
    check_url,
    parse_ip_literal,
)
from ii_desktop.tools.http import resolve_within
from ii_desktop.tools.page_cache import PageCache
from ii_desktop.tools.provenance import PAGE_LINK, UNSEEN_URL, Provenance, refusal, urls_in
from ii_desktop.tools.read_worker import read_page_bounded
from ii_desktop.tools.reader import read_html
from ii_desktop.tools.reader_charset import decode_body
from ii_desktop.tools.reader_pdf import PdfError, read_pdf

EMPTY_PAGE = "(The page has no readable text.)"
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_MAX_URL = 4096


@dataclass(frozen=True)
class PageText:
    """What the readers found in a fetched page."""

    title: str
    byline: str
    date: str
    full_text: str
    markdown: str


def read_page(page: FetchedPage) -> PageText:
    """Turn a fetched body into text, by its kind; raises ``FetchError`` if unreadable."""
    if page.kind == "html":
        article = read_html(page.body, url=page.final_url, charset=page.charset)
        return PageText(article.title, article.byline, article.date, article.text, article.markdown)
    if page.kind == "pdf":
        try:
            pdf = read_pdf(page.body)
        except PdfError as exc:
            raise FetchError("unsupported_type", str(exc)) from None
        return PageText(pdf.title, pdf.author, pdf.date, pdf.text, pdf.markdown)
    text = decode_body(page.body, page.charset, markup=False).replace("\r\n", "\n").strip()
    text = text.replace("\x00", "")
    if page.kind == "json":
        return PageText("", "", "", text, _json_markdown(text))
    return PageText("", "", "", text, text)


_HREF = re.compile(rb"""href\s*=\s*["']([^"'<>\s]{1,2048})["']""", re.IGNORECASE)
MAX_LINKS = 2000


def page_links(page: FetchedPage) -> list[str]:
    """The http(s) links of an HTML page, resolved against its address."""
    if page.kind != "html":
        return []
    links = []
    for match in _HREF.finditer(page.body):
        href = html.unescape(match.group(1).decode("utf-8", "replace"))
        url = urljoin(page.final_url, href)
        if url.startswith(("http://", "https://")):
            links.append(url)
            if len(links) >= MAX_LINKS:
                break
    return links


def _json_markdown(text: str) -> str:
    try:
        # json.loads turns an escaped lone surrogate ("\ud800") into one: make it valid
        pretty = valid_unicode(json.dumps(json.loads(text), indent=2, ensure_ascii=False))
    except (ValueError, RecursionError):
        pretty = text
    return f"```json\n{pretty}\n```"


_BULLET = re.compile(r"^[ \t]*- ", re.MULTILINE)


def model_text(page: PageText) -> str:
    """The page as the model was trained to read it: the clean text with list bullets
    flattened and all whitespace collapsed to single spaces. The title, the block
    structure and the markdown stay in ``data`` for the app and the notebooks."""
    text = " ".join(_BULLET.sub("", page.full_text).split())
    return text or EMPTY_PAGE


def normalize_url(raw: Any) -> str | None:
    """The URL to visit: stripped, with https:// added to a bare host; None if unusable."""
    if not isinstance(raw, str):
        return None
    url = raw.strip().strip("<>\"'")
    if not url or len(url) > _MAX_URL or any(c.isspace() for c in url):
        return None
    if url.startswith("//"):
        return "https:" + url
    if not _SCHEME.match(url) or re.match(r"^[\w.-]+:\d+(/|$)", url):
        return "https://" + url  # "example.com/page" and "example.com:8080/page"
    return url


def refused_now(cached: ToolOutput, url: str, settings: ToolSettings) -> ToolOutput | None:
    """The failure a new visit of ``url`` would meet from the page guard, for a page
    read before (the URL asked for then, and where it led); None when the guard lets
    both through. Nothing is downloaded: a host name is only looked up, and one that
    cannot be looked up now (offline) passes, since no connection is made to it."""
    final = cached.data.get("final_url")
    for target in dict.fromkeys([url, *([final] if isinstance(final, str) and final else [])]):
        try:
            parsed = check_url(target, settings, resolve_names=False)
            policy = HostPolicy.from_settings(settings)
            port = parsed.port or DEFAULT_PORTS[parsed.scheme]
            if parse_ip_literal(parsed.host) is None and not policy.allows_host(parsed.host, port):
                try:
                    addresses = resolve_within(parsed.host, port, settings.connect_timeout)
                except (OSError, UnicodeError, httpcore.ConnectTimeout):
                    continue
                policy.check_addresses(parsed.host, port, addresses)
        except GuardError as exc:
            return ToolOutput.failure(
                exc.kind, exc.message, model_message=exc.model_message, url=url
            )
    return None


class WebVisitTool:
    """``web_visit``: "Visit a URL and retrieve the full document content"."""

    name = "web_visit"
    schema = WEB_VISIT_SCHEMA

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        raw = args.get("url") if isinstance(args, dict) else None
        url = normalize_url(raw)
        if url is None:
            shown = raw if isinstance(raw, str) else ""
            return ToolOutput.failure("bad_url", "A valid http or https URL is needed.", url=shown)
        cache = ctx.page_cache if isinstance(ctx.page_cache, PageCache) else None
        if cache is not None:
            cached = cache.get(url)
            if cached is not None:
                # read before, maybe under another run's allowances: today's guard decides
                refused = refused_now(cached, url, ctx.settings)
                return cached if refused is None else refused
        provenance = ctx.provenance if isinstance(ctx.provenance, Provenance) else None
        allowed_by = None
        if provenance is not None:
            allowed_by = provenance.admit(url)
            if allowed_by is None:
                interactive = provenance.consent is not None
                return ToolOutput.failure(UNSEEN_URL, refusal(url, interactive), url=url)
        try:
            page = fetch(ctx.http, url, ctx.settings, ctx.cancel)
            # reading has a deadline and a memory cap of its own (a worker process for
            # large pages and PDFs), so a hostile page cannot hold the run
            found = read_page_bounded(page, cancel=ctx.cancel)
        except FetchError as exc:
            return ToolOutput.failure(
                exc.kind, exc.message, model_message=exc.model_message, url=url
            )
        if provenance is not None:  # the page's links may be visited next, exactly as shown
            provenance.see([page.final_url, *page_links(page), *urls_in(found.markdown)], PAGE_LINK)
        text, truncated = truncate_page_text(model_text(found))
        output = ToolOutput(
            ok=True,
            text=text,
            sources=(SourceRef(page.final_url, found.title, "page"),),
            data={
                "url": url,
                "final_url": page.final_url,
                "title": found.title,
                "byline": found.byline,
                "date": found.date,
                "content_type": page.content_type,
                "markdown": found.markdown,
                "full_text": found.full_text,
                "truncated": truncated,
                **({"allowed_by": allowed_by} if allowed_by else {}),
            },
        )
        if cache is not None:
            cache.put(output, url, page.final_url)
        return output

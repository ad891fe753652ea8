"""The web_visit tool against real pages served on 127.0.0.1.

``PageServer`` (also used by the hostile-page tests) is a threaded HTTP/1.1 server
whose routes are small functions writing real responses: HTML with boilerplate around
the article, a PDF, other character sets, redirects and the hostile cases.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ii_desktop.core.settings import ToolSettings
from ii_desktop.tools.base import (
    PAGE_TEXT_LIMIT,
    TRUNCATION_LINE,
    WEB_VISIT_SCHEMA,
    SourceRef,
    ToolContext,
)
from ii_desktop.tools.fetch import fetch
from ii_desktop.tools.http import USER_AGENT, is_guarded, make_guarded_client
from ii_desktop.tools.page_cache import PageCache
from ii_desktop.tools.visit import WebVisitTool, normalize_url
from tests.helpers.page_server import PageServer

DATA = Path(__file__).parent / "data" / "reader" / "html"


def dataset_page(page_id: str) -> bytes:
    return gzip.decompress((DATA / f"{page_id}.html.gz").read_bytes())


def make_pdf(pages: list[str], title: str = "") -> bytes:
    """A small valid PDF with one line of Helvetica text per page."""
    objects: list[bytes] = []
    n = len(pages)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(n))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, text in enumerate(pages):
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET".encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    info = f"<< /Title ({title}) >>".encode() if title else b"<< >>"
    objects.append(info)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        len(objects),
        xref,
    )
    return bytes(out)


@pytest.fixture
def server() -> Iterator[PageServer]:
    s = PageServer()
    yield s
    s.close()


def visit(url: str, settings: ToolSettings, cache: PageCache | None = None):
    with make_guarded_client(settings) as client:
        ctx = ToolContext(http=client, settings=settings, page_cache=cache)
        return WebVisitTool().run({"url": url}, ctx)


def allowing(server: PageServer, **changes) -> ToolSettings:
    return ToolSettings(allow_hosts=(server.host,), **changes)


# --- the tool -----------------------------------------------------------------------


def test_tool_identity():
    tool = WebVisitTool()
    assert tool.name == "web_visit"
    assert tool.schema is WEB_VISIT_SCHEMA


def test_an_article_page_gives_the_trained_text_and_the_app_data(server):
    server.page("/story", dataset_page("news-harbor-plan"))
    out = visit(server.url("/story"), allowing(server))
    assert out.ok, out.error
    title = "Council approves $48 million harbor plan after marathon session"
    # the trained form: the body as one run of clean text, no title line, no line breaks
    assert out.text.startswith("After nearly six hours")
    assert "\n" not in out.text and "  " not in out.text
    assert out.text == " ".join(out.data["full_text"].replace("\n- ", "\n").split())
    assert "voted 7-2 on Tuesday night" in out.text
    # boilerplate around the article is gone
    for furniture in ("We use cookies", "Subscribe for $1", "Nobody who lives on Bay Street"):
        assert furniture not in out.text
    # no URLs or e-mail addresses reach the model
    assert "http" not in out.text and "@" not in out.text
    data = out.data
    assert data["final_url"] == server.url("/story")
    assert data["url"] == server.url("/story")
    assert data["title"] == title
    assert data["byline"] == "Dana Whitfield"
    assert data["date"] == "2024-05-14"
    assert data["content_type"] == "text/html"
    assert data["truncated"] is False
    assert "## How the project will be paid for" in data["markdown"]
    assert data["full_text"].startswith("After nearly six hours")
    assert out.sources == (SourceRef(server.url("/story"), title, "page"),)


def test_requests_look_like_a_browser(server):
    server.page("/p", b"<html><body><p>Hello there, this is a page.</p></body></html>")
    visit(server.url("/p"), allowing(server))
    headers = {k.lower(): v for k, v in server.headers_seen[-1].items()}
    assert headers["user-agent"] == USER_AGENT
    assert "gzip" in headers["accept-encoding"]
    assert headers["host"] == server.host


def test_links_are_flattened_for_the_model_and_kept_in_markdown(server):
    body = (
        b"<html><head><title>Links</title></head><body><article>"
        b"<p>Read the <a href='/report.html'>full report from the inspectors</a> or write to "
        b"press@city.example and see https://city.example/notes for the minutes of the "
        b"meeting held on Tuesday evening in the council chamber.</p></article></body></html>"
    )
    server.page("/links", body)
    out = visit(server.url("/links"), allowing(server))
    assert "Read the full report from the inspectors or write to and see for the" in out.text
    assert (
        f"[full report from the inspectors]({server.url('/report.html')})" in (out.data["markdown"])
    )


def test_long_pages_are_cut_at_10000_characters_with_the_truncation_line(server):
    paragraphs = "".join(
        f"<p>Paragraph {i} of a very long report, which keeps going with more detail about "
        f"the subject at hand so that the page runs well past the limit.</p>"
        for i in range(200)
    )
    server.page("/long", f"<html><body><article>{paragraphs}</article></body></html>".encode())
    out = visit(server.url("/long"), allowing(server))
    assert out.ok
    assert out.data["truncated"] is True
    assert out.text.endswith("\n" + TRUNCATION_LINE)
    assert len(out.text) == PAGE_TEXT_LIMIT + 1 + len(TRUNCATION_LINE)
    assert len(out.data["full_text"]) > PAGE_TEXT_LIMIT
    assert "Paragraph 199" in out.data["full_text"]


def test_a_pdf_gives_its_text_with_page_markers(server):
    pdf = make_pdf(["First page of the annual report.", "Second page: the budget."], "Report")
    server.page("/report.pdf", pdf, "application/pdf")
    out = visit(server.url("/report.pdf"), allowing(server))
    assert out.ok, out.error
    assert out.data["content_type"] == "application/pdf"
    assert out.data["title"] == "Report"
    text = out.data["full_text"]
    assert "[Page 1]\nFirst page of the annual report." in text
    assert "[Page 2]\nSecond page: the budget." in text
    assert out.text == (
        "[Page 1] First page of the annual report. [Page 2] Second page: the budget."
    )


def test_a_pdf_served_as_octet_stream_is_recognised(server):
    server.page("/download", make_pdf(["Sniffed by its magic bytes."]), "application/octet-stream")
    out = visit(server.url("/download"), allowing(server))
    assert out.ok
    assert out.data["content_type"] == "application/pdf"
    assert "Sniffed by its magic bytes." in out.text


def test_a_damaged_pdf_is_unsupported(server):
    server.page("/broken.pdf", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog", "application/pdf")
    out = visit(server.url("/broken.pdf"), allowing(server))
    assert not out.ok
    assert out.error_kind == "unsupported_type"


def test_plain_text_and_json_come_as_they_are(server):
    server.page("/notes.txt", b"line one\n  indented line two\n", "text/plain; charset=utf-8")
    server.page("/data.json", b'{"name": "Tidepool", "stars": 42}', "application/json")
    text = visit(server.url("/notes.txt"), allowing(server))
    assert text.ok and text.text == "line one indented line two"
    assert text.data["full_text"] == "line one\n  indented line two"
    assert text.data["content_type"] == "text/plain"
    data = visit(server.url("/data.json"), allowing(server))
    assert data.ok and data.text == '{"name": "Tidepool", "stars": 42}'
    assert data.data["markdown"].startswith("```json\n{\n")


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("image/png", b"\x89PNG\r\n\x1a\n" + bytes(200)),
        ("application/zip", b"PK\x03\x04" + bytes(100)),
        ("video/mp4", bytes(100)),
        ("text/html", b"<html>" + bytes(range(256)) * 8),
        ("application/octet-stream", bytes(range(256)) * 4),
    ],
    ids=["png", "zip", "video", "binary-as-html", "binary-octets"],
)
def test_other_types_and_binary_bodies_are_unsupported(server, content_type, body):
    server.page("/file", body, content_type)
    out = visit(server.url("/file"), allowing(server))
    assert not out.ok
    assert out.error_kind == "unsupported_type"
    assert out.text.startswith("Error: ")


PAGE_DE = (
    "<html><head>{meta}<title>Bahnstrecke wieder frei</title></head><body><article>"
    "<p>Nach fünf Tagen Sperrung rollen die Züge wieder. Die Fahrgäste mussten auf "
    "Ersatzbusse ausweichen, die häufig überfüllt waren, sagte ein Sprecher.</p>"
    "<p>„Ich habe jeden Tag fast eine Stunde länger gebraucht“, sagte eine Pendlerin "
    "aus Beeskow, die in Königs Wusterhausen arbeitet – und sie war nicht allein.</p>"
    "</article></body></html>"
)
PAGE_FR = (
    "<html><head>{meta}<title>La médiathèque rouvre</title></head><body><article>"
    "<p>Agrandie, rénovée et désormais ouverte le dimanche, la médiathèque accueille de "
    "nouveau le public depuis samedi. Plus de mille visiteurs s'y sont pressés.</p>"
    "</article></body></html>"
)
PAGE_JA = (
    "<html><head>{meta}<title>桜の開花</title></head><body><article>"
    "<p>気象台は2日、市内の標本木で桜が開花したと発表した。平年より5日遅く、昨年より9日遅い"
    "開花となった。満開は1週間ほど後になる見込みで、市内の公園では週末に花見客でにぎわう"
    "ことが予想される。</p></article></body></html>"
)


@pytest.mark.parametrize(
    ("page", "encoding", "header", "meta", "expected"),
    [
        (PAGE_DE, "cp1252", "text/html; charset=windows-1252", "", "„Ich habe jeden Tag"),
        (PAGE_FR, "latin-1", "text/html; charset=ISO-8859-1", "", "Agrandie, rénovée"),
        (PAGE_DE, "cp1252", "text/html", '<meta charset="windows-1252">', "Königs"),
        (PAGE_JA, "shift_jis", "text/html; charset=Shift_JIS", "", "気象台は2日"),
        (
            PAGE_JA,
            "shift_jis",
            "text/html",
            '<meta http-equiv="Content-Type" content="text/html; charset=shift_jis">',
            "花見客",
        ),
        (PAGE_DE, "cp1252", "text/html", "", "Sperrung rollen die Züge"),
    ],
    ids=["cp1252-header", "latin1-header", "cp1252-meta", "sjis-header", "sjis-meta", "guess"],
)
def test_character_sets_from_header_meta_or_detection(
    server, page, encoding, header, meta, expected
):
    server.page("/page", page.format(meta=meta).encode(encoding), header)
    out = visit(server.url("/page"), allowing(server))
    assert out.ok, out.error
    assert expected in out.text
    assert "\ufffd" not in out.text


def test_gzip_and_brotli_pages_are_decoded(server):
    import brotli

    page = dataset_page("blog-sourdough-starter")
    gz, br = gzip.compress(page), brotli.compress(page)
    server.route("/gz", lambda h: h.send_body(gz, headers={"Content-Encoding": "gzip"}))
    server.route("/br", lambda h: h.send_body(br, headers={"Content-Encoding": "br"}))
    for path in ("/gz", "/br"):
        out = visit(server.url(path), allowing(server))
        assert out.ok, out.error
        assert "Sourdough starters are far harder to kill than they look." in out.text


def _long_page(paragraphs: int = 8000) -> bytes:
    body = "".join(
        f"<p>Paragraph {i} of a long page, with some words.</p>\n" for i in range(paragraphs)
    )
    html = f"<html><head><title>Long</title></head><body>{body}<p>THE-END-MARKER</p></body></html>"
    return html.encode()


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_a_long_compressed_page_arrives_whole(server, encoding):
    import brotli

    page = _long_page()
    assert len(page) > 300 * 1024  # well past one 64 KiB decompression step
    packed = gzip.compress(page) if encoding == "gzip" else brotli.compress(page)
    server.route("/long", lambda h: h.send_body(packed, headers={"Content-Encoding": encoding}))
    settings = allowing(server)
    with make_guarded_client(settings) as client:
        fetched = fetch(client, server.url("/long"), settings)
    assert fetched.body == page
    out = visit(server.url("/long"), settings)
    assert out.ok, out.error
    assert (
        out.data["full_text"].rstrip().endswith("Paragraph 7999 of a long page, with some words.")
    )


def test_a_brotli_page_cut_short_is_corrupt_not_a_short_page(server):
    import brotli

    packed = brotli.compress(_long_page())
    cut = packed[: len(packed) // 2]
    server.route("/cut", lambda h: h.send_body(cut, headers={"Content-Encoding": "br"}))
    out = visit(server.url("/cut"), allowing(server))
    assert out.error_kind == "network"
    assert "br data is corrupt" in out.error


def test_redirects_are_followed_and_the_final_url_reported(server):
    server.page("/final", dataset_page("tech-blog-sqlite-wal"))
    server.route("/old", lambda h: h.redirect("/moved", 301))
    server.route("/moved", lambda h: h.redirect(server.url("/final"), 307))
    out = visit(server.url("/old"), allowing(server))
    assert out.ok
    assert out.data["url"] == server.url("/old")
    assert out.data["final_url"] == server.url("/final")
    assert out.sources[0].url == server.url("/final")


@pytest.mark.parametrize(("hops", "ok"), [(5, True), (6, False)])
def test_at_most_five_redirects(server, hops, ok):
    server.page("/end", b"<html><body><p>The end of a long chain of redirects.</p></body></html>")
    for i in range(hops):
        target = "/end" if i == hops - 1 else f"/hop{i + 1}"
        server.route(f"/hop{i}", lambda h, t=target: h.redirect(t))
    out = visit(server.url("/hop0"), allowing(server))
    assert out.ok is ok
    if not ok:
        assert out.error_kind == "too_many_redirects"


@pytest.mark.parametrize(("status", "reason"), [(404, "Not Found"), (503, "Service Unavailable")])
def test_error_statuses(server, status, reason):
    server.route("/gone", lambda h: h.send_body(b"<p>nope</p>", status=status))
    out = visit(server.url("/gone"), allowing(server))
    assert out.error_kind == "http_status"
    assert f"HTTP {status} {reason}" in out.error


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_without_a_location_is_an_http_status_error(server, status):
    body = b"<html><body><p>This is the redirect's own body, not a page.</p></body></html>"
    server.route("/nowhere", lambda h: h.send_body(body, status=status))
    out = visit(server.url("/nowhere"), allowing(server))
    assert out.ok is False
    assert out.error_kind == "http_status"
    assert f"HTTP {status}" in out.error


@pytest.mark.parametrize("status", [300, 304])
def test_other_3xx_answers_are_not_read_as_the_page(server, status):
    body = b"" if status == 304 else b"<html><body><p>Pick one of these.</p></body></html>"
    server.route("/choices", lambda h: h.send_body(body, status=status))
    out = visit(server.url("/choices"), allowing(server))
    assert out.error_kind == "http_status"


@pytest.mark.parametrize("raw", [None, "", "   ", 42, "not a url at all", "http://"])
def test_missing_or_invalid_urls_are_bad_url(raw):
    with httpx.Client() as client:
        out = WebVisitTool().run({"url": raw}, ToolContext(http=client))
    assert not out.ok
    assert out.error_kind == "bad_url"


@pytest.mark.parametrize(
    "url", ["ftp://example.com/file", "file:///etc/passwd", "javascript:alert(1)", "data:,x"]
)
def test_other_schemes_are_bad_url(url):
    with httpx.Client() as client:
        out = WebVisitTool().run({"url": url}, ToolContext(http=client))
    assert out.error_kind == "bad_url"


def test_url_normalisation():
    assert normalize_url(" example.com/page ") == "https://example.com/page"
    assert normalize_url("//example.com/x") == "https://example.com/x"
    assert normalize_url("localhost:8080/x") == "https://localhost:8080/x"
    assert normalize_url("http://a.example/") == "http://a.example/"
    assert normalize_url("http://a.example/ b") is None
    assert normalize_url(["x"]) is None


def test_a_page_visited_twice_is_fetched_once(server):
    server.page("/cached", dataset_page("opinion-four-day-week"))
    server.route("/to-cached", lambda h: h.redirect("/cached"))
    cache = PageCache()
    settings = allowing(server)
    first = visit(server.url("/cached"), settings, cache)
    second = visit(server.url("/cached#comments"), settings, cache)
    assert first.ok and second is first
    assert server.hits["/cached"] == 1
    assert cache.hits == 1
    # the final URL of a redirect is cached too
    third = visit(server.url("/to-cached"), settings, cache)
    assert third.ok and server.hits["/cached"] == 2  # the redirect itself is new
    assert visit(server.url("/to-cached"), settings, cache) is third


def test_failures_are_not_cached(server):
    calls = []

    def flaky(h):
        calls.append(1)
        if len(calls) == 1:
            h.send_body(b"busy", "text/plain", status=503)
        else:
            h.send_body(b"<html><body><p>Back again after a short outage.</p></body></html>")

    server.route("/flaky", flaky)
    cache = PageCache()
    assert visit(server.url("/flaky"), allowing(server), cache).error_kind == "http_status"
    assert visit(server.url("/flaky"), allowing(server), cache).ok


def test_cancellation_stops_a_download(server):
    def slow(h):
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", "100000")
        h.end_headers()
        for _ in range(40):
            h.wfile.write(b"<p>" + b"x" * 997)
            h.wfile.flush()
            time.sleep(0.05)

    server.route("/slow", slow)
    settings = allowing(server)
    with make_guarded_client(settings) as client:
        ctx = ToolContext(http=client, settings=settings)
        threading.Timer(0.2, ctx.cancel.set).start()
        out = WebVisitTool().run({"url": server.url("/slow")}, ctx)
    assert out.error_kind == "cancelled"


def test_the_factory_builds_a_guarded_client():
    with make_guarded_client(ToolSettings()) as client:
        assert is_guarded(client)
        assert client.follow_redirects is False
    with httpx.Client() as plain:
        assert not is_guarded(plain)


def test_lists_reach_the_model_as_flat_text_and_the_app_keeps_their_structure(server):
    body = (
        b"<html><head><title>Rivers of France</title></head><body><article>"
        b"<h1>Rivers of France</h1><p>France has several great rivers that drain most of "
        b"the country towards the Atlantic, the Channel and the Mediterranean Sea.</p><ul>"
        b"<li>The Loire, 1,006 km long, the longest river in France.</li>"
        b"<li>The Seine, 777 km long, which flows through Paris.</li>"
        b"<li>The Rhone, 813 km long, which rises in Switzerland.</li></ul>"
        b"<p>Each of them has shaped the towns and the trade of its valley for centuries, "
        b"and all three are navigable for much of their length.</p></article></body></html>"
    )
    server.page("/rivers", body)
    out = visit(server.url("/rivers"), allowing(server))
    assert out.ok, out.error
    assert "- " not in out.text and "\n" not in out.text
    assert not out.text.startswith("Rivers of France")  # the title stays in data
    assert "Mediterranean Sea. The Loire, 1,006 km long" in out.text
    assert "- The Seine, 777 km long" in out.data["full_text"]
    assert "\n- The Rhone" in out.data["markdown"]
    assert out.data["title"] == "Rivers of France"

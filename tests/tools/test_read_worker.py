"""Reading a fetched page within a deadline and a memory cap.

The hostile pages are built here: PDFs whose content streams are long runs of text
operators (a few kilobytes compressed, minutes of parsing unbounded) and an HTML page of
100,000 paragraphs. Deadlines are 2 s so each test takes a few seconds.
"""

from __future__ import annotations

import json
import re
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator

import pytest

from ii_desktop.tools import read_worker, reader, reader_blocks, reader_pdf
from ii_desktop.tools.fetch import FetchedPage, FetchError
from ii_desktop.tools.read_worker import read_page_bounded, reads_inline
from ii_desktop.tools.reader import cap_elements, parse_html, read_html
from ii_desktop.tools.reader_pdf import read_pdf
from ii_desktop.tools.visit import read_page
from tests.tools.test_visit import dataset_page, make_pdf

DEADLINE = 2.0
MARGIN = 1.5  # killing the worker and reporting, on a busy two-core machine
PARAGRAPH = (
    "<p>Paragraph {i} of a very long page, with enough words in it to count as prose for "
    "the reader and its vote.</p>\n"
)


def text_operator_pdf(operators: int, pages: int = 1) -> bytes:
    """A PDF whose every page draws ``operators`` pieces of text, one operator each."""
    content = zlib.compress(b"BT /F1 12 Tf " + b"1 0 Td (ab) Tj " * operators + b"ET", 9)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i in range(pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>".encode()
        )
        objects.append(
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content)
            + content
            + b"\nendstream"
        )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def paragraphs_page(count: int) -> bytes:
    body = "".join(PARAGRAPH.format(i=i) for i in range(count))
    page = f"<html><head><title>Long</title></head><body><article>{body}</article></body></html>"
    return page.encode()


def fetched(body: bytes, kind: str, content_type: str = "text/html") -> FetchedPage:
    url = "https://example.org/page"
    return FetchedPage(url, url, 200, content_type, None, body, kind)


def pdf_page(body: bytes) -> FetchedPage:
    return fetched(body, "pdf", "application/pdf")


@pytest.fixture(scope="module", autouse=True)
def workers() -> Iterator[None]:
    read_worker.warm_up(1)  # the first start imports the readers: not part of any deadline
    yield
    read_worker.shutdown()


@pytest.fixture(scope="module")
def huge_html() -> FetchedPage:
    return fetched(paragraphs_page(100_000), "html")


@pytest.fixture
def through_worker(monkeypatch):
    """Every page goes to a worker, however small."""
    monkeypatch.setattr(read_worker, "INLINE_HTML_BYTES", -1)
    monkeypatch.setattr(read_worker, "INLINE_TEXT_BYTES", -1)


def timed(page: FetchedPage, **limits) -> tuple[float, object]:
    start = time.monotonic()
    try:
        outcome: object = read_page_bounded(page, **limits)
    except FetchError as exc:
        outcome = exc
    return time.monotonic() - start, outcome


# --- ordinary pages -------------------------------------------------------------------


ORDINARY = {
    "article": lambda: fetched(dataset_page("news-harbor-plan"), "html"),
    "pdf": lambda: pdf_page(make_pdf(["First page of the report.", "Second page."], "Report")),
    "text": lambda: fetched(b"Plain notes\r\nsecond line\x00.", "text", "text/plain"),
    "json": lambda: fetched(json.dumps({"a": [1, 2]}).encode(), "json", "application/json"),
}


@pytest.mark.parametrize("name", list(ORDINARY))
def test_an_ordinary_page_reads_exactly_as_read_page_does(name):
    page = ORDINARY[name]()
    assert read_page_bounded(page) == read_page(page)


@pytest.mark.parametrize("name", list(ORDINARY))
def test_an_ordinary_page_reads_the_same_through_a_worker(name, through_worker):
    page = ORDINARY[name]()
    assert not reads_inline(page)
    assert read_page_bounded(page) == read_page(page)


def test_small_pages_are_read_here_and_large_ones_and_pdfs_in_a_worker(huge_html):
    assert reads_inline(ORDINARY["article"]())
    assert reads_inline(ORDINARY["json"]())
    assert not reads_inline(ORDINARY["pdf"]())
    assert not reads_inline(huge_html)
    many_tags = fetched(b"<p>a" * 5000, "html")  # small, but 5,000 elements to extract
    assert len(many_tags.body) < read_worker.INLINE_HTML_BYTES
    assert not reads_inline(many_tags)


def test_a_pdf_error_comes_back_from_the_worker_as_before():
    page = pdf_page(b"%PDF-1.7 garbage")
    with pytest.raises(FetchError) as before:
        read_page(page)
    with pytest.raises(FetchError) as bounded:
        read_page_bounded(page)
    assert (bounded.value.kind, bounded.value.message) == (before.value.kind, before.value.message)


def test_a_reader_that_breaks_gives_a_visit_error_not_a_traceback(monkeypatch):
    def broken(page):
        raise RuntimeError("a bug in a reader")

    monkeypatch.setattr("ii_desktop.tools.visit.read_page", broken)
    with pytest.raises(FetchError) as info:
        read_page_bounded(ORDINARY["article"]())
    assert info.value.kind == "unsupported_type"
    assert info.value.message == "The page could not be read (its reader failed)."
    assert "RuntimeError" not in info.value.message


def test_pages_read_side_by_side_each_get_a_worker(through_worker):
    article = ORDINARY["article"]()
    expected = read_page(article)
    results: list[object] = []
    threads = [
        threading.Thread(target=lambda: results.append(read_page_bounded(article)))
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [expected] * 3


# --- hostile pages --------------------------------------------------------------------


def test_a_pdf_page_of_endless_text_operators_is_bounded():
    page = pdf_page(text_operator_pdf(400_000))  # 2 MB of operators in 12 KB
    assert len(page.body) < 20_000
    elapsed, outcome = timed(page, deadline_s=DEADLINE)
    assert elapsed < DEADLINE + MARGIN
    if isinstance(outcome, FetchError):
        assert outcome.kind == "timeout"
        assert outcome.message == "Reading the page took longer than 2 s; it was skipped."
    else:  # a fast machine reads the page's first 256 KiB of operators in time
        assert "[Page 1]" in outcome.full_text  # type: ignore[attr-defined]


def test_a_pdf_that_runs_out_of_time_keeps_the_pages_read():
    page = pdf_page(text_operator_pdf(8_000, pages=100))
    elapsed, outcome = timed(page, deadline_s=DEADLINE)
    assert elapsed < DEADLINE + MARGIN
    assert not isinstance(outcome, FetchError), outcome
    text = outcome.full_text  # type: ignore[attr-defined]
    assert text.startswith("[Page 1]\nabab")
    last = text.splitlines()[-1]
    assert re.fullmatch(
        r"\[Reading stopped after page \d+: the rest took longer than 2 s\.\]", last
    )
    assert "[Page 100]" not in text
    assert outcome.markdown.endswith(last)  # type: ignore[attr-defined]


def test_a_page_of_100000_paragraphs_stops_at_the_deadline(huge_html):
    tracemalloc.start()
    try:
        elapsed, outcome = timed(huge_html, deadline_s=DEADLINE)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < DEADLINE + MARGIN
    assert isinstance(outcome, FetchError)
    assert outcome.kind == "timeout"
    assert outcome.message == "Reading the page took longer than 2 s; it was skipped."
    # the 12 MB body is sent from its own bytes; nothing of the parse lives here
    assert peak < 4 * 1024 * 1024


def test_a_page_over_the_memory_cap_is_stopped(huge_html):
    elapsed, outcome = timed(huge_html, deadline_s=10.0, memory_bytes=48 * 1024 * 1024)
    assert elapsed < 10.0
    assert isinstance(outcome, FetchError)
    assert outcome.kind == "too_large"
    assert outcome.message == "Reading the page needed more than 48 MiB of memory; it was skipped."
    article = ORDINARY["pdf"]()
    assert read_page_bounded(article) == read_page(article)  # a fresh worker took over


def test_cancel_stops_a_read_in_progress(huge_html):
    cancel = threading.Event()
    timer = threading.Timer(0.3, cancel.set)
    timer.start()
    try:
        elapsed, outcome = timed(huge_html, deadline_s=10.0, cancel=cancel)
    finally:
        timer.cancel()
    assert elapsed < 0.3 + 1.0
    assert isinstance(outcome, FetchError)
    assert (outcome.kind, outcome.message) == ("cancelled", "The visit was cancelled.")


def test_a_cancelled_visit_reads_nothing():
    cancel = threading.Event()
    cancel.set()
    _, outcome = timed(ORDINARY["article"](), cancel=cancel)
    assert isinstance(outcome, FetchError) and outcome.kind == "cancelled"


# --- the readers' own caps ------------------------------------------------------------


def test_a_pdf_page_is_read_up_to_its_content_cap_in_this_process():
    start = time.monotonic()
    pdf = read_pdf(text_operator_pdf(400_000))
    assert time.monotonic() - start < 8.0  # minutes before the cap
    # "ab" per operator, up to the cap's 256 KiB of 15-byte operators
    assert 0 < len(pdf.text) < 2 * reader_pdf.MAX_PAGE_CONTENT // 15 + 100


def test_a_pdf_stops_at_its_content_cap(monkeypatch):
    monkeypatch.setattr(reader_pdf, "MAX_PAGE_CONTENT", 1500)
    monkeypatch.setattr(reader_pdf, "MAX_CONTENT", 4000)
    seen: list[str] = []
    pdf = read_pdf(text_operator_pdf(1_000, pages=10), on_page=lambda info, text: seen.append(text))
    assert pdf.pages == 3  # 1500 + 1500 + 1000 bytes of the budget
    assert seen and all(0 < len(t) <= 2 * 1500 // 15 + 2 for t in seen)


def test_a_huge_tree_is_cut_after_its_element_cap():
    root = parse_html(paragraphs_page(500).decode())
    assert root is not None
    assert cap_elements(root, 103)
    assert sum(1 for _ in root.iter()) == 103
    kept = [p.text_content() for p in root.iter("p")]
    assert kept[0].startswith("Paragraph 0 ") and kept[-1].startswith(f"Paragraph {len(kept) - 1} ")
    assert not cap_elements(root, 103)


def test_read_html_keeps_the_start_of_a_page_past_the_caps(monkeypatch):
    monkeypatch.setattr(reader, "MAX_ELEMENTS", 300)
    article = read_html(paragraphs_page(2_000))
    assert 200 < len(article.blocks) < 300
    assert article.text.startswith("Paragraph 0 ")
    monkeypatch.setattr(reader_blocks, "MAX_BLOCKS", 40)
    assert len(read_html(paragraphs_page(2_000)).blocks) <= 40

"""web_visit against hostile pages: the local network, endless bodies, bombs, drips.

Every server here is on 127.0.0.1. Tests that should reach it allow exactly its
``127.0.0.1:PORT``; the same server is refused without that allowance.
"""

from __future__ import annotations

import gzip
import ipaddress
import socket
import time
import tracemalloc
import zlib
from collections.abc import Iterator

import httpx
import pytest

from ii_desktop.core.settings import ToolSettings
from ii_desktop.tools import http as guarded_http
from ii_desktop.tools.base import ToolContext
from ii_desktop.tools.visit import WebVisitTool
from tests.helpers.page_server import PageServer
from tests.tools.test_visit import allowing, visit

ARTICLE = (
    b"<html><head><title>Local page</title></head><body><article><p>This page lives on the "
    b"loopback interface and must only be read when it is explicitly allowed.</p>"
    b"</article></body></html>"
)
SMALL_CAP = 1024 * 1024


@pytest.fixture
def server() -> Iterator[PageServer]:
    s = PageServer()
    yield s
    s.close()


@pytest.fixture
def other() -> Iterator[PageServer]:
    s = PageServer()
    yield s
    s.close()


# --- the local network ----------------------------------------------------------------


def test_the_same_server_is_refused_without_the_allowance(server):
    server.page("/p", ARTICLE)
    assert visit(server.url("/p"), allowing(server)).ok
    refused = visit(server.url("/p"), ToolSettings())
    assert refused.error_kind == "blocked"
    assert refused.error == (
        "127.0.0.1 is this computer; pages on this computer and on private networks are not "
        f"read. To read it anyway, pass --allow-host {server.host} on the command line (or "
        "add it to Allowed hosts in Settings)."
    )
    assert server.hits["/p"] == 1  # only the allowed visit arrived


def test_the_model_is_told_the_refusal_without_the_users_options(server):
    refused = visit(server.url("/p"), ToolSettings())
    assert refused.text == (
        "Error: 127.0.0.1 is this computer; pages on this computer and on private networks "
        "are not read."
    )
    assert "--allow-host" in refused.error and "blocked" not in refused.error
    assert refused.data == {"url": server.url("/p")}


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "2130706433",
        "0x7f.1",
        "0x7f000001",
        "0177.0.0.1",
        "127.1",
        "127.000.000.001",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
        "[::1]",
    ],
)
def test_every_spelling_of_loopback_is_refused(server, host):
    server.page("/p", ARTICLE)
    out = visit(f"http://{host}:{server.port}/p", ToolSettings())
    assert out.error_kind == "blocked", out.error
    assert server.hits["/p"] == 0


def test_an_allowance_is_for_that_port_only(server, other):
    server.page("/p", ARTICLE)
    assert visit(server.url("/p"), ToolSettings(allow_hosts=(other.host,))).error_kind == (
        "blocked"
    )
    assert visit(server.url("/p"), ToolSettings(allow_hosts=("127.0.0.1",))).ok


def test_an_allowance_covers_every_spelling_of_its_address(server):
    server.page("/p", ARTICLE)
    assert visit(f"http://2130706433:{server.port}/p", allowing(server)).ok


def test_allow_private_network_lifts_the_guard(server):
    server.page("/p", ARTICLE)
    assert visit(server.url("/p"), ToolSettings(allow_private_network=True)).ok


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/admin",
        "http://192.168.1.1/",
        "http://[::1]:{port}/p",
        "http://0x7f.2:{port}/p",
        "http://[::ffff:7f00:2]:{port}/p",
        "http://127.0.0.2:{port}/p",
    ],
)
def test_a_redirect_to_a_local_address_is_refused(server, target):
    server.page("/p", ARTICLE)
    server.route("/go", lambda h: h.redirect(target.format(port=server.port)))
    out = visit(server.url("/go"), allowing(server))
    assert out.error_kind == "blocked", out.error
    assert server.hits["/p"] == 0


def test_an_allowed_host_redirecting_to_one_not_allowed_is_refused(server, other):
    other.page("/inside", ARTICLE)
    server.route("/go", lambda h: h.redirect(other.url("/inside")))
    out = visit(server.url("/go"), allowing(server))
    assert out.error_kind == "blocked"
    assert other.hits["/inside"] == 0
    # allowing both lets it through
    both = ToolSettings(allow_hosts=(server.host, other.host))
    assert visit(server.url("/go"), both).ok


def test_a_redirect_to_another_scheme_is_refused(server):
    server.route("/go", lambda h: h.redirect("file:///etc/passwd"))
    assert visit(server.url("/go"), allowing(server)).error_kind == "bad_url"


def test_a_redirect_loop_ends(server):
    server.route("/loop", lambda h: h.redirect("/loop"))
    out = visit(server.url("/loop"), allowing(server))
    assert out.error_kind == "too_many_redirects"
    assert server.hits["/loop"] == 6  # the first request and five redirects


def _fake_resolver(monkeypatch, answers: dict[str, list[str]]) -> list[str]:
    asked: list[str] = []

    def resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        asked.append(host)
        return [ipaddress.ip_address(a) for a in answers[host]]

    monkeypatch.setattr(guarded_http, "resolve", resolve)
    return asked


def test_a_name_that_resolves_to_a_local_address_is_refused(server, monkeypatch):
    server.page("/p", ARTICLE)
    _fake_resolver(monkeypatch, {"intranet.test": ["127.0.0.1"]})
    out = visit(f"http://intranet.test:{server.port}/p", ToolSettings())
    assert out.error_kind == "blocked"
    assert "intranet.test resolves to 127.0.0.1" in out.error
    assert server.hits["/p"] == 0


def test_one_local_address_among_public_ones_is_enough_to_refuse(server, monkeypatch):
    _fake_resolver(monkeypatch, {"mixed.test": ["8.8.8.8", "127.0.0.1"]})
    out = visit(f"http://mixed.test:{server.port}/p", ToolSettings())
    assert out.error_kind == "blocked"


def test_the_connection_goes_to_the_address_that_was_checked(server, monkeypatch):
    # Resolved once, by the guard; the socket connects to that IP, so a second DNS
    # answer (rebinding) has nothing to act on. The Host header keeps the name.
    server.page("/p", ARTICLE)
    asked = _fake_resolver(monkeypatch, {"pages.test": ["127.0.0.1"]})
    real = socket.getaddrinfo

    def only_literals(host, *args, **kwargs):
        if host == "pages.test":
            raise AssertionError("the name was resolved a second time")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", only_literals)
    out = visit(f"http://pages.test:{server.port}/p", allowing_host(f"pages.test:{server.port}"))
    assert out.ok, out.error
    assert asked == ["pages.test"]
    assert server.headers_seen[-1]["Host"] == f"pages.test:{server.port}"


def allowing_host(entry: str) -> ToolSettings:
    return ToolSettings(allow_hosts=(entry,))


def test_a_plain_client_still_gets_the_address_check(server, monkeypatch):
    server.page("/p", ARTICLE)
    real = socket.getaddrinfo

    def fake(host, *args, **kwargs):
        if host == "evil.test":
            return real("127.0.0.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    with httpx.Client(trust_env=False) as plain:
        out = WebVisitTool().run(
            {"url": f"http://evil.test:{server.port}/p"}, ToolContext(http=plain)
        )
    assert out.error_kind == "blocked"
    assert server.hits["/p"] == 0


def test_proxies_from_the_environment_are_ignored(server, other, monkeypatch):
    server.page("/p", ARTICLE)
    monkeypatch.setenv("HTTP_PROXY", other.url(""))
    monkeypatch.setenv("ALL_PROXY", other.url(""))
    assert visit(server.url("/p"), allowing(server)).ok
    assert sum(other.hits.values()) == 0


# --- size, time and content limits --------------------------------------------------------


def _stream(h, chunks: Iterator[bytes], content_type: str = "text/html") -> None:
    h.send_response(200)
    h.send_header("Content-Type", content_type)
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    for chunk in chunks:
        h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        h.wfile.flush()
    h.wfile.write(b"0\r\n\r\n")


def _endless(limit_s: float = 10.0) -> Iterator[bytes]:
    end = time.monotonic() + limit_s  # bounded, so the server thread always stops
    block = b"<p>" + b"more " * 2000 + b"</p>"
    while time.monotonic() < end:
        yield block


def test_a_declared_huge_page_is_refused_before_download(server):
    def huge(h):
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(50 * SMALL_CAP))
        h.end_headers()
        h.wfile.write(b"<p>" + b"x" * 1000)

    server.route("/huge", huge)
    out = visit(server.url("/huge"), allowing(server, max_download_bytes=SMALL_CAP))
    assert out.error_kind == "too_large"


def test_an_endless_stream_stops_at_the_cap(server):
    server.route("/endless", lambda h: _stream(h, _endless()))
    start = time.monotonic()
    out = visit(server.url("/endless"), allowing(server, max_download_bytes=SMALL_CAP))
    assert out.error_kind == "too_large"
    assert time.monotonic() - start < 5


def _bomb(encoding: str, size: int = 40 * SMALL_CAP) -> bytes:
    zeros = b"\0" * size
    if encoding == "gzip":
        return gzip.compress(zeros, compresslevel=9)
    if encoding == "deflate":
        return zlib.compress(zeros, 9)
    import brotli

    return brotli.compress(zeros, quality=5)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_compression_bombs_stop_at_the_cap_with_bounded_memory(server, encoding):
    bomb = _bomb(encoding)
    assert len(bomb) < SMALL_CAP  # small on the wire, 40 MiB unpacked
    server.route(
        "/bomb",
        lambda h: h.send_body(bomb, "text/html", headers={"Content-Encoding": encoding}),
    )
    tracemalloc.start()
    try:
        out = visit(server.url("/bomb"), allowing(server, max_download_bytes=SMALL_CAP))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out.error_kind == "too_large"
    assert "decompressed" in out.error
    assert peak < 6 * SMALL_CAP


def test_a_corrupt_compressed_body_is_a_network_error(server):
    server.route(
        "/corrupt",
        lambda h: h.send_body(b"\x1f\x8bnot gzip at all", headers={"Content-Encoding": "gzip"}),
    )
    assert visit(server.url("/corrupt"), allowing(server)).error_kind == "network"


def test_an_unknown_content_encoding_is_unsupported(server):
    server.route("/z", lambda h: h.send_body(b"abc", headers={"Content-Encoding": "zz-custom"}))
    assert visit(server.url("/z"), allowing(server)).error_kind == "unsupported_type"


def _drip(h, head: bytes, limit_s: float = 5.0) -> None:
    end = time.monotonic() + limit_s
    for byte in head:
        h.wfile.write(bytes([byte]))
        h.wfile.flush()
        time.sleep(0.1)
        if time.monotonic() > end:
            return
    while time.monotonic() < end:
        h.wfile.write(b"x")
        h.wfile.flush()
        time.sleep(0.1)


DRIP_SETTINGS = {"total_timeout": 1.0, "read_timeout": 0.5, "connect_timeout": 0.5}


def test_a_body_dripping_one_byte_at_a_time_hits_the_total_timeout(server):
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n"
    server.route("/drip", lambda h: (h.wfile.write(head), h.wfile.flush(), _drip(h, b"")))
    start = time.monotonic()
    out = visit(server.url("/drip"), allowing(server, **DRIP_SETTINGS))
    elapsed = time.monotonic() - start
    assert out.error_kind == "timeout"
    assert elapsed < 2.5


def test_headers_dripping_one_byte_at_a_time_hit_the_total_timeout(server):
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Slow: " + b"a" * 100
    server.route("/slowhead", lambda h: _drip(h, head))
    start = time.monotonic()
    out = visit(server.url("/slowhead"), allowing(server, **DRIP_SETTINGS))
    assert out.error_kind == "timeout"
    assert time.monotonic() - start < 2.5


def test_a_silent_server_hits_the_read_timeout(server):
    server.route("/silent", lambda h: time.sleep(2))
    start = time.monotonic()
    out = visit(server.url("/silent"), allowing(server, **DRIP_SETTINGS))
    assert out.error_kind == "timeout"
    assert time.monotonic() - start < 2


def test_a_dropped_connection_is_a_network_error(server):
    def drop(h):
        h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n<p>cut")
        h.wfile.flush()
        h.connection.shutdown(socket.SHUT_RDWR)

    server.route("/drop", drop)
    assert visit(server.url("/drop"), allowing(server)).error_kind == "network"

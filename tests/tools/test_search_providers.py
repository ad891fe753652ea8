"""Each search provider against a local server speaking that provider's real format."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from ii_desktop.core.settings import ToolSettings
from ii_desktop.tools import secrets
from ii_desktop.tools.search.provider import (
    ProviderFailure,
    SearchProvider,
    clean_text,
    parse_retry_after,
)
from ii_desktop.tools.search.registry import ProviderRegistry
from ii_desktop.tools.search.tool import make_search_client
from tests.helpers.fake_search_servers import KEYS, FakeProviders, FakeResult

pytestmark = pytest.mark.usefixtures("stored_keys")

PROVIDERS = ("ddgs", "searxng", "serper", "tavily", "brave")


def provider(name: str, fakes: FakeProviders, http: httpx.Client) -> SearchProvider:
    settings = ToolSettings(search_providers=(name,), provider_urls=fakes.urls)
    slot = ProviderRegistry().slots(settings, http)[0]
    assert not isinstance(slot, tuple), slot
    return slot


@pytest.mark.parametrize("name", PROVIDERS)
def test_each_provider_returns_hits_from_its_real_format(name, fakes, http):
    hits = provider(name, fakes, http).search("solar wind", 10, timeout=5)
    assert len(hits) == 10  # the fake has 12; the cap applies
    assert hits[0].url == f"https://example.org/{name}/solar-wind/0"
    assert hits[0].title == f"{name} result 0 for solar wind"
    assert hits[0].snippet == "Snippet 0 about solar wind..."
    assert {h.provider for h in hits} == {name}
    assert fakes[name].hits == 1


def test_requests_carry_the_query_and_key_where_each_api_expects_them(fakes, http):
    for name in PROVIDERS:
        provider(name, fakes, http).search("tide tables", 10, timeout=5)
    serper = fakes["serper"].requests[0]
    assert (serper.method, serper.path) == ("POST", "/search")
    assert serper.headers["x-api-key"] == KEYS["serper"]
    assert json.loads(serper.body) == {"q": "tide tables", "num": 10}
    tavily = fakes["tavily"].requests[0]
    assert json.loads(tavily.body)["api_key"] == KEYS["tavily"]
    assert json.loads(tavily.body)["query"] == "tide tables"
    brave = fakes["brave"].requests[0]
    assert (brave.method, brave.path) == ("GET", "/res/v1/web/search")
    assert brave.headers["x-subscription-token"] == KEYS["brave"]
    assert brave.query["q"] == ["tide tables"]
    searx = fakes["searxng"].requests[0]
    assert searx.query == {"q": ["tide tables"], "format": ["json"]}
    ddg = fakes["ddgs"].requests[0]
    assert (ddg.method, ddg.path) == ("POST", "/html/")
    assert b"q=tide+tables" in ddg.body


def test_brave_highlighting_is_removed(fakes, http):
    hits = provider("brave", fakes, http).search("solar wind", 10, timeout=5)
    assert hits[0].snippet == "Snippet 0 about solar wind..."
    assert "<strong>" in fakes["brave"].answer("solar wind", empty=False)[1].decode()


def test_duckduckgo_drops_ads_and_decodes_entities(fakes, http):
    fakes["ddgs"].results = [FakeResult("https://a.example/x?y=1&z=2", "Fish & Chips", "Cod")]
    hits = provider("ddgs", fakes, http).search("fish", 10, timeout=5)
    assert [(h.url, h.title, h.snippet) for h in hits] == [
        ("https://a.example/x?y=1&z=2", "Fish & Chips", "Cod")
    ]


def test_searxng_accepts_an_instance_url_with_its_search_path(fakes, http):
    settings = ToolSettings(
        search_providers=("searxng",), provider_urls={"searxng": fakes["searxng"].url + "/search/"}
    )
    slot = ProviderRegistry().slots(settings, http)[0]
    assert not isinstance(slot, tuple)
    assert len(slot.search("q", 10, timeout=5)) == 10


CASES = [
    ("rate_limit", "rate_limited"),
    ("server_error", "server_error"),
    ("malformed", "bad_response"),
    ("empty", "empty"),
]


@pytest.mark.parametrize("name", PROVIDERS)
@pytest.mark.parametrize(("mode", "outcome"), CASES)
def test_failures_map_to_stable_outcomes(name, mode, outcome, fakes, http):
    fakes[name].script(mode)
    with pytest.raises(ProviderFailure) as info:
        provider(name, fakes, http).search("q", 10, timeout=5)
    assert info.value.outcome == outcome
    assert info.value.retryable


def test_retry_after_is_read_from_429(fakes, http):
    fakes["serper"].retry_after = "7"
    fakes["serper"].script("rate_limit")
    with pytest.raises(ProviderFailure) as info:
        provider("serper", fakes, http).search("q", 10, timeout=5)
    assert info.value.retry_after == 7.0


def test_duckduckgo_bot_check_page_counts_as_rate_limit(fakes, http):
    fakes["ddgs"].script("challenge")
    with pytest.raises(ProviderFailure) as info:
        provider("ddgs", fakes, http).search("q", 10, timeout=5)
    assert info.value.outcome == "rate_limited"


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_slow_answer_is_a_timeout(name, fakes, http):
    fakes[name].default = "slow"
    with pytest.raises(ProviderFailure) as info:
        provider(name, fakes, http).search("q", 10, timeout=0.1)
    assert info.value.outcome == "timeout"


@pytest.mark.parametrize("name", ["serper", "tavily", "brave"])
def test_a_wrong_key_is_rejected_with_a_hint_and_without_the_key(name, fakes, http, keychain):
    keychain.set_password(secrets.SERVICE, name, "wrong-key-000")
    with pytest.raises(ProviderFailure) as info:
        provider(name, fakes, http).search("q", 10, timeout=5)
    assert info.value.outcome == "rejected"
    assert not info.value.retryable
    assert f"--set-key {name}" in info.value.message
    assert "wrong-key-000" not in info.value.message


def test_searxng_without_json_output_explains_the_setting(fakes, http):
    fakes["searxng"].script("forbidden")
    with pytest.raises(ProviderFailure) as info:
        provider("searxng", fakes, http).search("q", 10, timeout=5)
    assert info.value.outcome == "rejected"
    assert "settings.yml" in info.value.message


def test_an_unreachable_server_is_a_network_error(http):
    settings = ToolSettings(
        search_providers=("searxng",), provider_urls={"searxng": "http://127.0.0.1:9"}
    )
    slot = ProviderRegistry().slots(settings, http)[0]
    assert not isinstance(slot, tuple)
    with pytest.raises(ProviderFailure) as info:
        slot.search("q", 10, timeout=2)
    assert info.value.outcome == "network_error"


def test_retry_after_accepts_seconds_and_http_dates():
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412470.0) == 20.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_clean_text_drops_tags_and_entities():
    assert clean_text("a <b>bold</b>\n &amp; more") == "a bold & more"
    assert clean_text(None) == ""


# --- redirects: an API key never follows a redirect --------------------------------------


class Redirector:
    """A provider endpoint on 127.0.0.1 that answers every request with a redirect.

    ``Location`` is ``target`` plus the request's own path and query; every request is
    recorded so a test can see what reached it.
    """

    def __init__(self, status: int = 307) -> None:
        self.status = status
        self.target: str | None = ""  # None: no Location header at all
        self.requests: list[tuple[str, str]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._redirect()

            def do_POST(self) -> None:
                self._redirect()

            def _redirect(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                owner.requests.append((self.command, self.path))
                self.send_response(owner.status)
                if owner.target is not None:
                    self.send_header("Location", owner.target + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def redirector():
    server = Redirector()
    yield server
    server.close()


def _elsewhere(url: str, host: str) -> str:
    """``url`` (``http://127.0.0.1:PORT``) with its host name swapped for ``host``."""
    return url.replace("127.0.0.1", host)


def _sent_anywhere(fake, key: str) -> bool:
    return any(key in repr(r.headers) or key.encode() in r.body for r in fake.requests)


@pytest.mark.parametrize("name", ["serper", "tavily", "brave"])
@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])  # another host; the same host
@pytest.mark.parametrize("status", [302, 307, 308])
@pytest.mark.parametrize("client", ["app", "following"])
def test_a_keyed_provider_that_redirects_is_rejected_and_the_key_goes_nowhere(
    name, host, status, client, fakes, redirector
):
    redirector.status = status
    redirector.target = _elsewhere(fakes[name].url, host)
    settings = ToolSettings(
        search_providers=(name,), provider_urls={name: redirector.url}, read_timeout=5
    )
    # the app's own search client, and a caller's client that follows redirects itself
    if client == "app":
        http_client = make_search_client(settings)
    else:
        http_client = httpx.Client(trust_env=False, follow_redirects=True)
    with http_client:
        slot = ProviderRegistry().slots(settings, http_client)[0]
        assert not isinstance(slot, tuple)
        with pytest.raises(ProviderFailure) as info:
            slot.search("q", 10, timeout=5)
    assert info.value.outcome == "rejected"
    assert not info.value.retryable
    assert slot.label in info.value.message
    assert f"HTTP {status}" in info.value.message
    assert "redirect" in info.value.message
    assert KEYS[name] not in info.value.message
    assert len(redirector.requests) == 1
    assert fakes[name].hits == 0
    assert not _sent_anywhere(fakes[name], KEYS[name])


def test_the_app_search_client_does_not_follow_redirects():
    with make_search_client(ToolSettings()) as client:
        assert client.follow_redirects is False


def test_searxng_follows_a_redirect_on_its_own_host(fakes, redirector):
    redirector.target = fakes["searxng"].url  # 127.0.0.1 again, another port
    settings = ToolSettings(
        search_providers=("searxng",), provider_urls={"searxng": redirector.url}
    )
    with make_search_client(settings) as client:
        slot = ProviderRegistry().slots(settings, client)[0]
        assert not isinstance(slot, tuple)
        hits = slot.search("solar wind", 10, timeout=5)
    assert len(hits) == 10
    assert fakes["searxng"].requests[0].query == {"q": ["solar wind"], "format": ["json"]}


def test_searxng_redirecting_to_another_host_is_reported_not_followed(fakes, redirector):
    redirector.target = _elsewhere(fakes["searxng"].url, "localhost")
    settings = ToolSettings(
        search_providers=("searxng",), provider_urls={"searxng": redirector.url}
    )
    with make_search_client(settings) as client:
        slot = ProviderRegistry().slots(settings, client)[0]
        assert not isinstance(slot, tuple)
        with pytest.raises(ProviderFailure) as info:
            slot.search("q", 10, timeout=5)
    assert info.value.outcome == "rejected"
    assert "SearXNG answered with a redirect (HTTP 307) to localhost" in info.value.message
    assert fakes["searxng"].hits == 0


def test_searxng_redirect_loops_on_its_own_host_end(redirector):
    redirector.target = redirector.url  # back to itself, for ever
    settings = ToolSettings(
        search_providers=("searxng",), provider_urls={"searxng": redirector.url}
    )
    with make_search_client(settings) as client:
        slot = ProviderRegistry().slots(settings, client)[0]
        assert not isinstance(slot, tuple)
        with pytest.raises(ProviderFailure) as info:
            slot.search("q", 10, timeout=5)
    assert info.value.outcome == "rejected"
    assert 1 < len(redirector.requests) <= 5  # followed a few times, then given up


def test_a_redirect_without_a_location_is_rejected(http, redirector):
    redirector.status = 302
    redirector.target = None
    settings = ToolSettings(search_providers=("serper",), provider_urls={"serper": redirector.url})
    slot = ProviderRegistry().slots(settings, http)[0]
    assert not isinstance(slot, tuple)
    with pytest.raises(ProviderFailure) as info:
        slot.search("q", 10, timeout=5)
    assert info.value.outcome == "rejected"
    assert "Serper answered with a redirect (HTTP 302) without a usable Location" in (
        info.value.message
    )

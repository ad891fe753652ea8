"""Each search provider against a local server speaking that provider's real format."""

from __future__ import annotations

import json

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
from tests.helpers.fake_search_servers import KEYS, FakeProviders, FakeResult
from tests.helpers.keyring_backend import MemoryKeyring, use_keyring

PROVIDERS = ("ddgs", "searxng", "serper", "tavily", "brave")


@pytest.fixture(autouse=True)
def keychain(monkeypatch):
    for name in secrets.KEYED_PROVIDERS:
        monkeypatch.delenv(secrets.env_var(name), raising=False)
    with use_keyring(MemoryKeyring()) as backend:
        for name, key in KEYS.items():
            backend.set_password(secrets.SERVICE, name, key)
        yield backend


@pytest.fixture
def fakes():
    servers = FakeProviders()
    yield servers
    servers.close()


@pytest.fixture
def http():
    with httpx.Client(trust_env=False) as client:
        yield client


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

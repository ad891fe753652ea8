"""The web_search tool: trained text, retries, fallback, cooldowns and failures."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

import ii_desktop.tools.search as search_pkg
from ii_desktop.core.settings import ToolSettings
from ii_desktop.tools import secrets
from ii_desktop.tools.base import WEB_SEARCH_SCHEMA, SourceRef, ToolContext
from ii_desktop.tools.search import RetryPolicy, WebSearchTool
from ii_desktop.tools.search.chain import Cooldowns, SearchChain
from ii_desktop.tools.search.provider import SearchHit
from tests.helpers.fake_search_servers import FakeResult

FAST = RetryPolicy(base_delay=0.001, max_delay=0.01, retry_after_cap=0.5, cooldown=60.0)


pytestmark = pytest.mark.usefixtures("stored_keys")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def context(http, fakes, *chain: str, **settings) -> ToolContext:
    tools = ToolSettings(search_providers=chain, provider_urls=fakes.urls, **settings)
    return ToolContext(http=http, settings=tools)


def outcomes(output) -> list[tuple[str, str]]:
    return [(a["provider"], a["outcome"]) for a in output.data["attempts"]]


def test_the_package_exports():
    assert search_pkg.__all__ == [
        "Cooldowns",
        "RetryPolicy",
        "SearchHit",
        "WebSearchTool",
        "make_search_client",
    ]


def test_tool_identity():
    tool = WebSearchTool()
    assert tool.name == "web_search"
    assert tool.schema is WEB_SEARCH_SCHEMA
    tool.close()


def test_text_is_exactly_the_trained_format(http, fakes):
    fakes["tavily"].results = [
        FakeResult("https://a.example/1", "First title...", "First snippet ends here..."),
        FakeResult("https://b.example/2", "Second  title", "Line one\nline two..."),
    ]
    out = WebSearchTool(http, policy=FAST).run({"query": "q"}, context(http, fakes, "tavily"))
    assert out.ok
    assert out.text == (
        "Index: 0\nURL: https://a.example/1\nTitle: First title\n"
        "Preview: First snippet ends here\n\n"
        "Index: 1\nURL: https://b.example/2\nTitle: Second title\nPreview: Line one line two"
    )


def test_data_and_sources_sit_beside_the_text(http, fakes):
    out = WebSearchTool(http, policy=FAST).run(
        {"query": "  deep   sea  "}, context(http, fakes, "serper")
    )
    assert out.ok and out.error is None and out.error_kind is None
    assert out.text.count("Index: ") == 10
    assert out.text.startswith("Index: 0\n") and "Index: 9\n" in out.text
    assert "Index: 10" not in out.text
    assert set(out.data) == {"query", "provider", "results", "attempts"}
    assert out.data["query"] == "deep sea"
    assert out.data["provider"] == "serper"
    assert out.data["attempts"] == [{"provider": "serper", "outcome": "ok", "error": None}]
    first = out.data["results"][0]
    assert first == {
        "url": "https://example.org/serper/deep-sea/0",
        "title": "serper result 0 for deep sea",
        "snippet": "Snippet 0 about deep sea...",
        "provider": "serper",
    }
    assert len(out.data["results"]) == 10
    assert out.sources[0] == SourceRef(first["url"], first["title"], "search_result")
    assert len(out.sources) == 10


@pytest.mark.parametrize("args", [{}, {"query": ""}, {"query": "   "}, {"query": 3}, {"q": "x"}])
def test_bad_arguments(http, fakes, args):
    out = WebSearchTool(http, policy=FAST).run(args, context(http, fakes, "ddgs"))
    assert not out.ok
    assert out.error_kind == "bad_arguments"
    assert "query" in out.text
    assert fakes["ddgs"].hits == 0


@pytest.mark.parametrize(
    ("mode", "outcome"),
    [
        ("rate_limit", "rate_limited"),
        ("server_error", "server_error"),
        ("slow", "timeout"),
        ("empty", "empty"),
        ("malformed", "bad_response"),
    ],
)
def test_retry_then_fall_back(http, fakes, mode, outcome):
    fakes["ddgs"].default = mode
    ctx = context(http, fakes, "ddgs", "serper", read_timeout=0.1)
    out = WebSearchTool(http, policy=FAST).run({"query": "q"}, ctx)
    assert out.ok
    assert out.data["provider"] == "serper"
    assert outcomes(out) == [("ddgs", outcome), ("ddgs", outcome), ("serper", "ok")]
    assert fakes["ddgs"].hits == 2


def test_a_retry_that_succeeds_stays_with_the_provider(http, fakes):
    fakes["brave"].script("server_error")
    out = WebSearchTool(http, policy=FAST).run(
        {"query": "q"}, context(http, fakes, "brave", "ddgs")
    )
    assert out.data["provider"] == "brave"
    assert outcomes(out) == [("brave", "server_error"), ("brave", "ok")]
    assert fakes["ddgs"].hits == 0


def test_retry_after_is_waited_out_when_short(http, fakes):
    fakes["serper"].retry_after = "0.2"
    fakes["serper"].script("rate_limit")
    tool = WebSearchTool(http, policy=FAST)
    started = time.monotonic()
    out = tool.run({"query": "q"}, context(http, fakes, "serper", "tavily"))
    assert time.monotonic() - started >= 0.2
    assert out.data["provider"] == "serper"
    assert tool.cooldowns.remaining("serper") == 0  # the success lifted the cooldown


def test_a_long_retry_after_falls_back_at_once_and_sets_the_cooldown(http, fakes):
    fakes["serper"].retry_after = "300"
    fakes["serper"].script("rate_limit")
    tool = WebSearchTool(http, policy=FAST)
    out = tool.run({"query": "q"}, context(http, fakes, "serper", "tavily"))
    assert outcomes(out) == [("serper", "rate_limited"), ("tavily", "ok")]
    assert 290 < tool.cooldowns.remaining("serper") <= 300


def test_a_rate_limited_provider_is_skipped_during_its_cooldown(http, fakes):
    clock = FakeClock()
    tool = WebSearchTool(http, policy=FAST, clock=clock)
    ctx = context(http, fakes, "ddgs", "brave")
    fakes["ddgs"].script("rate_limit", "rate_limit")
    first = tool.run({"query": "q"}, ctx)
    assert outcomes(first) == [("ddgs", "rate_limited"), ("ddgs", "rate_limited"), ("brave", "ok")]

    second = tool.run({"query": "q2"}, ctx)
    assert outcomes(second) == [("ddgs", "cooldown"), ("brave", "ok")]
    assert "DuckDuckGo" in second.data["attempts"][0]["error"]
    assert fakes["ddgs"].hits == 2  # the next query went straight to a working provider

    clock.now += 61
    third = tool.run({"query": "q3"}, ctx)
    assert outcomes(third) == [("ddgs", "ok")]


def test_a_cooling_provider_still_gets_one_last_try(http, fakes):
    tool = WebSearchTool(http, policy=FAST)
    tool.cooldowns.start("ddgs", 60)
    fakes["brave"].default = "server_error"
    out = tool.run({"query": "q"}, context(http, fakes, "ddgs", "brave"))
    assert out.ok and out.data["provider"] == "ddgs"
    assert outcomes(out) == [
        ("ddgs", "cooldown"),
        ("brave", "server_error"),
        ("brave", "server_error"),
        ("ddgs", "ok"),
    ]
    assert fakes["ddgs"].hits == 1


def test_a_provider_without_a_key_is_skipped_with_a_note(http, fakes, keychain):
    keychain.delete_password(secrets.SERVICE, "serper")
    out = WebSearchTool(http, policy=FAST).run(
        {"query": "q"}, context(http, fakes, "serper", "searxng")
    )
    assert out.ok and out.data["provider"] == "searxng"
    assert outcomes(out) == [("serper", "no_key"), ("searxng", "ok")]
    note = out.data["attempts"][0]["error"]
    assert "Serper" in note and "--set-key serper" in note and "II_DESKTOP_SERPER_KEY" in note


def test_local_and_unconfigured_searxng_are_unavailable(http, fakes):
    ctx = ToolContext(
        http=http,
        settings=ToolSettings(
            search_providers=("local", "searxng", "ddgs"),
            provider_urls={"ddgs": fakes["ddgs"].url},
        ),
    )
    out = WebSearchTool(http, policy=FAST).run({"query": "q"}, ctx)
    assert out.ok
    assert outcomes(out) == [("local", "unavailable"), ("searxng", "unavailable"), ("ddgs", "ok")]
    assert "SearXNG URL" in out.data["attempts"][1]["error"]


def test_when_every_provider_fails(http, fakes, keychain):
    keychain.delete_password(secrets.SERVICE, "tavily")
    fakes["ddgs"].default = "rate_limit"
    fakes["brave"].default = "server_error"
    out = WebSearchTool(http, policy=FAST).run(
        {"query": "q"}, context(http, fakes, "ddgs", "brave", "tavily")
    )
    assert not out.ok
    assert out.error_kind == "search_failed"
    assert out.error.startswith("Search failed")
    assert out.error.endswith("Try a different query.")
    assert out.text == f"Error: {out.error}"
    assert "ddgs: rate-limited" in out.error and "tavily: no API key" in out.error
    assert out.data["results"] == [] and out.data["provider"] is None
    assert out.sources == ()
    assert [a["provider"] for a in out.data["attempts"]] == [
        "ddgs",
        "ddgs",
        "brave",
        "brave",
        "tavily",
    ]


def test_no_results_anywhere_says_so(http, fakes):
    fakes["ddgs"].default = "empty"
    fakes["searxng"].default = "empty"
    out = WebSearchTool(http, policy=FAST).run(
        {"query": "q"}, context(http, fakes, "ddgs", "searxng")
    )
    assert out.error_kind == "search_failed"
    assert out.error == "Search failed: no results for this query. Try a different query."


def test_cancel_before_the_search_sends_nothing(http, fakes):
    ctx = context(http, fakes, "ddgs")
    ctx.cancel.set()
    out = WebSearchTool(http, policy=FAST).run({"query": "q"}, ctx)
    assert out.error_kind == "cancelled"
    assert fakes["ddgs"].hits == 0


def test_cancel_wakes_a_backoff_sleep(http, fakes):
    fakes["ddgs"].default = "server_error"
    ctx = context(http, fakes, "ddgs", "serper")
    slow_backoff = RetryPolicy(base_delay=10.0, max_delay=10.0)
    timer = threading.Timer(0.2, ctx.cancel.set)
    timer.start()
    started = time.monotonic()
    out = WebSearchTool(http, policy=slow_backoff).run({"query": "q"}, ctx)
    timer.join()
    assert time.monotonic() - started < 5
    assert out.error_kind == "cancelled"
    assert fakes["serper"].hits == 0


def test_the_whole_search_is_bounded_by_the_total_timeout(http, fakes):
    fakes["ddgs"].default = "slow"
    ctx = context(http, fakes, "ddgs", "serper", read_timeout=5.0, total_timeout=0.15)
    started = time.monotonic()
    out = WebSearchTool(http, policy=FAST).run({"query": "q"}, ctx)
    assert time.monotonic() - started < 2
    assert out.error_kind == "search_failed"
    assert outcomes(out)[0] == ("ddgs", "timeout")
    assert outcomes(out)[-1] == ("serper", "timeout")
    assert fakes["serper"].hits == 0


class _Broken:
    name = "broken"
    label = "Broken"

    def search(self, query: str, max_results: int, timeout: float) -> list[SearchHit]:
        raise KeyError("bug")


class _Fixed:
    name = "fixed"
    label = "Fixed"

    def search(self, query: str, max_results: int, timeout: float) -> list[SearchHit]:
        return [SearchHit("https://x.example", "X", "x", self.name)]


def test_a_provider_bug_becomes_an_attempt_not_a_crash():
    chain = SearchChain(
        slots=[_Broken(), _Fixed()],
        policy=FAST,
        cooldowns=Cooldowns(),
        cancel=threading.Event(),
        deadline=time.monotonic() + 5,
        read_timeout=1,
    )
    result = chain.run("q")
    assert result.provider == "fixed"
    assert [(a.provider, a.outcome) for a in result.attempts] == [
        ("broken", "error"),
        ("fixed", "ok"),
    ]


def test_backoff_grows_and_respects_caps():
    policy = RetryPolicy(base_delay=0.5, max_delay=2.0, retry_after_cap=5.0)
    assert [policy.backoff(i, None) for i in range(4)] == [0.5, 1.0, 2.0, 2.0]
    assert policy.backoff(0, 3.0) == 3.0
    assert policy.backoff(0, 6.0) is None
    assert policy.cooldown_for(None) == policy.cooldown
    assert policy.cooldown_for(10_000) == policy.max_cooldown


def test_without_a_client_the_tool_makes_and_closes_its_own(fakes):
    tool = WebSearchTool(policy=FAST)
    with httpx.Client(trust_env=False) as page_client:
        out = tool.run({"query": "q"}, context(page_client, fakes, "searxng"))
    assert out.ok
    tool.close()
    tool.close()


def test_a_provider_that_redirects_is_skipped_for_the_next_one(fakes):
    from tests.tools.test_search_providers import Redirector

    redirector = Redirector(307)
    redirector.target = fakes["serper"].url.replace("127.0.0.1", "localhost")
    try:
        urls = {**fakes.urls, "serper": redirector.url}
        settings = ToolSettings(search_providers=("serper", "brave"), provider_urls=urls)
        tool = WebSearchTool(policy=FAST)  # with the app's own search client
        try:
            with httpx.Client(trust_env=False) as page_client:
                out = tool.run({"query": "q"}, ToolContext(http=page_client, settings=settings))
        finally:
            tool.close()
    finally:
        redirector.close()
    assert out.ok
    assert out.data["provider"] == "brave"
    assert outcomes(out) == [("serper", "rejected"), ("brave", "ok")]
    assert "Serper answered with a redirect (HTTP 307)" in out.data["attempts"][0]["error"]
    assert fakes["serper"].hits == 0

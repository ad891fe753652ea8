"""The ``web_search`` tool: the configured provider chain behind the trained result text.

Search APIs and a user's own SearXNG are trusted endpoints, so searches go through a
plain client of their own rather than ``ctx.http``, which guards page visits against
private addresses (and would refuse a SearXNG on localhost).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from ii_desktop import __version__
from ii_desktop.core.settings import ToolSettings
from ii_desktop.tools.base import (
    MAX_SEARCH_RESULTS,
    WEB_SEARCH_SCHEMA,
    SourceRef,
    ToolContext,
    ToolOutput,
    format_search_results,
)
from ii_desktop.tools.search.chain import ChainResult, Cooldowns, RetryPolicy, SearchChain
from ii_desktop.tools.search.local import SavedPageIndex
from ii_desktop.tools.search.registry import ProviderRegistry

_OUTCOME_WORDS = {
    "rate_limited": "rate-limited",
    "server_error": "server error",
    "timeout": "timed out",
    "empty": "no results",
    "bad_response": "unreadable answer",
    "network_error": "unreachable",
    "rejected": "request refused",
    "no_key": "no API key",
    "unavailable": "not set up",
    "cooldown": "rate-limited recently",
    "error": "failed",
}


def make_search_client(settings: ToolSettings) -> httpx.Client:
    """The trusted client for search APIs; timeouts are also set per request.

    It never follows redirects: httpx would resend API keys in ``X-API-KEY`` and
    ``X-Subscription-Token`` headers (and Tavily's JSON body) to wherever a redirect
    points. ``request_json`` decides about each redirect itself.
    """
    direct = httpx.HTTPTransport()
    return httpx.Client(
        timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
        follow_redirects=False,
        headers={"User-Agent": f"ii-desktop/{__version__}"},
        # a SearXNG on this machine must never go through a proxy from the environment
        mounts={
            "all://localhost": direct,
            "all://127.0.0.1": direct,
            "all://[::1]": direct,
        },
    )


def _failure_text(result: ChainResult) -> str:
    last: dict[str, str] = {}
    for attempt in result.attempts:
        last[attempt.provider] = attempt.outcome
    if not last:
        return "Search failed: no search provider is configured. Try a different query."
    if set(last.values()) == {"empty"}:
        return "Search failed: no results for this query. Try a different query."
    reasons = "; ".join(f"{name}: {_OUTCOME_WORDS.get(o, o)}" for name, o in last.items())
    return f"Search failed ({reasons}). Try a different query."


_NETWORK_OUTCOMES = {"network_error", "timeout"}
_KEY_OUTCOMES = {"no_key", "rejected"}


def search_failure_message(attempts: list[dict[str, Any]]) -> str:
    """A failed search in one line for the person who asked: what each provider's
    trouble was and whether the network or a key is the thing to fix (the model gets
    ``_failure_text``, the words it was trained on)."""
    last: dict[str, dict[str, Any]] = {}
    for attempt in attempts:
        last[attempt["provider"]] = attempt
    if not last:
        return "Search failed: no search provider is set up; choose one with --provider."
    outcomes = {a["outcome"] for a in last.values()}
    if outcomes == {"empty"}:
        return "Search found nothing for this query; try other words."
    said = {
        name: str(a.get("error") or _OUTCOME_WORDS.get(a["outcome"], a["outcome"]))
        for name, a in last.items()
    }
    parts = "; ".join(f"{name}: {why.rstrip('.')}" for name, why in said.items())
    if outcomes <= _NETWORK_OUTCOMES:
        advice = (
            " The network is the problem: check the connection, or use a SearXNG of your "
            "own with --searxng-url."
        )
    elif outcomes <= _KEY_OUTCOMES:
        advice = " The API key is the problem, not the query."
    elif outcomes <= _KEY_OUTCOMES | _NETWORK_OUTCOMES:
        advice = " Check the network connection and the API keys."
    elif "rate_limited" in outcomes or "cooldown" in outcomes:
        advice = " Wait a minute and try again, or add another provider with --provider."
    else:
        advice = ""
    return f"Search failed ({parts}).{advice}"


class WebSearchTool:
    """``web_search``: up to 10 results in the trained text, the rest in ``data``.

    ``http`` is the trusted search client (see ``make_search_client``); without one, a
    client is made from the first run's settings and closed by ``close()``. Rate-limit
    cooldowns live as long as the tool, so keep one tool per session.
    """

    name = "web_search"
    schema: dict[str, Any] = WEB_SEARCH_SCHEMA

    def __init__(
        self,
        http: httpx.Client | None = None,
        *,
        policy: RetryPolicy | None = None,
        cooldowns: Cooldowns | None = None,
        clock: Callable[[], float] = time.monotonic,
        local: SavedPageIndex | None = None,
    ) -> None:
        self._http = http
        self._owns_http = http is None
        self._policy = policy or RetryPolicy()
        self._clock = clock
        self.cooldowns = cooldowns or Cooldowns(clock)
        self._registry = ProviderRegistry(local)
        self._lock = threading.Lock()

    def _client(self, settings: ToolSettings) -> httpx.Client:
        with self._lock:
            if self._http is None:
                self._http = make_search_client(settings)
            return self._http

    def close(self) -> None:
        with self._lock:
            if self._owns_http and self._http is not None:
                self._http.close()
                self._http = None

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutput:
        query = args.get("query") if isinstance(args, dict) else None
        if not isinstance(query, str) or not query.strip():
            return ToolOutput.failure(
                "bad_arguments",
                "The model asked for a search without saying what to search for.",
                model_message="web_search needs a non-empty 'query' string.",
            )
        query = " ".join(query.split())
        settings = ctx.settings
        http = self._client(settings)
        chain = SearchChain(
            slots=self._registry.slots(settings, http),
            policy=self._policy,
            cooldowns=self.cooldowns,
            cancel=ctx.cancel,
            deadline=self._clock() + settings.total_timeout,
            read_timeout=settings.read_timeout,
            max_results=MAX_SEARCH_RESULTS,
            clock=self._clock,
        )
        result = chain.run(query)
        attempts = [a.to_dict() for a in result.attempts]
        if result.cancelled:
            return ToolOutput.failure(
                "cancelled",
                "Search cancelled.",
                query=query,
                provider=None,
                results=[],
                attempts=attempts,
            )
        if not result.ok:
            return ToolOutput.failure(
                "search_failed",
                _failure_text(result),
                query=query,
                provider=None,
                results=[],
                attempts=attempts,
            )
        results = [hit.to_dict() for hit in result.hits[:MAX_SEARCH_RESULTS]]
        return ToolOutput(
            ok=True,
            text=format_search_results(results),
            sources=tuple(SourceRef(r["url"], r["title"], "search_result") for r in results),
            data={
                "query": query,
                "provider": result.provider,
                "results": results,
                "attempts": attempts,
            },
        )

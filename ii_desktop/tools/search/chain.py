"""The fallback chain: try each provider in turn, retrying what a retry can fix.

Rate limits, 5xx, timeouts, empty and unreadable answers are retried with a short
exponential backoff (honouring Retry-After up to a cap), then the next provider is
tried. A provider that rate-limited us goes into a cooldown: later queries skip it, so
they reach a working provider at once instead of waiting out the same limit again.
Cooling providers still get one last try when nothing else answered, so a chain never
gives up without asking anyone. Cancellation is checked between attempts and wakes a
backoff sleep at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ii_desktop.tools.search.provider import ProviderFailure, SearchHit, SearchProvider

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to push one provider before moving on; all times in seconds."""

    tries: int = 2  # per provider and query
    base_delay: float = 0.5
    max_delay: float = 4.0
    retry_after_cap: float = 5.0  # a longer Retry-After means fall back now instead
    cooldown: float = 120.0
    max_cooldown: float = 900.0

    def backoff(self, try_index: int, retry_after: float | None) -> float | None:
        """Seconds to wait before the next try, or None to fall back now."""
        delay = min(self.max_delay, self.base_delay * 2.0**try_index)
        if retry_after is not None:
            if retry_after > self.retry_after_cap:
                return None
            delay = max(delay, retry_after)
        return delay

    def cooldown_for(self, retry_after: float | None) -> float:
        return min(self.max_cooldown, max(self.cooldown, retry_after or 0.0))


class Cooldowns:
    """Providers that rate-limited us recently; shared across queries and threads."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def start(self, provider: str, seconds: float) -> None:
        with self._lock:
            self._until[provider] = self._clock() + seconds

    def clear(self, provider: str) -> None:
        with self._lock:
            self._until.pop(provider, None)

    def remaining(self, provider: str) -> float:
        with self._lock:
            left = self._until.get(provider, 0.0) - self._clock()
            if left <= 0:
                self._until.pop(provider, None)
                return 0.0
            return left


@dataclass(frozen=True)
class Attempt:
    """One try (or skip) of one provider, as kept in ``ToolOutput.data["attempts"]``."""

    provider: str
    outcome: str
    error: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"provider": self.provider, "outcome": self.outcome, "error": self.error}


@dataclass
class ChainResult:
    provider: str | None = None
    hits: list[SearchHit] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return self.provider is not None


# A slot is a ready provider, or the reason it cannot be used (no key, no URL, ...).
Slot = SearchProvider | tuple[str, ProviderFailure]


@dataclass
class SearchChain:
    slots: Sequence[Slot]
    policy: RetryPolicy
    cooldowns: Cooldowns
    cancel: threading.Event
    deadline: float  # on ``clock``'s scale
    read_timeout: float
    max_results: int = 10
    clock: Callable[[], float] = time.monotonic

    def run(self, query: str) -> ChainResult:
        result = ChainResult()
        deferred: list[SearchProvider] = []
        for slot in self.slots:
            if isinstance(slot, tuple):
                name, reason = slot
                result.attempts.append(Attempt(name, reason.outcome, reason.message))
                continue
            wait = self.cooldowns.remaining(slot.name)
            if wait > 0:
                note = f"{slot.label} rate-limited us recently; skipped for another {wait:.0f} s"
                result.attempts.append(Attempt(slot.name, "cooldown", note))
                deferred.append(slot)
                continue
            if self._try(slot, query, self.policy.tries, result):
                return result
        for provider in deferred:
            if self._try(provider, query, 1, result):
                return result
        return result

    def _try(self, provider: SearchProvider, query: str, tries: int, result: ChainResult) -> bool:
        """Up to ``tries`` attempts; True when the chain is done (answered or cancelled)."""
        for index in range(tries):
            if self.cancel.is_set():
                result.cancelled = True
                return True
            left = self.deadline - self.clock()
            if left <= 0:
                result.attempts.append(
                    Attempt(provider.name, "timeout", "no time left for this search")
                )
                return False
            try:
                hits = provider.search(query, self.max_results, min(self.read_timeout, left))
            except ProviderFailure as failure:
                result.attempts.append(Attempt(provider.name, failure.outcome, failure.message))
                log.info("%s: %s", provider.name, failure.message)
                if failure.outcome == "rate_limited":
                    self.cooldowns.start(
                        provider.name, self.policy.cooldown_for(failure.retry_after)
                    )
                if not failure.retryable or index + 1 >= tries:
                    return False
                delay = self.policy.backoff(index, failure.retry_after)
                if delay is None:
                    return False
                if self.cancel.wait(max(0.0, min(delay, self.deadline - self.clock()))):
                    result.cancelled = True
                    return True
            except Exception as exc:
                # a provider bug must not take down the research run
                log.warning("%s failed unexpectedly: %s", provider.name, type(exc).__name__)
                log.debug("provider failure", exc_info=True)
                message = f"{provider.label} failed unexpectedly ({type(exc).__name__})"
                result.attempts.append(Attempt(provider.name, "error", message))
                return False
            else:
                result.attempts.append(Attempt(provider.name, "ok"))
                self.cooldowns.clear(provider.name)
                result.provider = provider.name
                result.hits = hits
                return True
        return False

"""The HTTP client the tools share, with the page guard built into its connections.

``make_guarded_client(settings)`` builds the ``httpx.Client`` the app puts in
``ToolContext.http``. Its transport uses an httpcore network backend that resolves each
host itself, checks every address with ``tools.guard`` and connects to the address it
checked, so a second DNS answer (rebinding) cannot move the connection elsewhere. TLS
still verifies, and SNI and the Host header still carry, the host name. Proxies from the
environment are ignored (a proxy would connect on our behalf, unchecked).

``deadline(seconds)`` bounds a whole exchange: every connect, read and write made under
it gets at most the time left, so a server dripping one byte a second cannot hold a
fetch past its total timeout.
"""

from __future__ import annotations

import contextvars
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

from ii_desktop.core.settings import ToolSettings
from ii_desktop.tools.guard import GuardError, HostPolicy, IPAddress, resolve

# A current desktop browser; some sites serve an empty shell or a 403 to unknown agents.
USER_AGENT = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)
ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,"
    "application/pdf;q=0.9,text/plain;q=0.8,application/json;q=0.8,*/*;q=0.5"
)

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "ii_desktop_http_deadline", default=None
)
_CANCEL: contextvars.ContextVar[threading.Event | None] = contextvars.ContextVar(
    "ii_desktop_http_cancel", default=None
)
_CANCEL_POLL = 0.1  # seconds between looks at the cancel flag while a read waits


class Cancelled(Exception):
    """The caller's cancel flag was set while a request was waiting on the network."""


class BlockedAddress(GuardError):
    """Raised from inside the transport when a connection would reach a refused address."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__("blocked", message, hint)


@contextmanager
def deadline(seconds: float, cancel: threading.Event | None = None) -> Iterator[None]:
    """Bound every network operation inside the block to ``seconds`` in total.

    With ``cancel``, a read waiting on a silent server also stops soon after it is set.
    """
    token = _DEADLINE.set(time.monotonic() + seconds)
    cancel_token = _CANCEL.set(cancel)
    try:
        yield
    finally:
        _CANCEL.reset(cancel_token)
        _DEADLINE.reset(token)


def _clip(timeout: float | None, error: type[Exception]) -> float | None:
    end = _DEADLINE.get()
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise error("The total time limit for this page was reached.")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        timeout = _clip(timeout, httpcore.ReadTimeout)
        cancel = _CANCEL.get()
        if cancel is None:
            return self._inner.read(max_bytes, timeout)
        # wait in short slices so a cancel is noticed; a timed-out recv consumed nothing
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            if cancel.is_set():
                raise Cancelled()
            left = None if end is None else end - time.monotonic()
            if left is not None and left <= 0:
                raise httpcore.ReadTimeout("The server stopped sending.")
            try:
                return self._inner.read(
                    max_bytes, _CANCEL_POLL if left is None else min(_CANCEL_POLL, left)
                )
            except httpcore.ReadTimeout:
                continue

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clip(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(
            ssl_context, server_hostname, _clip(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


def resolve_within(host: str, port: int, timeout: float | None) -> list[IPAddress]:
    # getaddrinfo has no timeout of its own; a stuck resolver is left behind in a daemon.
    if timeout is None:
        return resolve(host, port)
    result: list[list[IPAddress]] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            result.append(resolve(host, port))
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=work, name="resolve", daemon=True)
    thread.start()
    thread.join(timeout)
    if result:
        return result[0]
    if failure:
        raise failure[0]
    raise httpcore.ConnectTimeout(f"Resolving {host} took too long.")


class GuardedBackend(httpcore.NetworkBackend):
    """Resolve, check every address, connect to a checked address."""

    def __init__(self, policy: HostPolicy) -> None:
        self.policy = policy
        self._plain = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _clip(timeout, httpcore.ConnectTimeout)
        try:
            addresses = resolve_within(host, port, timeout)
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"Could not resolve {host}: {exc}") from None
        if not addresses:
            raise httpcore.ConnectError(f"{host} has no address.")
        try:
            self.policy.check_addresses(host, port, addresses)
        except GuardError as exc:
            raise BlockedAddress(exc.model_message, exc.hint) from None
        last: Exception | None = None
        for ip in addresses:
            try:
                stream = self._plain.connect_tcp(
                    str(ip),
                    port,
                    timeout=_clip(timeout, httpcore.ConnectTimeout),
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
                continue
            return _DeadlineStream(stream)
        assert last is not None
        raise last

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise BlockedAddress("Unix sockets are never used for pages.")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport, on a connection pool that uses ``GuardedBackend``."""

    def __init__(self, policy: HostPolicy, limits: httpx.Limits | None = None) -> None:
        limits = limits or httpx.Limits(max_connections=20, max_keepalive_connections=10)
        super().__init__(trust_env=False, limits=limits)
        self.policy = policy
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(policy),
        )


class GuardedClient(httpx.Client):
    """An ``httpx.Client`` whose every connection passes the page guard."""

    policy: HostPolicy


def _accept_encoding() -> str:
    try:
        import brotli  # noqa: F401
    except ImportError:
        return "gzip, deflate"
    return "gzip, deflate, br"


def make_guarded_client(settings: ToolSettings) -> httpx.Client:
    """The client for ``ToolContext.http``: guarded, no env proxies, no auto-redirects."""
    policy = HostPolicy.from_settings(settings)
    client = GuardedClient(
        transport=GuardedTransport(policy),
        trust_env=False,
        follow_redirects=False,
        timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
        headers={
            "User-Agent": USER_AGENT,
            "Accept": ACCEPT,
            "Accept-Language": "en-US,en;q=0.9",
            "Accept-Encoding": _accept_encoding(),
        },
    )
    client.policy = policy
    return client


def is_guarded(client: httpx.Client) -> bool:
    return isinstance(client, GuardedClient)

"""Read a fetched page within a deadline and a memory cap.

Parsing is where a hostile page costs: a small PDF can hold millions of text operators,
and a long HTML page keeps both extractors busy for minutes. ``read_page_bounded``
gives what ``read_page`` gives, but stops when the deadline passes, the memory cap is
reached or the visit is cancelled, and says so with a ``FetchError`` (``timeout``,
``too_large`` or ``cancelled``).

Small HTML, text and JSON pages, which are most pages, are read in this process: their
cost is bounded by their size and the readers' own caps, and they stay as fast as
before. Larger pages and every PDF are read in a worker process, which is killed when
its time or memory runs out. Workers are forked from a clean server process that has
the readers imported (the app's own process has threads running and is never forked),
and a few are kept warm between pages. A PDF's pages come back as they are read, so a
document that runs out of time keeps the pages read by then.

The memory cap is an address-space limit in the worker where the system honours one
(Linux), and everywhere a watchdog thread in the worker that ends it once its resident
size passes the cap. macOS ignores address-space limits, so there the watchdog and the
capped input sizes (the download limit, the readers' element, block and content caps)
are the bound.

As with any program whose processes are started this way, a script that reads pages
must keep its own work under ``if __name__ == "__main__":``; each worker imports it.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from dataclasses import replace
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any

from ii_desktop.tools.fetch import FetchedPage, FetchError
from ii_desktop.tools.reader_pdf import PdfInfo, page_listener, pdf_text

if TYPE_CHECKING:  # visit imports this module to read its pages
    from ii_desktop.tools.visit import PageText

log = logging.getLogger(__name__)
READ_DEADLINE_S = 20.0  # for reading, after the download's own 45 s
READ_MEMORY_BYTES = 512 * 1024 * 1024  # above what an idle worker holds
# Read in this process: HTML up to this size and this many tags (at most about 0.3 s,
# as the extractors' cost grows with the elements), text and JSON up to the larger size.
INLINE_HTML_BYTES = 96 * 1024
INLINE_HTML_TAGS = 1500
INLINE_TEXT_BYTES = 256 * 1024
POOL_SIZE = 2  # idle workers kept warm; more start when visits run side by side
WORKER_START_S = 30.0  # a new worker is ready in milliseconds, the first in about a second
CANCELLED = "The visit was cancelled."

_POLL_S = 0.05  # how often a wait looks at the deadline and the cancel flag
_WATCH_S = 0.02  # how often a worker's watchdog looks at its memory
_EXIT_MEMORY = 86  # a worker's exit status when it ran out of memory
_RETIRE_GROWTH = 256 * 1024 * 1024  # a worker grown this much is replaced after its page
_RETIRE_PAGES = 200
_PRELOAD = [
    "ii_desktop.tools.read_worker",
    "ii_desktop.tools.visit",
    "lxml.html",
    "readability",
    "trafilatura",
    "pypdf",
]


def read_page_bounded(
    page: FetchedPage,
    deadline_s: float = READ_DEADLINE_S,
    memory_bytes: int = READ_MEMORY_BYTES,
    cancel: threading.Event | None = None,
) -> PageText:
    """``read_page`` within ``deadline_s`` seconds and ``memory_bytes`` of memory.

    Raises ``FetchError``: ``timeout`` or ``too_large`` when a limit is reached (a PDF
    that has some pages read by then gives those instead, with a line saying where
    reading stopped), ``cancelled`` when ``cancel`` is set, and the readers' own errors.
    """
    if cancel is not None and cancel.is_set():
        raise FetchError("cancelled", CANCELLED)
    if reads_inline(page):
        return _read_inline(page, memory_bytes)
    return _POOL.read(page, deadline_s, memory_bytes, cancel)


def reads_inline(page: FetchedPage) -> bool:
    """Whether a page is small enough to read in this process."""
    if page.kind == "pdf":
        return False
    if page.kind == "html":
        return len(page.body) <= INLINE_HTML_BYTES and page.body.count(b"<") <= INLINE_HTML_TAGS
    return len(page.body) <= INLINE_TEXT_BYTES


def warm_up(count: int = 1) -> None:
    """Start workers ahead of the first large page (the first start imports the readers
    in the server process, about a second); safe to call from a background thread."""
    _POOL.warm(count)


def shutdown() -> None:
    """Stop the idle workers; any later read starts new ones."""
    _POOL.shutdown()


def _timeout_message(deadline_s: float) -> str:
    return f"Reading the page took longer than {deadline_s:g} s; it was skipped."


def _memory_message(memory_bytes: int) -> str:
    return f"Reading the page needed more than {_mib(memory_bytes)} of memory; it was skipped."


def _mib(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MiB"


def _read_inline(page: FetchedPage, memory_bytes: int) -> PageText:
    from ii_desktop.tools.visit import read_page

    try:
        return read_page(page)
    except FetchError:
        raise
    except MemoryError:
        raise FetchError("too_large", _memory_message(memory_bytes)) from None
    except Exception as exc:  # a reader's bug must not end the visit with a traceback
        log.info("a reader failed on %s: %s", page.final_url, type(exc).__name__)
        raise FetchError("unsupported_type", _failed_message("its reader failed")) from None


def _failed_message(why: str) -> str:
    return f"The page could not be read ({why})."


# --- the parent's side ----------------------------------------------------------------


class _Dead(Exception):
    """A worker that ended before it answered."""


class _Worker:
    def __init__(self, ctx: BaseContext) -> None:
        parent, child = ctx.Pipe(duplex=True)
        process: BaseProcess = ctx.Process(  # type: ignore[attr-defined]
            target=_serve, args=(child,), name="ii-desktop page reader", daemon=True
        )
        process.start()
        child.close()  # so the parent sees the end of the pipe when the worker ends
        self.process = process
        self.conn = parent
        self.retired = False

    def wait_ready(self, cancel: threading.Event | None) -> None:
        ends = time.monotonic() + WORKER_START_S
        while time.monotonic() < ends:
            if cancel is not None and cancel.is_set():
                self.kill()
                raise FetchError("cancelled", CANCELLED)
            try:
                if self.conn.poll(_POLL_S):
                    if self.conn.recv() == ("ready",):
                        return
                    break
            except (EOFError, OSError):
                break
        self.kill()
        raise _Dead

    def alive(self) -> bool:
        return self.process.is_alive()

    def stop(self) -> int | None:
        """End the worker now, leaving what it sent readable; its exit status."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        return self.process.exitcode

    def kill(self) -> int | None:
        """End the worker and close the pipe; its exit status."""
        status = self.stop()
        self.conn.close()
        return status

    def close(self) -> None:
        """Ask an idle worker to leave, killing it if it does not."""
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.process.join(1)
        self.kill()


class _Pool:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._ctx: BaseContext | None = None

    def _context(self) -> BaseContext:
        with self._lock:
            if self._ctx is None:
                if "forkserver" in multiprocessing.get_all_start_methods():
                    ctx = multiprocessing.get_context("forkserver")
                    ctx.set_forkserver_preload(_PRELOAD)
                    self._ctx = ctx
                else:
                    self._ctx = multiprocessing.get_context("spawn")
            return self._ctx

    def _start(self, cancel: threading.Event | None) -> _Worker:
        worker = _Worker(self._context())
        worker.wait_ready(cancel)
        return worker

    def take(self, cancel: threading.Event | None) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.alive():
                    return worker
                worker.kill()
        try:
            return self._start(cancel)
        except _Dead:
            return self._start(cancel)  # once more: a start can lose a race with exit

    def give(self, worker: _Worker) -> None:
        if not worker.retired and worker.alive():
            with self._lock:
                if len(self._idle) < POOL_SIZE:
                    self._idle.append(worker)
                    return
        worker.close()

    def warm(self, count: int) -> None:
        with self._lock:
            missing = count - len(self._idle)
        for _ in range(min(missing, POOL_SIZE)):
            try:
                self.give(self._start(None))
            except _Dead:
                return

    def shutdown(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.close()

    def read(
        self,
        page: FetchedPage,
        deadline_s: float,
        memory_bytes: int,
        cancel: threading.Event | None,
    ) -> PageText:
        for attempt in range(2):
            try:
                worker = self.take(cancel)
            except _Dead:
                failed = _failed_message("no reader could start")
                raise FetchError("unsupported_type", failed) from None
            try:
                worker.conn.send((replace(page, body=b""), memory_bytes))
                worker.conn.send_bytes(page.body)  # sent from the bytes, not a pickled copy
            except OSError:
                worker.kill()  # it ended while idle; another one takes the page
                if attempt:
                    failed = _failed_message("its reader stopped")
                    raise FetchError("unsupported_type", failed) from None
                continue
            job = _Job(worker, deadline_s, memory_bytes, cancel)
            try:
                return job.run()
            finally:
                if job.done:
                    self.give(worker)
                else:
                    worker.kill()
        raise AssertionError("unreachable")


class _Job:
    """One page being read by a worker, as seen from the parent."""

    def __init__(
        self,
        worker: _Worker,
        deadline_s: float,
        memory_bytes: int,
        cancel: threading.Event | None,
    ) -> None:
        self.worker = worker
        self.deadline_s = deadline_s
        self.memory_bytes = memory_bytes
        self.cancel = cancel
        self.ends = time.monotonic() + deadline_s
        self.info: PdfInfo | None = None
        self.pages: list[str] = []
        self.done = False  # answered, so the worker is free for the next page

    def run(self) -> PageText:
        conn = self.worker.conn
        while True:
            if self.cancel is not None and self.cancel.is_set():
                raise FetchError("cancelled", CANCELLED)
            left = self.ends - time.monotonic()
            if left <= 0:
                self.worker.stop()
                self._drain()
                return self._stopped(
                    "timeout",
                    _timeout_message(self.deadline_s),
                    f"the rest took longer than {self.deadline_s:g} s",
                )
            try:
                if not conn.poll(min(_POLL_S, left)):
                    continue
                message = conn.recv()
            except (EOFError, OSError):
                return self._ended()
            result = self._take(message)
            if result is not None:
                return result

    def _take(self, message: Any) -> PageText | None:
        tag = message[0]
        if tag == "page":
            self.info = message[1]
            self.pages.append(message[2])
            return None
        self.done = True
        self.worker.retired = bool(message[-1])
        if tag == "done":
            result: PageText = message[1]
            return result
        if tag == "failed":
            kind, text = message[1]
            raise FetchError(kind, text)
        if tag == "memory":
            return self._stopped(
                "too_large",
                _memory_message(self.memory_bytes),
                f"the rest needed more than {_mib(self.memory_bytes)} of memory",
            )
        log.info("a reader failed: %s", message[1])  # the class name, for the log only
        raise FetchError("unsupported_type", _failed_message("its reader failed"))

    def _ended(self) -> PageText:
        """The worker ended without an answer: out of memory, or a crash in a parser."""
        status = self.worker.stop()
        if status in (_EXIT_MEMORY, -signal.SIGKILL):  # the system's OOM killer sends KILL
            return self._stopped(
                "too_large",
                _memory_message(self.memory_bytes),
                f"the rest needed more than {_mib(self.memory_bytes)} of memory",
            )
        raise FetchError("unsupported_type", _failed_message("its reader stopped unexpectedly"))

    def _drain(self) -> None:
        """Pages the worker sent before it was stopped."""
        try:
            while self.worker.conn.poll(0):
                message = self.worker.conn.recv()
                if message[0] == "page":
                    self.info = message[1]
                    self.pages.append(message[2])
        except (EOFError, OSError):
            pass

    def _stopped(self, kind: str, message: str, why: str) -> PageText:
        """The PDF pages read before a limit was reached, or the failure if none."""
        from ii_desktop.tools.visit import PageText

        if self.info is None or not any(self.pages):
            raise FetchError(kind, message)
        pdf = pdf_text(self.info, self.pages)
        note = f"[Reading stopped after page {len(self.pages)}: {why}.]"
        return PageText(
            pdf.title, pdf.author, pdf.date, f"{pdf.text}\n\n{note}", f"{pdf.markdown}\n\n{note}"
        )


_POOL = _Pool()
atexit.register(_POOL.shutdown)


# --- the worker's side ----------------------------------------------------------------


def _serve(conn: Connection) -> None:
    """A worker's life: read pages sent by the parent until told to stop."""
    from ii_desktop.tools.visit import read_page

    watchdog = _Watchdog()
    watchdog.start()
    limit = _AddressLimit()
    conn.send(("ready",))
    for done in range(1, _RETIRE_PAGES + 1):
        try:
            head = conn.recv()
            if head is None:
                return
            meta, memory_bytes = head
            page = replace(meta, body=conn.recv_bytes())
        except (EOFError, OSError):
            return
        start = _resident()
        watchdog.limit = start + memory_bytes
        limit.set(memory_bytes)
        try:
            reply: tuple[Any, ...] = ("done", _read(page, conn, read_page))
        except FetchError as exc:
            reply = ("failed", (exc.kind, exc.message))
        except MemoryError:
            reply = ("memory", None)
        except Exception as exc:  # reported to the parent, which gives the visit's error
            reply = ("error", type(exc).__name__)
        finally:
            limit.lift()
            watchdog.limit = None
        del page
        retire = done == _RETIRE_PAGES or _peak() - start > _RETIRE_GROWTH or reply[0] == "memory"
        try:
            conn.send((*reply, retire))
        except (OSError, MemoryError):
            return
        if retire:
            return


def _read(page: FetchedPage, conn: Connection, read_page: Any) -> PageText:
    def on_page(info: PdfInfo, text: str) -> None:
        conn.send(("page", info, text))

    # read_page itself, with a PDF's pages sent on as soon as each is read
    token = page_listener.set(on_page)
    try:
        result: PageText = read_page(page)
    finally:
        page_listener.reset(token)
    return result


class _Watchdog(threading.Thread):
    """Ends the worker once its resident memory passes ``limit``.

    It runs between the parser's steps (a single C call holds it off, but no single
    call allocates more than a few times the page's size).
    """

    def __init__(self) -> None:
        super().__init__(name="memory watchdog", daemon=True)
        self.limit: int | None = None

    def run(self) -> None:
        while True:
            time.sleep(_WATCH_S)
            limit = self.limit
            if limit is not None and _resident() > limit:
                os._exit(_EXIT_MEMORY)


class _AddressLimit:
    """RLIMIT_AS around each page, on systems that honour it."""

    def __init__(self) -> None:
        self._resource: Any = None
        self._original: tuple[int, int] | None = None
        if sys.platform == "darwin" or _address_space() is None:
            return
        try:
            import resource

            self._original = resource.getrlimit(resource.RLIMIT_AS)
            self._resource = resource
        except (ImportError, AttributeError, OSError, ValueError):
            self._resource = None

    def set(self, memory_bytes: int) -> None:
        used = _address_space()
        if self._resource is None or self._original is None or used is None:
            return
        soft, hard = self._original
        wanted = used + memory_bytes
        if hard != self._resource.RLIM_INFINITY:
            wanted = min(wanted, hard)
        if soft != self._resource.RLIM_INFINITY:
            wanted = min(wanted, soft)
        try:
            self._resource.setrlimit(self._resource.RLIMIT_AS, (wanted, hard))
        except (OSError, ValueError):
            pass

    def lift(self) -> None:
        if self._resource is not None and self._original is not None:
            try:
                self._resource.setrlimit(self._resource.RLIMIT_AS, self._original)
            except (OSError, ValueError):
                pass


def _statm(field: int) -> int | None:
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[field]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def _address_space() -> int | None:
    return _statm(0)


def _resident() -> int:
    """The worker's resident memory now (Linux), or its peak where that is all there is."""
    current = _statm(1)
    return current if current is not None else _peak()


def _peak() -> int:
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB elsewhere

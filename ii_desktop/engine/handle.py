"""The caller's side of one generation: its events, its result, and cancellation."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator

from ii_desktop.core.errors import EngineError
from ii_desktop.core.events import Event, GenerationDone, GenerationStats
from ii_desktop.engine.request import GenerationRequest

EventCallback = Callable[[Event], None]


class GenerationHandle:
    """Returned by ``MLXEngine.generate``. Thread-safe; ``cancel`` works from any thread.

    Events go to ``on_event`` when one was given (called on the engine thread, so it
    must be quick: put the event on a queue or emit a queued Qt signal), otherwise
    into an internal queue read by ``events()``.
    """

    def __init__(self, request: GenerationRequest, on_event: EventCallback | None = None) -> None:
        self.request = request
        self._on_event = on_event
        self._queue: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self._cancel = threading.Event()
        self._done = threading.Event()
        self.stats: GenerationStats | None = None
        self.final: GenerationDone | None = None
        self._cancel_hooks: list[Callable[[], None]] = []

    @property
    def request_id(self) -> str:
        return self.request.request_id

    def cancel(self) -> None:
        self._cancel.set()
        for hook in list(self._cancel_hooks):
            try:
                hook()
            except Exception:  # a hook only hurries things up; cancelling works without it
                pass

    def on_cancel(self, hook: Callable[[], None]) -> None:
        """Call ``hook`` when cancel is requested (at once if it already was): an engine
        blocked in I/O uses it to interrupt that I/O."""
        self._cancel_hooks.append(hook)
        if self._cancel.is_set():
            hook()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def done(self) -> bool:
        return self._done.is_set()

    def emit(self, event: Event) -> None:
        """Deliver one event (engine thread)."""
        if isinstance(event, GenerationStats):
            self.stats = event
        elif isinstance(event, GenerationDone):
            self.final = event  # set before delivery: a reader may look right after it
        if self._on_event is not None:
            self._on_event(event)
        else:
            self._queue.put(event)
        if isinstance(event, GenerationDone):
            self._done.set()

    def events(self, timeout: float | None = None) -> Iterator[Event]:
        """Yield events until the generation is done (only without ``on_event``)."""
        if self._on_event is not None:
            raise EngineError("this generation delivers its events to a callback")
        while True:
            try:
                event = self._queue.get(timeout=timeout)
            except queue.Empty:
                raise EngineError("the engine stopped answering") from None
            yield event
            if isinstance(event, GenerationDone):
                return

    def poll(self, timeout: float) -> Event | None:
        """The next event, or None if none arrives within ``timeout`` seconds."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def wait(self, timeout: float | None = None) -> GenerationDone:
        if not self._done.wait(timeout):
            raise EngineError("the generation did not finish in time")
        assert self.final is not None
        return self.final

"""Acks first: background jobs wait (briefly) while Slack requests are being answered.

Slack wants every request answered within 3 s, and one interpreter runs both the request
threads and the background jobs (the GIL). A job that is about to start waits until no
request is in flight, at most `max_wait` seconds, so a burst of requests is answered
before the work it caused begins.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class RequestGauge:
    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()
        self._quiet = threading.Event()
        self._quiet.set()

    @contextmanager
    def request(self) -> Iterator[None]:
        with self._lock:
            self._count += 1
            self._quiet.clear()
        try:
            yield
        finally:
            with self._lock:
                self._count -= 1
                if self._count == 0:
                    self._quiet.set()

    @property
    def in_flight(self) -> int:
        return self._count

    def wait_quiet(self, max_wait: float) -> float:
        """Block until no request is in flight or `max_wait` passes; returns seconds waited."""
        started = time.monotonic()
        self._quiet.wait(max_wait)
        return time.monotonic() - started

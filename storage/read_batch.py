"""Batched reads: the same kind of read, asked for by many threads at once, made by one.

Under a burst of `/replica status` requests each request thread ran its own query: wait
for the database gate, check a connection out, and hand the GIL over on every driver call
(several per query with psycopg), each a chance for a context switch. Here a request thread
queues its key and waits; one reading thread takes everything queued meanwhile and answers
it with one query. (Bursts of 100 status requests on PostgreSQL: 2 076 → 1 885 context
switches in the web role, 114 → 66 in the database server; with other requests between
them a query answers 1.5–2 requests, so the gain is modest.) Every read still starts after
its request was queued, so an answer is never older than the request: what a thread has
just committed, it reads back.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

BATCH_MAX = 64  # keys per query: bounds how long the first of a long burst waits
T = TypeVar("T")


def take_batch(items: queue.SimpleQueue[T], most: int) -> list[T]:
    """Wait for one item, then take whatever else is queued already, up to `most` in all:
    the batch a single worker thread serves at once (here, and the door's recorder)."""
    batch = [items.get()]
    while len(batch) < most:
        try:
            batch.append(items.get_nowait())
        except queue.Empty:
            break
    return batch


@dataclass
class _Waiting(Generic[K, V]):
    key: K
    done: threading.Event = field(default_factory=threading.Event)
    value: V | None = None
    error: BaseException | None = None


class ReadBatcher(Generic[K, V]):
    """`get(key)` from many threads; `fetch(keys)` runs on one thread for all keys queued at
    once and returns a value for each (a key it leaves out raises KeyError for its asker)."""

    def __init__(self, fetch: Callable[[list[K]], Mapping[K, V]], name: str, batch_max: int = BATCH_MAX):
        self._fetch = fetch
        self._batch_max = batch_max
        self._queue: queue.SimpleQueue[_Waiting[K, V]] = queue.SimpleQueue()
        self.queries = 0  # fetches made (for tests and curiosity)
        # A daemon: it only ever holds keys whose askers are still waiting for it.
        threading.Thread(target=self._run, name=name, daemon=True).start()

    def get(self, key: K) -> V:
        """The value for `key`, read after this call began; raises what the read raised."""
        waiting: _Waiting[K, V] = _Waiting(key)
        self._queue.put(waiting)
        waiting.done.wait()
        if waiting.error is not None:
            raise waiting.error
        return waiting.value  # type: ignore[return-value]  # set whenever error is None

    def _run(self) -> None:
        while True:
            batch = take_batch(self._queue, self._batch_max)
            try:
                found = self._fetch(list(dict.fromkeys(w.key for w in batch)))
                self.queries += 1
                for waiting in batch:
                    if waiting.key in found:
                        waiting.value = found[waiting.key]
                    else:
                        waiting.error = KeyError(waiting.key)
            except BaseException as exc:  # every asker sees it; this thread must outlive it
                log.warning("event=batched_read_failed size=%d error=%s", len(batch), type(exc).__name__)
                for waiting in batch:
                    waiting.error = exc
            finally:
                for waiting in batch:
                    waiting.done.set()

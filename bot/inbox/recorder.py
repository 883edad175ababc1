"""The door's writes, made by one thread: the requests of a burst share one transaction.

Each request thread used to run its own write: wait for the database gate, then a
savepoint, the INSERT and its release (or BEGIN … COMMIT), then the commit. Every one of
those driver calls lets go of the GIL and must take it back, and under a burst of a
hundred requests that hand-over, not the SQL, was most of a stored request's cost; on
PostgreSQL each was also a round trip. Here a request thread hands its job to one
recording thread and waits; that thread writes whatever has queued up meanwhile in one
transaction. A request is still answered only after the commit that holds it (recorded
before acknowledged). If the shared transaction fails, each job is tried alone, so one
bad row costs only its own request.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass, field

from storage.jobs import MAX_ROWS_PER_INSERT, JobSpec, JobStore
from storage.read_batch import take_batch

log = logging.getLogger(__name__)

BATCH_MAX = 64  # jobs per transaction: bounds how long the first of a long burst waits


@dataclass
class _Pending:
    spec: JobSpec
    done: threading.Event = field(default_factory=threading.Event)
    # Until a commit holds it, the job counts as not stored: nothing answers 200 by default.
    error: BaseException | None = field(default_factory=lambda: RuntimeError("the request was not recorded"))


class Recorder:
    """Enqueues jobs for many threads through one: `record` returns once committed."""

    def __init__(self, jobs: JobStore, batch_max: int = BATCH_MAX):
        self._jobs = jobs
        self._batch_max = min(batch_max, MAX_ROWS_PER_INSERT)  # one batch, one statement
        self._queue: queue.SimpleQueue[_Pending] = queue.SimpleQueue()
        self.transactions = 0  # committed batches (for tests and curiosity)
        # A daemon: it only ever holds requests whose senders are still waiting for it.
        threading.Thread(target=self._run, name="door-recorder", daemon=True).start()

    def record(self, spec: JobSpec) -> None:
        """Enqueue `spec` (skipped when a job with its key already waits). Raises what
        storing it raised (nothing of it was stored then)."""
        pending = _Pending(spec)
        self._queue.put(pending)
        pending.done.wait()
        if pending.error is not None:
            raise pending.error

    def _run(self) -> None:
        while True:
            batch = take_batch(self._queue, self._batch_max)
            try:
                self._store(batch)
            except BaseException as exc:  # the senders see it; this thread must outlive it
                log.error("event=door_recorder_error error=%s", type(exc).__name__)
            finally:
                for pending in batch:
                    pending.done.set()

    def _store(self, batch: list[_Pending]) -> None:
        try:
            self._jobs.enqueue_all([p.spec for p in batch])
        except Exception as exc:
            if len(batch) == 1:
                batch[0].error = exc
                return
            log.warning("event=door_batch_failed size=%d error=%s; storing one by one", len(batch), type(exc).__name__)
            for pending in batch:
                try:
                    self._jobs.enqueue(pending.spec)
                    pending.error = None
                except Exception as alone:
                    pending.error = alone
            return
        self.transactions += 1
        for pending in batch:
            pending.error = None

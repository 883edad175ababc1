"""A worker process's job threads: claim, run, record; renew leases; stop gracefully.

Each lane is a few threads that take jobs from some queues: `photos` (downloads and photo
checks: CPU-bound, one thread per core) and `default` (Slack replies, S3, Tavus: waiting on
the network). A thread claims one job at a time, runs its kind's `perform`, and records
the outcome; between jobs it waits for a wake-up: a commit in this process, PostgreSQL
NOTIFY, or the one watcher thread that looks for ready jobs every poll interval (how
workers on SQLite hear of jobs other processes enqueued). A heartbeat thread renews the
leases of running jobs, so a job is taken over only when its process is gone. A job given
up for good (its last attempt failed, or the processes holding it kept dying) gets its
kind's last word, `give_up`: the person is told, a poison photo is set aside.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypeVar

from storage import Database, clock
from storage.jobs import Job, JobStore
from storage.leases import Leases

from ..traffic import RequestGauge

log = logging.getLogger(__name__)

Perform = Callable[[Any, Job], None]
# Why a job ended failed for good: the processes that held it died (a poison job, or a
# machine going down) until its attempts ran out, or its last attempt raised.
GiveUpReason = Literal["workers_died", "kept_failing"]
# A kind's last word for a job it will not run again (tell the person; set the work aside).
GiveUp = Callable[[Any, Job, GiveUpReason], None]
# A job waits at most this long for in-flight Slack requests in its process to be answered.
ACK_PRIORITY_MAX_WAIT = 0.3
# Recording a job's outcome is retried while the database is away, waiting this long at
# first and doubling up to the cap.
RECORD_RETRY_SECONDS = (0.5, 10.0)
T = TypeVar("T")


def heartbeat_seconds(lease_seconds: float) -> float:
    """How often a worker renews its jobs' leases and its own heartbeat row."""
    return max(0.2, lease_seconds / 4)


class RetryLater(Exception):
    """Raised by a job that cannot run yet: it is put back for `seconds`, no attempt spent."""

    def __init__(self, seconds: float, reason: str = ""):
        self.seconds = seconds
        super().__init__(reason or f"retry in {seconds:.1f} s")


class JobRunner:
    def __init__(
        self,
        db: Database,
        kinds: Mapping[str, Perform],
        context: Any,
        *,
        lanes: Mapping[str, tuple[Sequence[str], int]],
        role: str,
        lease_seconds: float,
        poll_seconds: float,
        gauge: RequestGauge | None = None,
        given_up: Mapping[str, GiveUp] | None = None,
        private_args: Mapping[str, frozenset[str]] | None = None,
    ):
        """`private_args`: for a kind, the arguments its row drops once the job has ended
        (run, given up or dropped): what it needed only to run, such as a stored Slack request."""
        self.id = f"{role}-{uuid.uuid4().hex[:10]}"
        self.store = JobStore(db)
        self.leases = Leases(db)
        self._db = db
        self._kinds = kinds
        self._given_up = given_up or {}
        self._private = private_args or {}
        self._context = context
        self._lanes = lanes
        self._role = role
        self._lease = lease_seconds
        self._poll = poll_seconds
        self._gauge = gauge
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._busy = 0
        self._busy_lock = threading.Lock()
        self._threads_count = sum(count for _, count in lanes.values())

    # --- lifecycle ----------------------------------------------------------------------
    def start(self) -> JobRunner:
        self.leases.beat(self.id, self._role)
        self._reap()
        for lane, (queues, count) in self._lanes.items():
            for n in range(count):
                thread = threading.Thread(target=self._loop, args=(tuple(queues),), name=f"job-{lane}-{n}", daemon=True)
                thread.start()
                self._threads.append(thread)
        threading.Thread(target=self._heartbeat, name="job-heartbeat", daemon=True).start()
        threading.Thread(target=self._watch, name="job-watch", daemon=True).start()
        log.info("event=worker_ready worker=%s lanes=%s", self.id, ",".join(self._lanes))
        return self

    def stop(self, timeout: float) -> None:
        """Stop taking jobs, let running ones finish for up to `timeout` seconds, then give
        back whatever is still held so another worker takes it now."""
        self._stopping.set()
        self._db.wakeup.notify()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        released = self.store.release(self.id)
        self.leases.stopped(self.id)
        log.info("event=worker_stopped worker=%s released=%d", self.id, released)

    @property
    def busy(self) -> int:
        return self._busy

    # --- the loop -----------------------------------------------------------------------
    def _loop(self, queues: tuple[str, ...]) -> None:
        seen = self._db.wakeup.generation
        while not self._stopping.is_set():
            try:
                jobs = self.store.claim(self.id, queues, self._lease) if self.store.has_ready(queues) else []
            except Exception:  # the database is away for a moment: keep the thread alive
                log.exception("event=claim_failed worker=%s", self.id)
                jobs = []
            if not jobs:
                # The watcher looks for jobs every poll interval and wakes us; the timeout
                # is only a safety net.
                seen = self._db.wakeup.wait(seen, max(1.0, self._poll * 20))
                continue
            for job in jobs:
                try:
                    self._run(job)
                except Exception:  # last resort: a job thread that ends leaves its lane short for good
                    log.exception("event=job_thread_error worker=%s job=%d", self.id, job.id)

    def _run(self, job: Job) -> None:
        if self._gauge is not None:
            self._gauge.wait_quiet(ACK_PRIORITY_MAX_WAIT)  # acks first (one process runs all)
        perform = self._kinds.get(job.kind)
        kept = self._kept_args(job)
        if perform is None or job.attempt > job.max_attempts:
            reason = "unknown job kind" if perform is None else "no attempts left (its workers kept dying)"
            dropped = self._recorded(job, "dropped", lambda: self.store.abandon(job, self.id, reason, kept))
            log.error("event=job_dropped job=%d kind=%s reason=%s", job.id, job.kind, reason)
            if dropped and perform is not None:
                self._give_up(job, "workers_died")
            return
        started = time.monotonic()
        with self._busy_lock:
            self._busy += 1
        try:
            perform(self._context, job)
        except RetryLater as later:
            why, seconds = str(later), later.seconds
            self._recorded(job, "deferred", lambda: self.store.fail(job, self.id, why, retry_in=seconds))
            log.info("event=job_deferred job=%d kind=%s seconds=%.1f", job.id, job.kind, seconds)
        except Exception as exc:  # a worker must survive any one job
            error = f"{type(exc).__name__}: {exc}"
            outcome = self._recorded(job, "failed", lambda: self.store.fail(job, self.id, error, kept_args=kept))
            log.exception(
                "event=job_failed job=%d kind=%s attempt=%d outcome=%s", job.id, job.kind, job.attempt, outcome
            )
            if outcome == "failed":
                self._give_up(job, "kept_failing")
        else:
            if self._recorded(job, "done", lambda: self.store.complete(job, self.id, kept)) is False:
                log.warning("event=job_lease_lost job=%d kind=%s", job.id, job.kind)
            log.info(
                "event=job_done job=%d kind=%s attempt=%d ms=%.0f",
                job.id,
                job.kind,
                job.attempt,
                (time.monotonic() - started) * 1000,
            )
        finally:
            with self._busy_lock:
                self._busy -= 1

    def _kept_args(self, job: Job) -> dict[str, Any] | None:
        """What the row keeps of the job's arguments once it ends (None: all of them). The
        last word (`give_up`) still reads them all from `job`, which is not changed."""
        private = self._private.get(job.kind)
        if not private or private.isdisjoint(job.args):
            return None
        return {name: value for name, value in job.args.items() if name not in private}

    def _recorded(self, job: Job, outcome: str, record: Callable[[], T]) -> T | None:
        """Record a job's outcome, again and again while the database is away: until it is
        recorded the job is still ours and its lease renewed, so a thread that gave up here
        (or died, as it once did) would leave it "running" for as long as this process
        lives. None when the process stops first (its jobs are then given back)."""
        delay, cap = RECORD_RETRY_SECONDS
        while True:
            try:
                return record()
            except Exception as exc:
                log.warning(
                    "event=job_record_failed job=%d kind=%s outcome=%s error=%s retry_s=%.1f",
                    job.id,
                    job.kind,
                    outcome,
                    type(exc).__name__,
                    delay,
                )
            if self._stopping.wait(delay):
                return None
            delay = min(cap, delay * 2)

    def _give_up(self, job: Job, why: GiveUpReason) -> None:
        """Run the kind's last word once its job is recorded as failed for good (recorded
        first: a last word that kills the process must not bring the job back)."""
        last_word = self._given_up.get(job.kind)
        if last_word is None:
            return
        log.warning("event=job_given_up job=%d kind=%s why=%s", job.id, job.kind, why)
        try:
            last_word(self._context, job, why)
        except Exception:  # a worker must survive this too
            log.exception("event=give_up_failed job=%d kind=%s", job.id, job.kind)

    def _heartbeat(self) -> None:
        interval = heartbeat_seconds(self._lease)
        while not self._stopping.wait(interval):
            try:
                clock.sync(self._db)  # first: the renewal's time is the database's
                self.store.renew(self.id, self._lease)
                self.leases.beat(self.id, self._role)
                self._reap()
            except Exception:
                log.exception("event=heartbeat_failed worker=%s", self.id)

    def _watch(self) -> None:
        """One cheap read per poll interval for the whole process, instead of one per thread."""
        queues = tuple(q for queues, _ in self._lanes.values() for q in queues)
        while not self._stopping.wait(self._poll):
            try:
                if self.store.has_ready(queues) and self._busy < self._threads_count:
                    self._db.wakeup.notify()
            except Exception:
                log.exception("event=watch_failed worker=%s", self.id)

    def _reap(self) -> None:
        for dead in self.leases.reap_dead_local(self.id, pid_alive):
            log.warning("event=dead_process_reaped process=%s", dead)


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (signal 0 only checks)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, and belongs to someone else
    return True

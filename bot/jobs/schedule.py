"""Periodic work that exactly one process does: whoever holds the `scheduler` lease.

Every worker process runs this; each renews or tries to take the lease a quarter-lease
apart, and only the holder polls training replicas, runs maintenance (reconcile
interrupted submissions, deliver queued notices, clean up storage) and refreshes the voice
catalog. The lease row expires three quarters of a lease after its last renewal, so when
the holder dies another process takes over within one lease.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from storage.leases import Leases

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
MAINTENANCE_MAX_INTERVAL = 60
VOICE_CHECK_SECONDS = 300


class Scheduler:
    def __init__(
        self,
        leases: Leases,
        holder: str,
        lease_seconds: float,
        *,
        poll: Callable[[], Any],
        poll_seconds: float,
        maintenance: Callable[[], Any],
        refresh_voices: Callable[[], Any],
    ):
        self._leases = leases
        self._holder = holder
        self._lease = lease_seconds
        self._poll = poll
        self._maintenance = maintenance
        self._voices = refresh_voices
        self._held = threading.Event()
        self._scheduler = BackgroundScheduler(timezone="UTC")
        # coalesce + max_instances=1: a slow cycle is never run twice at once.
        common: dict[str, Any] = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}
        self._scheduler.add_job(self._tick, "interval", seconds=lease_seconds / 4, id="lease", **common)
        self._scheduler.add_job(self._if_held(poll), "interval", seconds=poll_seconds, id="poll", **common)
        every = min(MAINTENANCE_MAX_INTERVAL, poll_seconds)
        self._scheduler.add_job(self._if_held(maintenance), "interval", seconds=every, id="maintenance", **common)
        self._scheduler.add_job(
            self._if_held(refresh_voices), "interval", seconds=VOICE_CHECK_SECONDS, id="voices", **common
        )

    @property
    def holds_lease(self) -> bool:
        return self._held.is_set()

    def start(self) -> Scheduler:
        self._scheduler.start()
        self._scheduler.add_job(self._tick, id="lease-now")  # don't wait a quarter lease to start
        return self

    def stop(self) -> None:
        self._scheduler.shutdown(wait=True)
        if self._held.is_set():
            self._leases.release(LEASE_NAME, self._holder)  # the next process takes over now
            self._held.clear()

    def _tick(self) -> None:
        try:
            held = self._leases.acquire(LEASE_NAME, self._holder, self._lease * 0.75)
        except Exception:  # the database is away: not holding is the safe answer
            log.exception("event=scheduler_lease_failed holder=%s", self._holder)
            held = False
        if held and not self._held.is_set():
            self._held.set()
            log.info("event=scheduler_lease_acquired holder=%s", self._holder)
            # A new holder catches up at once: notices, interrupted work, the voice list.
            for job_id, fn in (("maintenance-now", self._maintenance), ("voices-now", self._voices)):
                self._scheduler.add_job(self._guarded(fn), id=job_id, replace_existing=True)
        elif not held and self._held.is_set():
            self._held.clear()
            log.warning("event=scheduler_lease_lost holder=%s", self._holder)

    def _if_held(self, fn: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            if self._held.is_set():
                self._guarded(fn)()

        run.__name__ = getattr(fn, "__name__", "job")
        return run

    @staticmethod
    def _guarded(fn: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            try:
                fn()
            except Exception:  # one cycle's trouble never stops the schedule
                log.exception("event=scheduled_failed job=%s", getattr(fn, "__name__", fn))

        return run

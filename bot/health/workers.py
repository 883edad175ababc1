"""Whether any worker is alive, as a web role sees it from the database.

A web role only stores work. With no worker running, a photo gets no checklist and a
`/replica` no answer, while the web role itself looks healthy. Workers beat in the
`processes` table (storage/leases.py); the web role looks there every few seconds (one read
of the processes, one of the jobs due), logs when the last worker is gone (again every
minute while work waits) and when one is back, serves the picture at `/healthz/workers`
for monitors, and tells the door, which then says so in a command's ack, or in the thread
of a photo just uploaded, instead of leaving the person with nothing. Workers that beat but
leave due work waiting longer than the backlog limit (too few of them for the load, or
their job threads stuck while the heartbeat thread runs on) are logged and reported too.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from storage import clock
from storage.jobs import JobStore, Waiting
from storage.leases import Leases, ProcessRow

from ..jobs.runner import heartbeat_seconds

log = logging.getLogger(__name__)

ROLES_THAT_WORK = ("worker", "all")  # `all`: the one-process bot runs jobs too
WATCH_SECONDS = 5.0  # how often a web role looks
RELOG_SECONDS = 60.0  # how often "no worker" is logged again while work waits


def alive_window(lease_seconds: float) -> float:
    """A worker counts as alive while its last heartbeat is this recent: three beats, so one
    late beat (a busy database) does not make it look dead."""
    return max(5.0, 3 * heartbeat_seconds(lease_seconds))


@dataclass(frozen=True)
class WorkerStatus:
    workers: int  # processes that run jobs and beat recently
    jobs_waiting: int  # jobs due that no worker holds
    oldest_waiting_seconds: float | None  # how long the oldest of them has been due

    @property
    def healthy(self) -> bool:
        return self.workers > 0

    def backlogged(self, limit_seconds: float) -> bool:
        """Due work has waited longer than `limit_seconds` for a worker."""
        return self.oldest_waiting_seconds is not None and self.oldest_waiting_seconds > limit_seconds

    def as_dict(self) -> dict[str, Any]:
        return {
            "workers": self.workers,
            "jobs_waiting": self.jobs_waiting,
            "oldest_waiting_seconds": self.oldest_waiting_seconds,
        }


def workers_among(processes: Sequence[ProcessRow]) -> int:
    """How many of these (live) processes run jobs."""
    return sum(1 for p in processes if p.role in ROLES_THAT_WORK)


def status_of(processes: Sequence[ProcessRow], waiting: Waiting, now: datetime) -> WorkerStatus:
    """The status from what the database holds (pure): `processes` are those alive."""
    workers = workers_among(processes)
    oldest = None
    if waiting.count and waiting.oldest_run_at:
        try:
            due = datetime.fromisoformat(waiting.oldest_run_at)
        except ValueError:
            due = None
        if due is not None:
            if due.tzinfo is None:
                due = due.replace(tzinfo=UTC)
            oldest = max(0.0, round((now - due).total_seconds(), 1))
    return WorkerStatus(workers, waiting.count, oldest)


class WorkerWatch:
    """The last `WorkerStatus` a web role read, refreshed by its own thread."""

    def __init__(
        self,
        leases: Leases,
        jobs: JobStore,
        lease_seconds: float,
        backlog_alert_seconds: float = 300.0,
        period: float = WATCH_SECONDS,
        quiet_start_seconds: float | None = None,
    ):
        self._leases = leases
        self._jobs = jobs
        self._window = alive_window(lease_seconds)
        self.backlog_alert_seconds = backlog_alert_seconds
        self._period = period
        self._lock = threading.Lock()
        self._last: WorkerStatus | None = None
        self._logged_none = 0.0  # monotonic time "no worker" was last logged
        self._logged_backlog = 0.0  # and "work waits too long"
        self._reported_none = False  # "no worker" logged for the present absence
        # Workers started beside this web role (a deploy) may not have beaten yet: "no
        # worker" is logged only once the alive window has passed since the start.
        quiet = self._window if quiet_start_seconds is None else quiet_start_seconds
        self._quiet_until = time.monotonic() + quiet
        self._stopping = threading.Event()

    def check(self) -> WorkerStatus:
        """Read the status now (raises what the database raises), remember it, log a change."""
        return self._remember(self._leases.processes(alive_within_seconds=self._window))

    def _remember(self, processes: Sequence[ProcessRow]) -> WorkerStatus:
        """The status with these live processes (just read) and the jobs waiting now."""
        status = status_of(processes, self._jobs.waiting(), clock.now())
        with self._lock:
            self._last = status
            self._log_change(status)
        return status

    def alive(self) -> bool:
        """Whether a worker is alive: no database read while the last look found one (a
        worker that has died is noticed within a watch period); otherwise a look at the
        processes now, so a worker that has just started is believed at once. When the
        database cannot say, assume one is."""
        last = self._last
        if last is not None and last.healthy:
            return True
        try:
            alive = self._leases.processes(alive_within_seconds=self._window)
            if not workers_among(alive):
                return False
            return self._remember(alive).healthy  # one has come: remember it (and log that it is back)
        except Exception as exc:
            # One line, no traceback: a database outage would repeat it for every command.
            log.warning("event=worker_watch_failed error=%s", type(exc).__name__)
            return True

    def start(self) -> WorkerWatch:
        threading.Thread(target=self._loop, name="worker-watch", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()

    def _loop(self) -> None:
        while True:
            try:
                clock.sync(self._leases.db)  # workers' heartbeats are judged on the database's clock
                self.check()
            except Exception as exc:  # the database is away: /healthz says so; keep looking
                log.warning("event=worker_watch_failed error=%s", type(exc).__name__)
            if self._stopping.wait(self._period):
                return

    def _log_change(self, now: WorkerStatus) -> None:
        moment = time.monotonic()
        if now.healthy:
            if self._reported_none:
                self._reported_none = False
                log.info("event=workers_back workers=%d jobs_waiting=%d", now.workers, now.jobs_waiting)
            if now.backlogged(self.backlog_alert_seconds) and moment - self._logged_backlog >= RELOG_SECONDS:
                self._logged_backlog = moment
                log.error(
                    "event=jobs_backlog workers=%d jobs_waiting=%d oldest_waiting_s=%.0f limit_s=%.0f "
                    "detail=due work waits longer than the limit; add workers or look for stuck ones",
                    now.workers,
                    now.jobs_waiting,
                    now.oldest_waiting_seconds or 0.0,
                    self.backlog_alert_seconds,
                )
            return
        if moment < self._quiet_until:
            return
        if not self._reported_none or (now.jobs_waiting and moment - self._logged_none >= RELOG_SECONDS):
            self._reported_none = True
            self._logged_none = moment
            log.error(
                "event=no_worker_alive jobs_waiting=%d oldest_waiting_s=%s window_s=%.0f "
                "detail=no worker has beaten in the window; stored work waits until one runs",
                now.jobs_waiting,
                "-" if now.oldest_waiting_seconds is None else f"{now.oldest_waiting_seconds:.0f}",
                self._window,
            )

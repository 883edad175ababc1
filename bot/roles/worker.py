"""The worker role: run jobs, and take a turn as the one scheduler (poller) when free.

Starts the job threads (bot/jobs/runner.py), the scheduler that only the lease holder
acts on (bot/jobs/schedule.py), and on PostgreSQL a LISTEN connection that wakes the
threads the moment a web process enqueues. On stop it takes no new work, lets running jobs
finish, and gives back the rest and the scheduler lease, so other workers carry on.
"""

from __future__ import annotations

import logging
import threading
from functools import partial

from storage.leases import Leases
from storage.notify import JobListener

from ..jobs import GIVE_UP, KINDS, PRIVATE_ARGS, JobRunner
from ..jobs.kinds import slack_request
from ..jobs.schedule import Scheduler
from ..poller import maintenance, poll_training, refresh_voice_catalogs
from ..traffic import RequestGauge
from ..workflow import Workflow

log = logging.getLogger(__name__)

REQUEST_THREADS = 2


class WorkerRole:
    def __init__(self, workflow: Workflow, role: str, gauge: RequestGauge | None = None):
        s = workflow.s
        self._flow = workflow
        settings = s.settings
        self.runner = JobRunner(
            s.repo.db,
            KINDS,
            workflow,
            lanes={
                "photos": (("photos",), settings.worker_photo_threads),
                "io": (("default",), settings.worker_io_threads),
                # Slack requests stored by a web role (bot/inbox/): quick storage steps.
                "requests": ((slack_request.QUEUE,), REQUEST_THREADS),
            },
            role=role,
            lease_seconds=settings.job_lease_seconds,
            poll_seconds=settings.job_poll_seconds,
            gauge=gauge,
            given_up=GIVE_UP,
            private_args=PRIVATE_ARGS,
        )
        s.process_id = self.runner.id
        self.scheduler = Scheduler(
            Leases(s.repo.db),
            self.runner.id,
            settings.job_lease_seconds,
            poll=partial(poll_training, workflow),
            poll_seconds=settings.poll_interval_seconds,
            maintenance=partial(maintenance, workflow),
            refresh_voices=partial(refresh_voice_catalogs, s.workspaces),
        )
        self._listener = JobListener(s.repo.db.target, s.repo.db.wakeup) if s.repo.db.is_postgres else None

    def start(self) -> WorkerRole:
        settings = self._flow.s.settings
        self._flow.s.repo.db.warm(settings.worker_photo_threads + settings.worker_io_threads + REQUEST_THREADS + 2)
        # Photos accepted before jobs existed, or by a version that lost them, get their jobs.
        threading.Thread(target=self._flow.guarded, args=(self._flow.resume_intake,), daemon=True).start()
        if self._listener is not None:
            self._listener.start()
        self.runner.start()
        self.scheduler.start()
        return self

    def stop(self, timeout: float) -> None:
        self.scheduler.stop()
        self.runner.stop(timeout)
        if self._listener is not None:
            self._listener.stop()

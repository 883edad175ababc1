"""PostgreSQL LISTEN: wake this process's job runners the moment another process enqueues.

Enqueuing runs `pg_notify('replica_bot_jobs', queue)` in its transaction, so the
notification arrives at commit. One dedicated autocommit connection per worker process
listens; if it drops, it reconnects, and the runners' own poll interval covers the gap.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.engine import make_url

from .engine import Wakeup
from .jobs import NOTIFY_CHANNEL

log = logging.getLogger(__name__)


def libpq_url(url: str) -> str:
    """The URL psycopg itself takes (without SQLAlchemy's `+driver`)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class JobListener:
    def __init__(self, url: str, wakeup: Wakeup):
        self._url = libpq_url(url)
        self._wakeup = wakeup
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="job-listen", daemon=True)

    def start(self) -> JobListener:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self._url, autocommit=True, connect_timeout=10) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self._wakeup.notify()  # anything enqueued while we were not listening
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            self._wakeup.notify()
            except Exception as exc:  # the server restarted or the network blinked
                log.warning("event=listen_failed error=%s", type(exc).__name__)
                self._stop.wait(1.0)

"""Background WAL checkpoints for a SQLite file, so no commit on the request path does one.

In WAL mode SQLite copies the log back into the database file (a checkpoint, with its fsync)
when the log passes 1000 pages — inside the COMMIT of whichever transaction crossed that
line. Under group commit that transaction holds a burst's writers, so all of them waited for
the copy and the fsync (bursts of 100 requests whose events and clicks all stalled ~250 ms
while the status reads beside them did not). A process that answers Slack turns the
automatic checkpoint off on its own connections and runs this instead: a PASSIVE checkpoint
every second on a connection of its own, outside the per-process gate, with the GIL
released while SQLite copies and syncs. PASSIVE never waits for readers or writers; what it
cannot copy yet it copies next time, and other processes on the file keep their automatic
checkpoints.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

log = logging.getLogger(__name__)

EVERY_SECONDS = 1.0


class Checkpointer:
    def __init__(self, path: str, every: float = EVERY_SECONDS):
        self._path = path
        self._every = every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Checkpointer:
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, timeout=5, isolation_level=None, check_same_thread=False)
        try:
            while not self._stop.wait(self._every):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error as exc:  # the next round tries again
                    log.warning("event=checkpoint_failed error=%s", exc)
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")  # what the last second wrote
        except sqlite3.Error as exc:
            log.warning("event=checkpoint_failed error=%s", exc)
        finally:
            conn.close()

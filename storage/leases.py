"""Leases (one holder at a time for a named role, such as the poller) and process heartbeats.

A lease is a row: whoever holds it renews it before it expires; anyone may take it once
it has expired, so a dead holder is replaced within one lease. Taking and renewing are one
`INSERT … ON CONFLICT DO UPDATE … WHERE` statement on both engines. Every process that runs
jobs (a worker, or the one-process bot) also records itself with a heartbeat: for operators
(`replica-bot jobs`) and for the web role's watch on workers (bot/health/).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass

from .clock import seconds_ago, seconds_from_now, utc_now
from .engine import ENQUEUED, Database
from .jobs import NOTIFY_CHANNEL


@dataclass
class ProcessRow:
    id: str
    role: str
    host: str
    pid: int
    started_at: str
    heartbeat_at: str
    stopped_at: str | None


class Leases:
    def __init__(self, db: Database):
        self.db = db

    def acquire(self, name: str, holder: str, seconds: float) -> bool:
        """Take or renew the lease; True while `holder` has it."""
        now = utc_now()
        with self.db.write() as tx:
            row = tx.first(
                "INSERT INTO leases (name, holder, expires_at, renewed_at) VALUES (:name, :holder, :until, :now) "
                "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at, "
                "renewed_at = excluded.renewed_at "
                "WHERE leases.holder = excluded.holder OR leases.expires_at < :now "
                "RETURNING holder",
                {"name": name, "holder": holder, "until": seconds_from_now(seconds), "now": now},
            )
        return row is not None and row[0] == holder

    def release(self, name: str, holder: str) -> None:
        """Give the lease up now (a graceful stop), so another process takes it at once."""
        with self.db.write() as tx:
            tx.execute(
                "UPDATE leases SET expires_at = :past WHERE name = :name AND holder = :holder",
                {"past": seconds_ago(1), "name": name, "holder": holder},
            )

    def holder(self, name: str) -> str | None:
        with self.db.read() as tx:
            row = tx.first(
                "SELECT holder FROM leases WHERE name = :name AND expires_at >= :now", {"name": name, "now": utc_now()}
            )
        return str(row[0]) if row else None

    # --- process heartbeats -------------------------------------------------------------
    def beat(self, process_id: str, role: str) -> None:
        now = utc_now()
        with self.db.write() as tx:
            tx.execute(
                "INSERT INTO processes (id, role, host, pid, started_at, heartbeat_at) "
                "VALUES (:id, :role, :host, :pid, :now, :now) "
                "ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
                {"id": process_id, "role": role, "host": socket.gethostname(), "pid": os.getpid(), "now": now},
            )

    def stopped(self, process_id: str) -> None:
        with self.db.write() as tx:
            tx.execute("UPDATE processes SET stopped_at = :now WHERE id = :id", {"now": utc_now(), "id": process_id})

    def reap_dead_local(self, me: str, pid_alive: Callable[[int], bool]) -> list[str]:
        """Processes on this machine that died without saying so (SIGKILL, OOM, a power cut
        of the container): give back their jobs and leases now instead of waiting for the
        leases to lapse. Machines cannot see each other's processes: for those, expiry does it."""
        with self.db.read() as tx:
            rows = tx.execute(
                "SELECT id, pid FROM processes WHERE host = :host AND stopped_at IS NULL AND id != :me",
                {"host": socket.gethostname(), "me": me},
            ).fetchall()
        dead = [str(r[0]) for r in rows if not pid_alive(int(r[1]))]
        for process_id in dead:
            now = utc_now()
            with self.db.write() as tx:
                tx.execute(
                    "UPDATE jobs SET state = 'available', locked_by = NULL, locked_until = NULL, run_at = :now, "
                    "updated_at = :now WHERE locked_by = :id AND state = 'running'",
                    {"now": now, "id": process_id},
                )
                tx.execute(
                    "UPDATE leases SET expires_at = :past WHERE holder = :id",
                    {"past": seconds_ago(1), "id": process_id},
                )
                tx.execute("UPDATE processes SET stopped_at = :now WHERE id = :id", {"now": now, "id": process_id})
                tx.info[ENQUEUED] = True  # wake the runners: jobs are free
                if self.db.is_postgres:
                    tx.execute("SELECT pg_notify(:c, 'any')", {"c": NOTIFY_CHANNEL})
        return dead

    def purge_processes(self, silent_for_seconds: float) -> int:
        """Forget processes whose last heartbeat is older than this: stopped or dead long ago
        (every start adds a row; a machine's dead ones are only marked stopped by a process
        started later on the same machine). Their jobs' and leases' terms lapsed long before."""
        with self.db.write() as tx:
            cur = tx.execute(
                "DELETE FROM processes WHERE heartbeat_at < :cutoff", {"cutoff": seconds_ago(silent_for_seconds)}
            )
            return int(cur.rowcount)

    def processes(self, alive_within_seconds: float) -> list[ProcessRow]:
        """Processes that beat recently and have not said they stopped."""
        with self.db.read() as tx:
            rows = tx.rows(
                "SELECT * FROM processes WHERE stopped_at IS NULL AND heartbeat_at >= :since ORDER BY started_at",
                {"since": seconds_ago(alive_within_seconds)},
            )
        return [ProcessRow(**r) for r in rows]

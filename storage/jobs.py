"""Jobs as rows: every unit of slow work, claimed by one worker at a time with a lease.

One `jobs` table (the shape Oban and Solid Queue use): a job is `available` until a worker
claims it — one statement, `FOR UPDATE SKIP LOCKED` on PostgreSQL, a `BEGIN IMMEDIATE`
transaction on SQLite — and `running` under a lease (`locked_until`) that the worker's
heartbeat renews. A job whose worker died is claimed again once its lease lapses. A job
ends `done`, or `failed` after its last attempt; failures are retried with a backoff.
A job may carry a `dedupe_key`: while one job with that key waits or runs, enqueuing
another is a no-op. Enqueuing inside a caller's transaction makes the job part of it.
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .clock import seconds_ago, seconds_from_now, utc_now
from .engine import ENQUEUED, Database, Tx

NOTIFY_CHANNEL = "replica_bot_jobs"
# Rows in one INSERT: 9 parameters each stays under old SQLite builds' 999-parameter limit.
MAX_ROWS_PER_INSERT = 100
DEFAULT_MAX_ATTEMPTS = 5
MAX_BACKOFF_SECONDS = 300.0


@dataclass(frozen=True)
class JobSpec:
    """A job to enqueue."""

    kind: str
    args: dict[str, Any] = field(default_factory=dict)
    queue: str = "default"
    dedupe_key: str | None = None
    delay_seconds: float = 0.0
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    subject: str | None = None  # the submission it works on, to find or cancel it
    team_id: str | None = None  # the workspace it works for


@dataclass(frozen=True)
class Waiting:
    """Jobs due to run that no live worker holds: how many, and since when the oldest is."""

    count: int
    oldest_run_at: str | None


@dataclass
class Job:
    id: int
    kind: str
    queue: str
    args: dict[str, Any]
    attempt: int
    max_attempts: int
    dedupe_key: str | None
    state: str
    subject: str | None = None
    team_id: str | None = None
    locked_by: str | None = None
    last_error: str | None = None
    created_at: str | None = None
    run_at: str | None = None
    finished_at: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Job:
        return cls(
            id=int(row["id"]),
            kind=row["kind"],
            queue=row["queue"],
            args=json.loads(row["args_json"] or "{}"),
            attempt=int(row["attempt"]),
            max_attempts=int(row["max_attempts"]),
            dedupe_key=row["dedupe_key"],
            state=row["state"],
            subject=row.get("subject"),
            team_id=row.get("team_id"),
            locked_by=row.get("locked_by"),
            last_error=row.get("last_error"),
            created_at=row.get("created_at"),
            run_at=row.get("run_at"),
            finished_at=row.get("finished_at"),
        )


def insert_job(tx: Tx, spec: JobSpec, is_postgres: bool) -> bool:
    """Enqueue within the caller's transaction; False when a job with its key waits or runs.
    Workers are woken when the transaction commits (NOTIFY on PostgreSQL, in-process
    signals everywhere: see Database.write)."""
    cur = tx.execute(_insert_sql(1, is_postgres), _insert_params([spec], is_postgres))
    if cur.rowcount != 1:  # (PostgreSQL: the one NOTIFY row, there only when the row went in)
        return False
    tx.info[ENQUEUED] = True
    return True


def insert_jobs(tx: Tx, specs: Sequence[JobSpec], is_postgres: bool) -> None:
    """`insert_job` for many in one statement (one driver call, so one GIL hand-over and,
    on PostgreSQL, one round trip). Jobs whose key already waits, or that repeat a key
    earlier in `specs`, are skipped."""
    if not specs:
        return
    if len(specs) > MAX_ROWS_PER_INSERT:
        raise ValueError(f"{len(specs)} jobs in one statement; at most {MAX_ROWS_PER_INSERT}")
    tx.execute(_insert_sql(len(specs), is_postgres), _insert_params(specs, is_postgres))
    tx.info[ENQUEUED] = True  # (at worst a runner here looks once for nothing)


_INSERT = (
    "INSERT INTO jobs (kind, queue, args_json, dedupe_key, subject, team_id, state, attempt, max_attempts, "
    "run_at, created_at, updated_at) VALUES "
)
_ROW = (
    "(:kind{i}, :queue{i}, :args{i}, :key{i}, :subject{i}, :team{i}, 'available', 0, "
    ":max{i}, :run_at{i}, :now{i}, :now{i})"
)


@functools.lru_cache(maxsize=256)
def _insert_sql(count: int, is_postgres: bool) -> str:
    """`count` rows (parameters suffixed _0, _1, …). On PostgreSQL the NOTIFY rides in the
    same statement (one round trip, not two), once for each queue that got a row; PostgreSQL
    delivers it at COMMIT, and only when a row went in."""
    insert = f"{_INSERT}{', '.join(_ROW.format(i=f'_{i}') for i in range(count))} ON CONFLICT DO NOTHING"
    if is_postgres:
        insert = (
            f"WITH added AS ({insert} RETURNING queue) "
            "SELECT pg_notify(:channel, queue) FROM (SELECT DISTINCT queue FROM added) AS woken"
        )
    return insert


def _insert_params(specs: Sequence[JobSpec], is_postgres: bool) -> dict[str, Any]:
    """The parameters of `_insert_sql(len(specs), is_postgres)`."""
    now = utc_now()
    params: dict[str, Any] = {"channel": NOTIFY_CHANNEL} if is_postgres else {}
    for i, spec in enumerate(specs):
        params.update(
            {
                f"kind_{i}": spec.kind,
                f"queue_{i}": spec.queue,
                f"args_{i}": json.dumps(spec.args, sort_keys=True),
                f"key_{i}": spec.dedupe_key,
                f"subject_{i}": spec.subject,
                f"team_{i}": spec.team_id,
                f"max_{i}": spec.max_attempts,
                f"run_at_{i}": seconds_from_now(spec.delay_seconds) if spec.delay_seconds else now,
                f"now_{i}": now,
            }
        )
    return params


def backoff_seconds(attempt: int, base: float = 2.0) -> float:
    """Seconds before attempt `attempt + 1`: exponential with jitter, capped."""
    delay = min(MAX_BACKOFF_SECONDS, base * (2 ** max(0, attempt - 1)))
    return delay / 2 + random.uniform(0, delay / 2)


_READY = "((state = 'available' AND run_at <= :now) OR (state = 'running' AND locked_until < :now))"


class JobStore:
    def __init__(self, db: Database):
        self.db = db

    def enqueue(self, spec: JobSpec) -> bool:
        with self.db.write() as tx:
            return insert_job(tx, spec, self.db.is_postgres)

    def enqueue_all(self, specs: Sequence[JobSpec]) -> None:
        """Several jobs in one transaction (all or none); one whose key waits is skipped.
        One statement, run on its own when nothing else of this process is writing: no
        BEGIN and COMMIT around it (see Database.single_statement). The door's recorder
        stores a burst this way."""
        with self.db.single_statement() as tx:
            insert_jobs(tx, specs, self.db.is_postgres)

    def has_ready(self, queues: Sequence[str]) -> bool:
        """A cheap read before the claiming write: is anything there to take?"""
        with self.db.read() as tx:
            found = tx.first(
                f"SELECT 1 FROM jobs WHERE queue IN :queues AND {_READY} LIMIT 1",
                {"queues": list(queues), "now": utc_now()},
            )
        return found is not None

    def waiting(self) -> Waiting:
        """What waits for a worker now (for the web role's watch on workers, bot/health/):
        jobs due, and jobs whose worker's lease lapsed (due again since it did)."""
        with self.db.read() as tx:
            row = tx.first(
                "SELECT COUNT(*), MIN(CASE WHEN state = 'available' THEN run_at ELSE locked_until END) "
                f"FROM jobs WHERE {_READY}",
                {"now": utc_now()},
            )
        if row is None:
            return Waiting(0, None)
        return Waiting(int(row[0]), str(row[1]) if row[1] is not None else None)

    def claim(self, worker_id: str, queues: Sequence[str], lease_seconds: float, limit: int = 1) -> list[Job]:
        """Take up to `limit` ready jobs (or jobs whose lease lapsed) for this worker."""
        lock = " FOR UPDATE SKIP LOCKED" if self.db.is_postgres else ""
        with self.db.write() as tx:
            rows = tx.rows(
                "UPDATE jobs SET state = 'running', locked_by = :me, locked_until = :until, attempt = attempt + 1, "
                f"updated_at = :now WHERE id IN (SELECT id FROM jobs WHERE queue IN :queues AND {_READY} "
                f"ORDER BY run_at, id LIMIT :limit{lock}) RETURNING *",
                {
                    "me": worker_id,
                    "until": seconds_from_now(lease_seconds),
                    "now": utc_now(),
                    "queues": list(queues),
                    "limit": limit,
                },
            )
        return [Job.from_row(r) for r in sorted(rows, key=lambda r: int(r["id"]))]

    def renew(self, worker_id: str, lease_seconds: float) -> int:
        """Extend the lease of every job this worker runs (its heartbeat)."""
        with self.db.write() as tx:
            cur = tx.execute(
                "UPDATE jobs SET locked_until = :until WHERE locked_by = :me AND state = 'running'",
                {"until": seconds_from_now(lease_seconds), "me": worker_id},
            )
            return int(cur.rowcount)

    def complete(self, job: Job, worker_id: str, kept_args: Mapping[str, Any] | None = None) -> bool:
        """Mark done; False when the job is no longer this worker's (its lease lapsed).
        `kept_args`, in this method and the others that end a job: what the row keeps of its
        arguments from now on (None: all of them)."""
        return self._finish(job, worker_id, "done", None, kept_args)

    def fail(
        self,
        job: Job,
        worker_id: str,
        error: str,
        retry_in: float | None = None,
        kept_args: Mapping[str, Any] | None = None,
    ) -> str:
        """Record a failed attempt: back to `available` after a backoff, or `failed` after the
        last attempt; "lost" (nothing written) when the job is no longer this worker's: its
        lease lapsed and another took it. `retry_in` overrides the backoff (a job that asked
        to run later). A job that will run again keeps all its arguments."""
        if retry_in is None and job.attempt >= job.max_attempts:
            return "failed" if self._finish(job, worker_id, "failed", error, kept_args) else "lost"
        delay = backoff_seconds(job.attempt) if retry_in is None else retry_in
        with self.db.write() as tx:
            cur = tx.execute(
                "UPDATE jobs SET state = 'available', run_at = :run_at, locked_by = NULL, locked_until = NULL, "
                "last_error = :error, updated_at = :now, attempt = attempt - :refund "
                "WHERE id = :id AND locked_by = :me AND state = 'running'",
                {
                    "run_at": seconds_from_now(delay),
                    "error": error[:2000],
                    "now": utc_now(),
                    "id": job.id,
                    "me": worker_id,
                    "refund": 1 if retry_in is not None else 0,  # a requested delay is not a failure
                },
            )
            if cur.rowcount != 1:
                return "lost"
            tx.info[ENQUEUED] = True
        return "retry"

    def abandon(self, job: Job, worker_id: str, reason: str, kept_args: Mapping[str, Any] | None = None) -> bool:
        """End a job as `failed` without running it (unknown kind, attempts used up)."""
        return self._finish(job, worker_id, "failed", reason, kept_args)

    def release(self, worker_id: str) -> int:
        """Give back every job this worker holds (a graceful stop): others take them now."""
        with self.db.write() as tx:
            cur = tx.execute(
                "UPDATE jobs SET state = 'available', locked_by = NULL, locked_until = NULL, run_at = :now, "
                "attempt = attempt - 1, updated_at = :now WHERE locked_by = :me AND state = 'running'",
                {"now": utc_now(), "me": worker_id},
            )
            if self.db.is_postgres and cur.rowcount:
                tx.execute("SELECT pg_notify(:c, 'any')", {"c": NOTIFY_CHANNEL})
            return int(cur.rowcount)

    def _finish(
        self, job: Job, worker_id: str, state: str, error: str | None, kept_args: Mapping[str, Any] | None
    ) -> bool:
        args = None if kept_args is None else json.dumps(dict(kept_args))
        with self.db.write() as tx:
            cur = tx.execute(
                "UPDATE jobs SET state = :state, finished_at = :now, updated_at = :now, locked_by = NULL, "
                "locked_until = NULL, last_error = COALESCE(:error, last_error), "
                "args_json = COALESCE(:args, args_json) "
                "WHERE id = :id AND locked_by = :me AND state = 'running'",
                {"state": state, "now": utc_now(), "error": error, "args": args, "id": job.id, "me": worker_id},
            )
            return bool(cur.rowcount == 1)

    def cancel_waiting(self, *, team_id: str) -> int:
        """Cancel every job of a workspace that has not started (an uninstall). Their
        arguments (the workspace's requests, messages, ids) are dropped with them: the
        workspace asked to be forgotten, and the rows stay only as a count in the history."""
        with self.db.write() as tx:
            cur = tx.execute(
                "UPDATE jobs SET state = 'cancelled', updated_at = :now, finished_at = :now, args_json = '{}' "
                "WHERE state = 'available' AND team_id = :team",
                {"now": utc_now(), "team": team_id},
            )
            return int(cur.rowcount)

    def recent(self, limit: int = 50, state: str | None = None) -> list[Job]:
        """The latest jobs, newest first (for operators: `replica-bot jobs`)."""
        where = "WHERE state = :state " if state else ""
        with self.db.read() as tx:
            rows = tx.rows(f"SELECT * FROM jobs {where}ORDER BY id DESC LIMIT :limit", {"state": state, "limit": limit})
        return [Job.from_row(r) for r in rows]

    def counts(self) -> dict[str, int]:
        with self.db.read() as tx:
            return {str(row[0]): int(row[1]) for row in tx.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state")}

    def purge_finished(self, older_than_seconds: float) -> int:
        """Delete done/failed/cancelled jobs older than this (their history has served)."""
        with self.db.write() as tx:
            cur = tx.execute(
                "DELETE FROM jobs WHERE state IN ('done', 'failed', 'cancelled') AND finished_at < :cutoff",
                {"cutoff": seconds_ago(older_than_seconds)},
            )
            return int(cur.rowcount)

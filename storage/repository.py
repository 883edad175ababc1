"""The repository: every read and write of the bot's state, behind plain methods.

One SQLite connection guarded by a lock, WAL mode, and each state change as one
transaction, so the Bolt listener threads, the worker pool and the scheduler can share it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from .migrations import migrations


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def seconds_ago(seconds: int) -> str:
    """A timestamp in the same form as utc_now(), `seconds` in the past."""
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat(timespec="seconds")


@dataclass
class Submission:
    id: str
    team_id: str
    user_id: str
    channel_id: str
    message_ts: str
    thread_ts: str
    file_id: str
    status: str
    file_name: str | None = None
    findings_json: str | None = None
    voice_name: str | None = None
    replica_name: str | None = None
    replica_id: str | None = None
    s3_key: str | None = None
    s3_deleted_at: str | None = None
    checklist_ts: str | None = None
    consent_user_id: str | None = None
    consent_at: str | None = None
    training_progress: str | None = None
    error_message: str | None = None
    autofix: int | None = None
    created_at: str | None = None
    updated_at: str | None = None
    submitted_at: str | None = None
    finished_at: str | None = None
    file_json: str | None = None
    channel_type: str | None = None
    long_training_noted_at: str | None = None
    display_name: str | None = None
    deleted_at: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Submission:
        return cls(**{k: v for k, v in row.items() if k in _SUBMISSION_FIELDS})

    @property
    def check_result(self) -> dict[str, Any]:
        """The stored photo report: {"findings": [...], "passed": [...]}."""
        return json.loads(self.findings_json) if self.findings_json else {}


_SUBMISSION_FIELDS = frozenset(f.name for f in fields(Submission))  # computed once: rows are hot


@dataclass
class OutboxMessage:
    id: int
    dedupe_key: str
    submission_id: str | None
    channel_id: str
    thread_ts: str | None
    update_ts: str | None
    text: str
    blocks_json: str | None
    attempts: int
    sending_at: str | None = None

    @property
    def blocks(self) -> list[dict[str, Any]] | None:
        return json.loads(self.blocks_json) if self.blocks_json else None


class _NoLock:
    """Stands in for a lock where SQLite's own locking is enough."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


class Repository:
    """One SQLite connection per thread (WAL: readers never wait for the writer), so reads
    never queue on a Python lock: one shared connection behind a lock made a burst of 100
    Slack requests hand the lock and the GIL back and forth for every query. Writes are
    serialized by a lock. An in-memory database (tests) is one shared connection instead."""

    def __init__(self, path: str):
        self._path = path
        self._local = threading.local()
        self._shared: Database | None = None
        # Writers take a Python lock for the few microseconds a write lasts; left to SQLite,
        # concurrent writers back off in sleeps of up to 50 ms. Readers take no lock.
        self._lock = threading.RLock()
        self._read: threading.RLock | _NoLock = _NoLock()
        if path == ":memory:":
            self._read = self._lock
            self._shared = self._connect()
        else:
            Database(sqlite3.connect(path, timeout=30, isolation_level=None)).enable_wal()
        migrations.apply(self.db)

    def _connect(self) -> Database:
        conn = sqlite3.connect(
            self._path,
            check_same_thread=self._shared is None and self._path != ":memory:",
            timeout=30,
            isolation_level=None,
        )
        db = Database(conn)
        # In WAL mode NORMAL syncs at checkpoints, not at every commit: a killed process
        # loses nothing (the WAL is in the OS cache), only a power cut may drop the last
        # commits; FULL put an fsync on every Slack event.
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        return db

    @property
    def db(self) -> Database:
        if self._shared is not None:
            return self._shared
        db: Database | None = getattr(self._local, "db", None)
        if db is None:
            db = self._connect()
            self._local.db = db
        return db

    @contextmanager
    def _transaction(self) -> Iterator[Database]:
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def close(self) -> None:
        """Close this thread's connection (the others close with their threads)."""
        with self._lock:
            self.db.close()
            self._local.db = None

    # --- Slack events -------------------------------------------------------------------
    def record_event(self, event_id: str, submission: Submission | None = None) -> bool:
        """Remember an event id (and the submission it brings, in the same transaction);
        False when the event was seen before (a retry or a duplicate)."""
        with self._lock, self._transaction() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO processed_events (event_id, received_at) VALUES (?, ?)",
                [event_id, utc_now()],
            )
            if cur.rowcount != 1:
                return False
            if submission is not None:
                self.create_submission(submission)
            return True

    # --- submissions --------------------------------------------------------------------
    def create_submission(self, submission: Submission) -> bool:
        """Insert a new submission; False when this photo already has one."""
        now = utc_now()
        submission.created_at = submission.updated_at = now
        row = {f.name: getattr(submission, f.name) for f in fields(submission)}
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        with self._lock:
            cur = self.db.execute(
                f"INSERT OR IGNORE INTO submissions ({columns}) VALUES ({marks})",
                list(row.values()),
            )
            return cur.rowcount == 1

    def get(self, submission_id: str) -> Submission | None:
        with self._read:
            rows = list(self.db.table("submissions").rows_where("id = ?", [submission_id]))
        return Submission.from_row(rows[0]) if rows else None

    def older_than(self, statuses: Iterable[str], column: str, cutoff: str) -> list[Submission]:
        wanted = list(statuses)
        marks = ", ".join("?" for _ in wanted)
        with self._read:
            rows = list(
                self.db.table("submissions").rows_where(
                    f"status in ({marks}) and {column} <= ?", [*wanted, cutoff], order_by="created_at"
                )
            )
        return [Submission.from_row(r) for r in rows]

    def with_status(self, *statuses: str) -> list[Submission]:
        marks = ", ".join("?" for _ in statuses)
        with self._read:
            rows = list(
                self.db.table("submissions").rows_where(f"status in ({marks})", list(statuses), order_by="created_at")
            )
        return [Submission.from_row(r) for r in rows]

    def for_user(self, team_id: str, user_id: str, limit: int = 20) -> list[Submission]:
        with self._read:
            rows = list(
                self.db.table("submissions").rows_where(
                    "team_id = ? and user_id = ?",
                    [team_id, user_id],
                    order_by="created_at desc",
                    limit=limit,
                )
            )
        return [Submission.from_row(r) for r in rows]

    def transition(self, submission_id: str, from_statuses: Iterable[str], to_status: str, **changes: Any) -> bool:
        """Compare-and-set the status: True only for the one caller that moved it."""
        allowed = list(from_statuses)
        changes = {**changes, "status": to_status, "updated_at": utc_now()}
        assignments = ", ".join(f"{k} = ?" for k in changes)
        marks = ", ".join("?" for _ in allowed)
        with self._lock:
            cur = self.db.execute(
                f"UPDATE submissions SET {assignments} WHERE id = ? AND status IN ({marks})",
                [*changes.values(), submission_id, *allowed],
            )
            return cur.rowcount == 1

    def update(self, submission_id: str, **changes: Any) -> None:
        changes["updated_at"] = utc_now()
        with self._lock:
            self.db.table("submissions").update(submission_id, changes)

    # --- photo bytes between the check and the consent click ----------------------------
    def save_photo(self, submission_id: str, data: bytes) -> None:
        with self._lock:
            self.db.table("photos").upsert({"submission_id": submission_id, "data": data}, pk="submission_id")

    def load_photo(self, submission_id: str) -> bytes | None:
        with self._read:
            rows = list(self.db.table("photos").rows_where("submission_id = ?", [submission_id]))
        return rows[0]["data"] if rows else None

    def delete_photo(self, submission_id: str) -> None:
        with self._lock:
            self.db.execute("DELETE FROM photos WHERE submission_id = ?", [submission_id])

    # --- per-person preferences ---------------------------------------------------------
    # A person's preferences: one row per (team, user), one column per preference.
    _PREF_COLUMNS = frozenset({"voice_name", "replica_name", "home_seen_at"})

    def _set_pref(self, team_id: str, user_id: str, column: str, value: str) -> None:
        assert column in self._PREF_COLUMNS  # a column name, never user input
        with self._lock:
            self.db.execute(
                f"INSERT INTO user_prefs (team_id, user_id, {column}, updated_at) VALUES (?, ?, ?, ?) "
                f"ON CONFLICT (team_id, user_id) DO UPDATE SET {column} = excluded.{column}, "
                "updated_at = excluded.updated_at",
                [team_id, user_id, value, utc_now()],
            )

    def _pref(self, team_id: str, user_id: str, column: str) -> Any:
        with self._read:
            rows = list(self.db.table("user_prefs").rows_where("team_id = ? and user_id = ?", [team_id, user_id]))
        return rows[0].get(column) if rows else None

    def set_voice(self, team_id: str, user_id: str, voice_name: str) -> None:
        self._set_pref(team_id, user_id, "voice_name", voice_name)

    def get_voice(self, team_id: str, user_id: str) -> str | None:
        voice: str | None = self._pref(team_id, user_id, "voice_name")
        return voice

    def set_default_name(self, team_id: str, user_id: str, name: str) -> None:
        self._set_pref(team_id, user_id, "replica_name", name)

    def get_default_name(self, team_id: str, user_id: str) -> str | None:
        name: str | None = self._pref(team_id, user_id, "replica_name")
        return name

    def mark_home_seen(self, team_id: str, user_id: str) -> None:
        self._set_pref(team_id, user_id, "home_seen_at", utc_now())

    def home_seen(self, team_id: str, user_id: str) -> bool:
        return bool(self._pref(team_id, user_id, "home_seen_at"))

    def by_replica_id(self, replica_id: str) -> Submission | None:
        with self._read:
            rows = list(self.db.table("submissions").rows_where("replica_id = ?", [replica_id], limit=1))
        return Submission.from_row(rows[0]) if rows else None

    def mark_welcomed(self, team_id: str, user_id: str) -> bool:
        """True the first time only: the welcome message is sent once per person."""
        now = utc_now()
        with self._transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO user_prefs (team_id, user_id, updated_at) VALUES (?, ?, ?)",
                [team_id, user_id, now],
            )
            cur = db.execute(
                "UPDATE user_prefs SET welcomed_at = ? WHERE team_id = ? AND user_id = ? AND welcomed_at IS NULL",
                [now, team_id, user_id],
            )
            return cur.rowcount == 1

    # --- outbox: Slack messages that must not be lost ------------------------------------
    def transition_with_notice(
        self,
        submission_id: str,
        from_statuses: Iterable[str],
        to_status: str,
        notices: list[dict[str, Any]],
        **changes: Any,
    ) -> bool:
        """Move the status and queue its Slack notices in one transaction."""
        with self._lock, self._transaction():
            if not self.transition(submission_id, from_statuses, to_status, **changes):
                return False
            for notice in notices:
                self._queue(notice)
            return True

    def queue_notice(self, notice: dict[str, Any]) -> None:
        with self._lock:
            self._queue(notice)

    def _queue(self, notice: dict[str, Any]) -> None:
        blocks = notice.get("blocks")
        self.db.execute(
            "INSERT OR IGNORE INTO outbox (dedupe_key, submission_id, channel_id, thread_ts, "
            "update_ts, text, blocks_json, created_at, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
            [
                notice["dedupe_key"],
                notice.get("submission_id"),
                notice["channel_id"],
                notice.get("thread_ts"),
                notice.get("update_ts"),
                notice["text"],
                json.dumps(blocks) if blocks else None,
                utc_now(),
            ],
        )

    def pending_notices(self, limit: int = 50) -> list[OutboxMessage]:
        with self._read:
            rows = list(self.db.table("outbox").rows_where("sent_at is null", order_by="id", limit=limit))
        names = {f.name for f in fields(OutboxMessage)}
        return [OutboxMessage(**{k: v for k, v in r.items() if k in names}) for r in rows]

    def mark_notice_sending(self, notice_id: int) -> None:
        with self._lock:
            self.db.execute("UPDATE outbox SET sending_at = ? WHERE id = ?", [utc_now(), notice_id])

    def mark_notice_sent(self, notice_id: int) -> None:
        with self._lock:
            self.db.table("outbox").update(notice_id, {"sent_at": utc_now()})

    def mark_notice_failed(self, notice_id: int, error: str) -> None:
        with self._lock:
            self.db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?",
                [error[:500], notice_id],
            )

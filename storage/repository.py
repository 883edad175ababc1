"""The repository: every read and write of a submission's state, behind plain methods.

The same SQL runs on SQLite and PostgreSQL (`engine.py`). Each method is one transaction;
a state change is a compare-and-set on `status`, so the web and worker processes, their
threads and a second delivery of the same Slack event can never move a submission twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from typing import Any

from sqlalchemy import Connection, bindparam, text

from . import migrations
from .engine import Database
from .jobs import JobSpec, insert_job
from .records import SUBMISSION_FIELDS, OutboxMessage, Submission, utc_now

_PREF_COLUMNS = frozenset({"voice_name", "replica_name", "home_seen_at"})


def _in(sql: str, *names: str) -> Any:
    """A statement whose `:name` parameters are lists (SQL `IN (…)`)."""
    return text(sql).bindparams(*(bindparam(n, expanding=True) for n in names))


def _dicts(conn: Connection, statement: Any, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in conn.execute(statement, dict(params or {}))]


class Repository:
    def __init__(self, target: str | Database):
        """`target`: a SQLite path, a postgresql:// URL, or an open Database."""
        self.db = target if isinstance(target, Database) else Database(target)
        migrations.apply(self.db)

    def close(self) -> None:
        self.db.close()

    # --- Slack events -------------------------------------------------------------------
    def _then(self, conn: Connection, jobs: Sequence[JobSpec]) -> None:
        for spec in jobs:
            insert_job(conn, spec, self.db.is_postgres)

    def record_event(self, event_id: str, submission: Submission | None = None, then: Sequence[JobSpec] = ()) -> bool:
        """Remember an event id (and the submission it brings, and the jobs it starts, in the
        same transaction); False when the event was seen before (a retry or a duplicate)."""
        with self.db.write() as conn:
            cur = conn.execute(
                text(
                    "INSERT INTO processed_events (event_id, received_at) VALUES (:id, :at) "
                    "ON CONFLICT (event_id) DO NOTHING"
                ),
                {"id": event_id, "at": utc_now()},
            )
            if cur.rowcount != 1:
                return False
            if submission is not None and self._insert_submission(conn, submission):
                self._then(conn, then)
            return True

    # --- submissions --------------------------------------------------------------------
    def create_submission(self, submission: Submission, then: Sequence[JobSpec] = ()) -> bool:
        """Insert a new submission (and enqueue `then`); False when this photo already has one."""
        with self.db.write() as conn:
            if not self._insert_submission(conn, submission):
                return False
            self._then(conn, then)
            return True

    @staticmethod
    def _insert_submission(conn: Connection, submission: Submission) -> bool:
        submission.created_at = submission.updated_at = utc_now()
        row = {f.name: getattr(submission, f.name) for f in fields(submission)}
        columns = ", ".join(row)
        marks = ", ".join(f":{k}" for k in row)
        cur = conn.execute(text(f"INSERT INTO submissions ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING"), row)
        return cur.rowcount == 1

    def get(self, submission_id: str) -> Submission | None:
        with self.db.read() as conn:
            rows = _dicts(conn, text("SELECT * FROM submissions WHERE id = :id"), {"id": submission_id})
        return Submission.from_row(rows[0]) if rows else None

    def older_than(self, statuses: Iterable[str], column: str, cutoff: str) -> list[Submission]:
        assert column in SUBMISSION_FIELDS  # a column name, never user input
        statement = _in(
            f"SELECT * FROM submissions WHERE status IN :statuses AND {column} <= :cutoff ORDER BY created_at",
            "statuses",
        )
        with self.db.read() as conn:
            rows = _dicts(conn, statement, {"statuses": list(statuses), "cutoff": cutoff})
        return [Submission.from_row(r) for r in rows]

    def with_status(self, *statuses: str) -> list[Submission]:
        statement = _in("SELECT * FROM submissions WHERE status IN :statuses ORDER BY created_at", "statuses")
        with self.db.read() as conn:
            rows = _dicts(conn, statement, {"statuses": list(statuses)})
        return [Submission.from_row(r) for r in rows]

    def for_user(self, team_id: str, user_id: str, limit: int = 20) -> list[Submission]:
        statement = text(
            "SELECT * FROM submissions WHERE team_id = :team AND user_id = :user ORDER BY created_at DESC LIMIT :limit"
        )
        with self.db.read() as conn:
            rows = _dicts(conn, statement, {"team": team_id, "user": user_id, "limit": limit})
        return [Submission.from_row(r) for r in rows]

    def by_replica_id(self, replica_id: str) -> Submission | None:
        with self.db.read() as conn:
            rows = _dicts(conn, text("SELECT * FROM submissions WHERE replica_id = :r LIMIT 1"), {"r": replica_id})
        return Submission.from_row(rows[0]) if rows else None

    def transition(
        self,
        submission_id: str,
        from_statuses: Iterable[str],
        to_status: str,
        *,
        then: Sequence[JobSpec] = (),
        **changes: Any,
    ) -> bool:
        """Compare-and-set the status: True only for the one caller that moved it. The jobs in
        `then` are enqueued in the same transaction, only when it moved."""
        with self.db.write() as conn:
            if not self._transition(conn, submission_id, from_statuses, to_status, changes):
                return False
            self._then(conn, then)
            return True

    @staticmethod
    def _transition(
        conn: Connection, submission_id: str, from_statuses: Iterable[str], to_status: str, changes: dict[str, Any]
    ) -> bool:
        values = {**changes, "status": to_status, "updated_at": utc_now()}
        assert set(values) <= SUBMISSION_FIELDS
        assignments = ", ".join(f"{k} = :{k}" for k in values)
        statement = _in(
            f"UPDATE submissions SET {assignments} WHERE id = :_id AND status IN :_allowed",
            "_allowed",
        )
        cur = conn.execute(statement, {**values, "_id": submission_id, "_allowed": list(from_statuses)})
        return cur.rowcount == 1

    def update(self, submission_id: str, **changes: Any) -> None:
        values = {**changes, "updated_at": utc_now()}
        assert set(values) <= SUBMISSION_FIELDS
        assignments = ", ".join(f"{k} = :{k}" for k in values)
        with self.db.write() as conn:
            conn.execute(
                text(f"UPDATE submissions SET {assignments} WHERE id = :_id"), {**values, "_id": submission_id}
            )

    # --- photo bytes between the check and the consent click ----------------------------
    def save_photo(self, submission_id: str, data: bytes) -> None:
        with self.db.write() as conn:
            conn.execute(
                text(
                    "INSERT INTO photos (submission_id, data) VALUES (:id, :data) "
                    "ON CONFLICT (submission_id) DO UPDATE SET data = excluded.data"
                ),
                {"id": submission_id, "data": data},
            )

    def load_photo(self, submission_id: str) -> bytes | None:
        with self.db.read() as conn:
            row = conn.execute(text("SELECT data FROM photos WHERE submission_id = :id"), {"id": submission_id}).first()
        return bytes(row[0]) if row else None

    def delete_photo(self, submission_id: str) -> None:
        with self.db.write() as conn:
            conn.execute(text("DELETE FROM photos WHERE submission_id = :id"), {"id": submission_id})

    # --- per-person preferences: one row per (team, user), one column per preference ----
    def _set_pref(self, team_id: str, user_id: str, column: str, value: str) -> None:
        assert column in _PREF_COLUMNS  # a column name, never user input
        with self.db.write() as conn:
            conn.execute(
                text(
                    f"INSERT INTO user_prefs (team_id, user_id, {column}, updated_at) VALUES (:team, :user, :v, :at) "
                    f"ON CONFLICT (team_id, user_id) DO UPDATE SET {column} = excluded.{column}, "
                    "updated_at = excluded.updated_at"
                ),
                {"team": team_id, "user": user_id, "v": value, "at": utc_now()},
            )

    def _pref(self, team_id: str, user_id: str, column: str) -> Any:
        assert column in _PREF_COLUMNS
        with self.db.read() as conn:
            row = conn.execute(
                text(f"SELECT {column} FROM user_prefs WHERE team_id = :team AND user_id = :user"),
                {"team": team_id, "user": user_id},
            ).first()
        return row[0] if row else None

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

    def mark_welcomed(self, team_id: str, user_id: str) -> bool:
        """True the first time only: the welcome message is sent once per person."""
        now = utc_now()
        key = {"team": team_id, "user": user_id, "at": now}
        with self.db.write() as conn:
            conn.execute(
                text(
                    "INSERT INTO user_prefs (team_id, user_id, updated_at) VALUES (:team, :user, :at) "
                    "ON CONFLICT (team_id, user_id) DO NOTHING"
                ),
                key,
            )
            cur = conn.execute(
                text(
                    "UPDATE user_prefs SET welcomed_at = :at "
                    "WHERE team_id = :team AND user_id = :user AND welcomed_at IS NULL"
                ),
                key,
            )
            return cur.rowcount == 1

    # --- Tavus's stock voices, shared by every process -----------------------------------
    def save_voices(self, account: str, voices: list[dict[str, Any]]) -> None:
        with self.db.write() as conn:
            conn.execute(
                text(
                    "INSERT INTO voice_catalogs (account, voices_json, fetched_at) VALUES (:a, :v, :at) "
                    "ON CONFLICT (account) DO UPDATE SET voices_json = excluded.voices_json, "
                    "fetched_at = excluded.fetched_at"
                ),
                {"a": account, "v": json.dumps(voices), "at": utc_now()},
            )

    def load_voices(self, account: str) -> tuple[list[dict[str, Any]], str] | None:
        """The stored catalog and when it was fetched, or None."""
        with self.db.read() as conn:
            row = conn.execute(
                text("SELECT voices_json, fetched_at FROM voice_catalogs WHERE account = :a"), {"a": account}
            ).first()
        return (json.loads(row[0]), str(row[1])) if row else None

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
        with self.db.write() as conn:
            if not self._transition(conn, submission_id, from_statuses, to_status, changes):
                return False
            for notice in notices:
                self._queue(conn, notice)
            return True

    def queue_notice(self, notice: dict[str, Any]) -> None:
        with self.db.write() as conn:
            self._queue(conn, notice)

    @staticmethod
    def _queue(conn: Connection, notice: dict[str, Any]) -> None:
        blocks = notice.get("blocks")
        conn.execute(
            text(
                "INSERT INTO outbox (dedupe_key, submission_id, channel_id, thread_ts, update_ts, text, "
                "blocks_json, created_at, attempts) VALUES (:dedupe_key, :submission_id, :channel_id, "
                ":thread_ts, :update_ts, :text, :blocks_json, :created_at, 0) ON CONFLICT (dedupe_key) DO NOTHING"
            ),
            {
                "dedupe_key": notice["dedupe_key"],
                "submission_id": notice.get("submission_id"),
                "channel_id": notice["channel_id"],
                "thread_ts": notice.get("thread_ts"),
                "update_ts": notice.get("update_ts"),
                "text": notice["text"],
                "blocks_json": json.dumps(blocks) if blocks else None,
                "created_at": utc_now(),
            },
        )

    def pending_notices(self, limit: int = 50) -> list[OutboxMessage]:
        with self.db.read() as conn:
            rows = _dicts(conn, text("SELECT * FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT :n"), {"n": limit})
        return [OutboxMessage.from_row(r) for r in rows]

    def claim_notice(self, notice_id: int, by: str, stale_before: str) -> bool:
        """Mark a notice as being sent by process `by`. Refused while another live process
        has it marked: only a mark by a process that has stopped or died (the reaper or its
        own stop says so), or one older than `stale_before`, is taken over."""
        with self.db.write() as conn:
            cur = conn.execute(
                text(
                    "UPDATE outbox SET sending_at = :at, sending_by = :by WHERE id = :id AND sent_at IS NULL AND ("
                    "sending_at IS NULL OR sending_by = :by OR sending_at < :stale "
                    "OR sending_by IN (SELECT id FROM processes WHERE stopped_at IS NOT NULL))"
                ),
                {"at": utc_now(), "by": by, "id": notice_id, "stale": stale_before},
            )
            return cur.rowcount == 1

    def mark_notice_sent(self, notice_id: int) -> None:
        with self.db.write() as conn:
            conn.execute(text("UPDATE outbox SET sent_at = :at WHERE id = :id"), {"at": utc_now(), "id": notice_id})

    def mark_notice_failed(self, notice_id: int, error: str) -> None:
        with self.db.write() as conn:
            conn.execute(
                text(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = :e, sending_at = NULL, sending_by = NULL "
                    "WHERE id = :id"
                ),
                {"e": error[:500], "id": notice_id},
            )

"""The repository: every read and write of a submission's state, behind plain methods.

The same SQL runs on SQLite and PostgreSQL (`engine.py`). Each method is one transaction;
a state change is a compare-and-set on `status` (with the jobs it starts, in the same
transaction), so the web and worker processes, their threads and a second delivery of
the same Slack event can never move a submission twice. Preferences and the voice
catalog live in `people.py`, the outbox in `outbox.py`, workspaces (installations, their Tavus keys) in `workspaces.py`,
policies and usage in `policy.py`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import fields
from typing import Any

from . import clock, migrations
from .audit import AuditEvent, AuditStore, insert_audit
from .clock import seconds_ago, utc_now
from .engine import Database, Tx
from .jobs import JobSpec, insert_job
from .outbox import OutboxStore
from .people import PeopleStore
from .policy import PolicyStore
from .read_batch import ReadBatcher
from .records import SUBMISSION_FIELDS, Submission
from .workspaces import WorkspaceStore

# What lists of submissions (App Home, cancel) read: not the file object or findings.
_LIST_COLUMNS = ", ".join(sorted(SUBMISSION_FIELDS - {"file_json", "findings_json"}))
_LatestKey = tuple[str, str, tuple[str, ...], int]  # team, user, columns, limit
# Newest first, in a total order: created_at has whole seconds, so photos sent within one
# second are told apart by their Slack message (ts grows with time) and then by id; the
# one-person and the several-people queries must agree row for row. (Index m009.)
_NEWEST_FIRST = "created_at DESC, message_ts DESC, id DESC"


class Repository(PeopleStore, OutboxStore, WorkspaceStore, AuditStore, PolicyStore):
    def __init__(self, target: str | Database):
        """`target`: a SQLite path, a postgresql:// URL, or an open Database."""
        self.db = target if isinstance(target, Database) else Database(target)
        migrations.apply(self.db)
        clock.sync(self.db)  # every process's timestamps from the database's clock (clock.py)
        self._latest_reads: ReadBatcher[_LatestKey, list[dict[str, Any]]] | None = None  # batch_latest_reads()

    def close(self) -> None:
        self.db.close()

    def _then(self, tx: Tx, jobs: Sequence[JobSpec]) -> None:
        for spec in jobs:
            insert_job(tx, spec, self.db.is_postgres)

    # --- Slack events -------------------------------------------------------------------
    def record_event(self, event_id: str, submission: Submission | None = None, then: Sequence[JobSpec] = ()) -> bool:
        """Remember an event id (and the submission it brings, and the jobs it starts, in the
        same transaction); False when the event was seen before (a retry or a duplicate)."""
        with self.db.write() as tx:
            cur = tx.execute(
                "INSERT INTO processed_events (event_id, received_at) VALUES (:id, :at) "
                "ON CONFLICT (event_id) DO NOTHING",
                {"id": event_id, "at": utc_now()},
            )
            if cur.rowcount != 1:
                return False
            if submission is not None and self._insert_submission(tx, submission):
                self._then(tx, then)
            return True

    def purge_events(self, older_than_seconds: float) -> int:
        """Forget event ids older than this: Slack retries an event within about an hour, so
        an older id only stands in an ever-growing table."""
        with self.db.write() as tx:
            cur = tx.execute(
                "DELETE FROM processed_events WHERE received_at < :cutoff", {"cutoff": seconds_ago(older_than_seconds)}
            )
            return int(cur.rowcount)

    # --- submissions --------------------------------------------------------------------
    def create_submission(self, submission: Submission, then: Sequence[JobSpec] = ()) -> bool:
        """Insert a new submission (and enqueue `then`); False when this photo already has one."""
        with self.db.write() as tx:
            if not self._insert_submission(tx, submission):
                return False
            self._then(tx, then)
            return True

    @staticmethod
    def _insert_submission(tx: Tx, submission: Submission) -> bool:
        submission.created_at = submission.updated_at = utc_now()
        row = {f.name: getattr(submission, f.name) for f in fields(submission)}
        columns = ", ".join(row)
        marks = ", ".join(f":{k}" for k in row)
        cur = tx.execute(f"INSERT INTO submissions ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING", row)
        return bool(cur.rowcount == 1)

    def get(self, submission_id: str) -> Submission | None:
        with self.db.read() as tx:
            rows = tx.rows("SELECT * FROM submissions WHERE id = :id", {"id": submission_id})
        return Submission.from_row(rows[0]) if rows else None

    def older_than(self, statuses: Iterable[str], column: str, cutoff: str) -> list[Submission]:
        assert column in SUBMISSION_FIELDS  # a column name, never user input
        with self.db.read() as tx:
            rows = tx.rows(
                f"SELECT * FROM submissions WHERE status IN :statuses AND {column} <= :cutoff ORDER BY created_at",
                {"statuses": list(statuses), "cutoff": cutoff},
            )
        return [Submission.from_row(r) for r in rows]

    def with_status(self, *statuses: str) -> list[Submission]:
        with self.db.read() as tx:
            rows = tx.rows(
                "SELECT * FROM submissions WHERE status IN :statuses ORDER BY created_at", {"statuses": list(statuses)}
            )
        return [Submission.from_row(r) for r in rows]

    def for_user(self, team_id: str, user_id: str, limit: int = 20) -> list[Submission]:
        """A person's latest submissions, for lists (the large JSON columns are left out)."""
        return [Submission.from_row(r) for r in self._latest(_LIST_COLUMNS, team_id, user_id, limit)]

    def latest_for_user(
        self, team_id: str, user_id: str, columns: Collection[str], limit: int = 20
    ) -> list[dict[str, Any]]:
        """`columns` of a person's latest submissions, newest first, as plain rows: for a list
        that shows a few of them. (`/replica status`, answered in the web role's burst of
        requests, read 41 columns to show 6: 0.32 ms of CPU per answer on PostgreSQL and
        0.25 ms on SQLite, against 0.18 and 0.08 ms for the six.)"""
        unknown = set(columns) - SUBMISSION_FIELDS
        if unknown or not columns:  # (names go into the SQL text: only known columns may)
            raise ValueError(f"not columns of a submission: {sorted(unknown) or 'none given'}")
        if self._latest_reads is None:
            return self._latest(", ".join(columns), team_id, user_id, limit)
        rows = self._latest_reads.get((team_id, user_id, tuple(columns), limit))
        return [dict(row) for row in rows]  # askers of the same key share the fetched rows

    def batch_latest_reads(self) -> None:
        """From now on `latest_for_user` calls made at once by many threads share queries
        (read_batch.py): for processes that answer Slack's requests, where a burst's
        `/replica status` requests queue for the database."""
        if self._latest_reads is None:
            self._latest_reads = ReadBatcher(self._latest_many, name="latest-reads")

    def _latest_many(self, keys: list[_LatestKey]) -> dict[_LatestKey, list[dict[str, Any]]]:
        """`_latest` for several people at once: one query per (columns, limit) asked for."""
        found: dict[_LatestKey, list[dict[str, Any]]] = {}
        shapes: dict[tuple[tuple[str, ...], int], list[tuple[str, str]]] = {}
        for team_id, user_id, columns, limit in keys:
            shapes.setdefault((columns, limit), []).append((team_id, user_id))
        for (columns, limit), people in shapes.items():
            if len(people) == 1:
                (team_id, user_id), selected = people[0], ", ".join(columns)
                found[(team_id, user_id, columns, limit)] = self._latest(selected, team_id, user_id, limit)
                continue
            rows = self._latest_of(columns, people, limit)
            for team_id, user_id in people:
                found[(team_id, user_id, columns, limit)] = rows.get((team_id, user_id), [])
        return found

    def _latest_of(
        self, columns: tuple[str, ...], people: list[tuple[str, str]], limit: int
    ) -> dict[tuple[str, str], list[dict[str, Any]]]:
        """Each person's latest `limit` rows, newest first, in one query."""
        selected = ", ".join(columns)
        with self.db.read() as tx:
            rows = tx.rows(
                f"SELECT * FROM (SELECT team_id AS batch_team, user_id AS batch_user, {selected}, "
                f"ROW_NUMBER() OVER (PARTITION BY team_id, user_id ORDER BY {_NEWEST_FIRST}) AS batch_rank "
                "FROM submissions WHERE team_id IN :teams AND user_id IN :users) AS ranked "
                "WHERE batch_rank <= :limit ORDER BY batch_team, batch_user, batch_rank",
                {
                    "teams": sorted({team for team, _ in people}),
                    "users": sorted({user for _, user in people}),
                    "limit": limit,
                },
            )
        wanted = set(people)
        by_person: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for row in rows:
            person = (row["batch_team"], row["batch_user"])
            if person in wanted:  # (the IN lists also match other teams' people of these ids)
                by_person.setdefault(person, []).append({c: row[c] for c in columns})
        return by_person

    def _latest(self, columns: str, team_id: str, user_id: str, limit: int) -> list[dict[str, Any]]:
        with self.db.read() as tx:
            return tx.rows(
                f"SELECT {columns} FROM submissions WHERE team_id = :team AND user_id = :user "
                f"ORDER BY {_NEWEST_FIRST} LIMIT :limit",
                {"team": team_id, "user": user_id, "limit": limit},
            )

    def by_replica_id(self, replica_id: str) -> Submission | None:
        with self.db.read() as tx:
            rows = tx.rows("SELECT * FROM submissions WHERE replica_id = :r LIMIT 1", {"r": replica_id})
        return Submission.from_row(rows[0]) if rows else None

    def transition(
        self,
        submission_id: str,
        from_statuses: Iterable[str],
        to_status: str,
        *,
        then: Sequence[JobSpec] = (),
        audit: AuditEvent | None = None,
        **changes: Any,
    ) -> bool:
        """Compare-and-set the status: True only for the one caller that moved it. The jobs in
        `then` are enqueued, and `audit` recorded, in the same transaction, only when it moved."""
        with self.db.write() as tx:
            if not self._transition(tx, submission_id, from_statuses, to_status, changes):
                return False
            self._then(tx, then)
            if audit is not None:
                insert_audit(tx, audit)
            return True

    @staticmethod
    def _transition(
        tx: Tx, submission_id: str, from_statuses: Iterable[str], to_status: str, changes: dict[str, Any]
    ) -> bool:
        values = {**changes, "status": to_status, "updated_at": utc_now()}
        assert set(values) <= SUBMISSION_FIELDS
        assignments = ", ".join(f"{k} = :{k}" for k in values)
        cur = tx.execute(
            f"UPDATE submissions SET {assignments} WHERE id = :_id AND status IN :_allowed",
            {**values, "_id": submission_id, "_allowed": list(from_statuses)},
        )
        return bool(cur.rowcount == 1)

    def update(self, submission_id: str, **changes: Any) -> None:
        values = {**changes, "updated_at": utc_now()}
        assert set(values) <= SUBMISSION_FIELDS
        assignments = ", ".join(f"{k} = :{k}" for k in values)
        with self.db.write() as tx:
            tx.execute(f"UPDATE submissions SET {assignments} WHERE id = :_id", {**values, "_id": submission_id})

    # --- photo bytes between the check and the consent click ----------------------------
    def save_photo(self, submission_id: str, data: bytes) -> None:
        with self.db.write() as tx:
            tx.execute(
                "INSERT INTO photos (submission_id, data) VALUES (:id, :data) "
                "ON CONFLICT (submission_id) DO UPDATE SET data = excluded.data",
                {"id": submission_id, "data": data},
            )

    def save_fixed_photo(self, submission_id: str, data: bytes) -> None:
        """The fixed version beside the person's own (saved first with save_photo)."""
        with self.db.write() as tx:
            tx.execute("UPDATE photos SET fixed = :data WHERE submission_id = :id", {"id": submission_id, "data": data})

    def load_photo(self, submission_id: str, fixed: bool = False) -> bytes | None:
        column = "fixed" if fixed else "data"
        with self.db.read() as tx:
            row = tx.first(f"SELECT {column} FROM photos WHERE submission_id = :id", {"id": submission_id})
        return bytes(row[0]) if row and row[0] is not None else None

    def delete_photo(self, submission_id: str) -> None:
        with self.db.write() as tx:
            tx.execute("DELETE FROM photos WHERE submission_id = :id", {"id": submission_id})

    # --- Tavus callback tokens (hashes only) --------------------------------------------
    def add_callback_token(self, submission_id: str, token_hash: str) -> None:
        with self.db.write() as tx:
            tx.execute(
                "INSERT INTO callback_tokens (token_hash, submission_id, created_at) VALUES (:h, :s, :at)",
                {"h": token_hash, "s": submission_id, "at": utc_now()},
            )

    def submission_for_callback(self, token_hash: str) -> Submission | None:
        with self.db.read() as tx:
            rows = tx.rows(
                "SELECT s.* FROM submissions s JOIN callback_tokens t ON t.submission_id = s.id "
                "WHERE t.token_hash = :h",
                {"h": token_hash},
            )
        return Submission.from_row(rows[0]) if rows else None

    # --- the outbox, atomically with a state change ---------------------------------------
    def transition_with_notice(
        self,
        submission_id: str,
        from_statuses: Iterable[str],
        to_status: str,
        notices: list[dict[str, Any]],
        audit: AuditEvent | None = None,
        **changes: Any,
    ) -> bool:
        """Move the status and queue its Slack notices (and its audit entry) in one transaction."""
        with self.db.write() as tx:
            if not self._transition(tx, submission_id, from_statuses, to_status, changes):
                return False
            for notice in notices:
                self._queue(tx, notice)
            if audit is not None:
                insert_audit(tx, audit)
            return True

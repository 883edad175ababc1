"""Workspace policies, and the usage they are decided on, counted under the workspace's lock.

A policy is stored as one JSON document per Slack team (bot/policy/rules.py gives it
meaning). Letting a submission through (`clear_for_creation`) counts the person's recent
replicas and the workspace's training ones and marks the submission cleared in the same
transaction, holding a per-workspace lock, so two workers cannot both take the last slot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .audit import AuditEvent, insert_audit
from .clock import utc_now
from .engine import Database, Tx

# Counted towards quota and concurrency: replicas created, and submissions cleared and about to be.
_CLEARED = "(status = 'submitting' AND cleared_at IS NOT NULL)"


@dataclass
class StoredPolicy:
    text: str
    changed_by: str
    changed_at: str


class PolicyStore:
    db: Database

    def policy_of(self, team_id: str) -> StoredPolicy | None:
        with self.db.read() as tx:
            row = tx.first(
                "SELECT policy, changed_by, changed_at FROM workspace_policy WHERE team_id = :team", {"team": team_id}
            )
        return StoredPolicy(row[0], row[1], row[2]) if row else None

    def set_policy(self, team_id: str, text: str, changed_by: str, audit: AuditEvent) -> None:
        """Save the policy and its audit entry in one transaction."""
        with self.db.write() as tx:
            tx.execute(
                "INSERT INTO workspace_policy (team_id, policy, changed_by, changed_at) VALUES (:t, :p, :by, :at) "
                "ON CONFLICT (team_id) DO UPDATE SET policy = excluded.policy, changed_by = excluded.changed_by, "
                "changed_at = excluded.changed_at",
                {"t": team_id, "p": text, "by": changed_by, "at": utc_now()},
            )
            insert_audit(tx, audit)

    def clear_for_creation(
        self, submission_id: str, team_id: str, user_id: str, since: str, allow: Callable[[list[str], int], bool]
    ) -> bool:
        """Under the workspace's lock: count `user_id`'s replicas since `since` (their
        timestamps) and the workspace's training ones, ask `allow(timestamps, training)`, and
        if it says yes mark the submission cleared. True when cleared."""
        with self.db.write() as tx:
            self._lock_workspace(tx, team_id)
            args = {"team": team_id, "user": user_id, "since": since, "id": submission_id}
            used = tx.scalars(
                "SELECT COALESCE(submitted_at, cleared_at) FROM submissions "
                "WHERE team_id = :team AND user_id = :user AND id <> :id AND "
                f"((replica_id IS NOT NULL AND submitted_at >= :since) OR {_CLEARED})",
                args,
            )
            training = tx.first(
                "SELECT COUNT(*) FROM submissions WHERE team_id = :team AND id <> :id AND "
                f"(status = 'training' OR {_CLEARED})",
                args,
            )
            if not allow(sorted(str(t) for t in used), int(training[0]) if training else 0):
                return False
            cur = tx.execute(
                "UPDATE submissions SET cleared_at = :at WHERE id = :id AND status = 'submitting'",
                {"at": utc_now(), "id": submission_id},
            )
            return bool(cur.rowcount == 1)

    def _lock_workspace(self, tx: Tx, team_id: str) -> None:
        # SQLite's BEGIN IMMEDIATE already serializes writers; PostgreSQL needs a lock, held
        # until the transaction ends.
        if self.db.is_postgres:
            tx.execute("SELECT pg_advisory_xact_lock(hashtext(:key))", {"key": f"policy:{team_id}"})

    def usage_by_person(self, team_id: str, since: str) -> list[tuple[str, int]]:
        """Replicas created per person since `since`, most first (the App Home's usage)."""
        with self.db.read() as tx:
            rows = tx.execute(
                "SELECT user_id, COUNT(*) FROM submissions WHERE team_id = :team AND replica_id IS NOT NULL "
                "AND submitted_at >= :since GROUP BY user_id ORDER BY COUNT(*) DESC, user_id",
                {"team": team_id, "since": since},
            ).fetchall()
        return [(str(r[0]), int(r[1])) for r in rows]

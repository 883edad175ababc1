"""The audit trail: an append-only table of who did what, per workspace.

Rows are only ever inserted (in the same transaction as the change they record, where there
is one) and, past the retention period, deleted by maintenance; nothing updates them, and
the bot has no way to change one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .clock import seconds_ago, utc_now
from .engine import Database, Tx

ACTIONS = (
    "consent",
    "replica_created",
    "training_finished",
    "training_failed",
    "replica_deleted",
    "tavus_key_set",
    "tavus_key_removed",
    "admins_changed",
    "workspace_uninstalled",
    "policy_changed",
    "approval_requested",
    "approved",
    "denied",
    "approval_lapsed",
    "creation_refused",
)


@dataclass(frozen=True)
class AuditEvent:
    team_id: str
    action: str
    actor: str  # a Slack user id, or "replica-bot" for what the bot saw happen
    subject: str | None = None  # a submission or replica id
    details: dict[str, Any] = field(default_factory=dict)
    enterprise_id: str | None = None

    def __post_init__(self) -> None:
        assert self.action in ACTIONS, self.action


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    team_id: str
    enterprise_id: str | None
    actor: str
    action: str
    subject: str | None
    details: dict[str, Any]

    def flat(self) -> dict[str, Any]:
        """One row for CSV and JSON alike (details as a JSON string)."""
        return {
            "id": self.id,
            "at": self.at,
            "team_id": self.team_id,
            "enterprise_id": self.enterprise_id or "",
            "actor": self.actor,
            "action": self.action,
            "subject": self.subject or "",
            "details": json.dumps(self.details, sort_keys=True, ensure_ascii=False),
        }


def insert_audit(tx: Tx, event: AuditEvent) -> None:
    tx.execute(
        "INSERT INTO audit_events (at, team_id, enterprise_id, actor, action, subject, details) "
        "VALUES (:at, :team, :ent, :actor, :action, :subject, :details)",
        {
            "at": utc_now(),
            "team": event.team_id,
            "ent": event.enterprise_id,
            "actor": event.actor,
            "action": event.action,
            "subject": event.subject,
            "details": json.dumps(event.details, sort_keys=True, ensure_ascii=False),
        },
    )


class AuditStore:
    db: Database

    def audit(self, event: AuditEvent) -> None:
        with self.db.write() as tx:
            insert_audit(tx, event)

    def audit_entries(
        self, team_id: str | None = None, since: str | None = None, until: str | None = None, limit: int | None = None
    ) -> list[AuditEntry]:
        """Oldest first; `since`/`until` are ISO dates or times (until is exclusive)."""
        where: list[str] = []
        params: dict[str, Any] = {}
        if team_id:
            where.append("team_id = :team")
            params["team"] = team_id
        if since:
            where.append("at >= :since")
            params["since"] = since
        if until:
            where.append("at < :until")
            params["until"] = until
        sql = "SELECT * FROM audit_events" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
        if limit:
            sql = f"SELECT * FROM ({sql} DESC LIMIT :limit) AS latest ORDER BY id"
            params["limit"] = limit
        with self.db.read() as tx:
            rows = tx.rows(sql, params)
        return [
            AuditEntry(
                int(r["id"]),
                str(r["at"]),
                str(r["team_id"]),
                r["enterprise_id"],
                str(r["actor"]),
                str(r["action"]),
                r["subject"],
                json.loads(r["details"] or "{}"),
            )
            for r in rows
        ]

    def purge_audit(self, retention_days: int) -> int:
        with self.db.write() as tx:
            cutoff = seconds_ago(retention_days * 86_400)
            cur = tx.execute("DELETE FROM audit_events WHERE at < :cutoff", {"cutoff": cutoff})
            return int(cur.rowcount)

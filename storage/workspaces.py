"""Workspaces: OAuth installations, OAuth states, and per-workspace settings (the Tavus key).

Secrets arrive here already encrypted (bot/workspaces/secrets.py): this module stores and
finds opaque strings and never sees a key. An installation is found by its `install_key`:
`E:<enterprise>` for an org-wide install, `<enterprise or ->:<team>` for a workspace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .clock import utc_now
from .engine import Database


def install_key(enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool) -> str:
    if is_enterprise_install:
        return f"E:{enterprise_id}"
    return f"{enterprise_id or '-'}:{team_id}"


@dataclass
class StoredInstallation:
    install_key: str
    enterprise_id: str | None
    team_id: str | None
    is_enterprise_install: bool
    sealed: str  # the whole installation as JSON, encrypted
    installed_at: str


@dataclass
class StoredTavusKey:
    sealed: str  # encrypted
    last4: str
    set_by: str
    set_at: str


# Submissions still in flight: an uninstall closes them.
OPEN_STATUSES = ["received", "checking", "needs_fix", "ready", "awaiting_approval", "submitting", "training"]


class WorkspaceStore:
    db: Database

    # --- installations -----------------------------------------------------------------
    def save_installation(
        self, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool, sealed: str
    ) -> None:
        key = install_key(enterprise_id, team_id, is_enterprise_install)
        with self.db.write() as tx:
            tx.execute(
                "INSERT INTO installations (install_key, enterprise_id, team_id, is_enterprise_install, sealed, "
                "installed_at) VALUES (:key, :ent, :team, :org, :sealed, :at) "
                "ON CONFLICT (install_key) DO UPDATE SET sealed = excluded.sealed, "
                "installed_at = excluded.installed_at",
                {
                    "key": key,
                    "ent": enterprise_id,
                    "team": None if is_enterprise_install else team_id,
                    "org": int(is_enterprise_install),
                    "sealed": sealed,
                    "at": utc_now(),
                },
            )

    def find_installation(self, key: str) -> StoredInstallation | None:
        with self.db.read() as tx:
            row = tx.first(
                "SELECT install_key, enterprise_id, team_id, is_enterprise_install, sealed, installed_at "
                "FROM installations WHERE install_key = :key",
                {"key": key},
            )
        if row is None:
            return None
        return StoredInstallation(row[0], row[1], row[2], bool(row[3]), row[4], row[5])

    def delete_installation(self, key: str) -> bool:
        """Deletes the installation and the workspace's settings (its Tavus key) at once."""
        with self.db.write() as tx:
            gone = tx.execute("DELETE FROM installations WHERE install_key = :key", {"key": key}).rowcount
            tx.execute("DELETE FROM workspace_settings WHERE install_key = :key", {"key": key})
        return bool(gone)

    # --- which install serves a team -------------------------------------------------------
    def remember_team(self, team_id: str, enterprise_id: str | None, key: str) -> None:
        with self.db.write() as tx:
            tx.execute(
                "INSERT INTO workspace_teams (team_id, enterprise_id, install_key, seen_at) "
                "VALUES (:team, :ent, :key, :at) ON CONFLICT (team_id) DO UPDATE SET "
                "enterprise_id = excluded.enterprise_id, install_key = excluded.install_key, "
                "seen_at = excluded.seen_at",
                {"team": team_id, "ent": enterprise_id, "key": key, "at": utc_now()},
            )

    def install_key_of_team(self, team_id: str) -> str | None:
        with self.db.read() as tx:
            row = tx.first("SELECT install_key FROM workspace_teams WHERE team_id = :team", {"team": team_id})
        return str(row[0]) if row else None

    def teams_of_install(self, key: str) -> list[str]:
        with self.db.read() as tx:
            teams = tx.scalars("SELECT team_id FROM workspace_teams WHERE install_key = :key", {"key": key})
        return [str(t) for t in teams]

    # --- uninstall ------------------------------------------------------------------------
    def close_workspace(self, team_id: str) -> list[str]:
        """The app left this workspace: its photo bytes and preferences are deleted, every
        submission still in flight is closed (nothing more is sent for it), and the ids of
        the submissions whose rehosted photo is still in S3 are returned, for deletion."""
        now = utc_now()
        with self.db.write() as tx:
            tx.execute(
                "DELETE FROM photos WHERE submission_id IN (SELECT id FROM submissions WHERE team_id = :team)",
                {"team": team_id},
            )
            tx.execute("DELETE FROM user_prefs WHERE team_id = :team", {"team": team_id})
            tx.execute(
                "UPDATE submissions SET status = 'cancelled', error_message = :why, updated_at = :now "
                "WHERE team_id = :team AND status IN :open",
                {
                    "team": team_id,
                    "now": now,
                    "why": "replica-bot was uninstalled from this workspace",
                    "open": [
                        "received",
                        "checking",
                        "needs_fix",
                        "ready",
                        "awaiting_approval",
                        "submitting",
                        "training",
                    ],
                },
            )
            ids = tx.scalars(
                "SELECT id FROM submissions WHERE team_id = :team AND s3_key IS NOT NULL AND s3_deleted_at IS NULL",
                {"team": team_id},
            )
        return [str(i) for i in ids]

    # --- OAuth states: single use, expiring ---------------------------------------------
    def issue_state(self, state: str, expires_at: str) -> None:
        with self.db.write() as tx:
            tx.execute("DELETE FROM oauth_states WHERE expires_at < :now", {"now": utc_now()})
            tx.execute("INSERT INTO oauth_states (state, expires_at) VALUES (:s, :e)", {"s": state, "e": expires_at})

    def consume_state(self, state: str) -> bool:
        """True once for a state this server issued and that has not expired."""
        with self.db.write() as tx:
            row = tx.first(
                "DELETE FROM oauth_states WHERE state = :s RETURNING expires_at",
                {"s": state},
            )
        return row is not None and row[0] >= utc_now()

    # --- the workspace's Tavus key ------------------------------------------------------
    def set_tavus_key(self, key: str, sealed: str, last4: str, set_by: str) -> None:
        with self.db.write() as tx:
            tx.execute(
                "INSERT INTO workspace_settings (install_key, tavus_key, tavus_key_last4, tavus_key_set_by, "
                "tavus_key_set_at) VALUES (:key, :sealed, :last4, :by, :at) "
                "ON CONFLICT (install_key) DO UPDATE SET tavus_key = excluded.tavus_key, "
                "tavus_key_last4 = excluded.tavus_key_last4, tavus_key_set_by = excluded.tavus_key_set_by, "
                "tavus_key_set_at = excluded.tavus_key_set_at",
                {"key": key, "sealed": sealed, "last4": last4, "by": set_by, "at": utc_now()},
            )

    def remove_tavus_key(self, key: str) -> None:
        with self.db.write() as tx:
            tx.execute(
                "UPDATE workspace_settings SET tavus_key = NULL, tavus_key_last4 = NULL, tavus_key_set_by = NULL, "
                "tavus_key_set_at = NULL WHERE install_key = :key",
                {"key": key},
            )

    def tavus_key(self, key: str) -> StoredTavusKey | None:
        with self.db.read() as tx:
            row = tx.first(
                "SELECT tavus_key, tavus_key_last4, tavus_key_set_by, tavus_key_set_at FROM workspace_settings "
                "WHERE install_key = :key AND tavus_key IS NOT NULL",
                {"key": key},
            )
        return StoredTavusKey(row[0], row[1], row[2], row[3]) if row else None

    # --- people admins added (beside Slack's own admins and owners) ------------------------
    def set_extra_admins(self, key: str, users: list[str]) -> None:
        with self.db.write() as tx:
            tx.execute(
                "INSERT INTO workspace_settings (install_key, extra_admins) VALUES (:key, :admins) "
                "ON CONFLICT (install_key) DO UPDATE SET extra_admins = excluded.extra_admins",
                {"key": key, "admins": ",".join(sorted(set(users)))},
            )

    def extra_admins(self, key: str) -> list[str]:
        with self.db.read() as tx:
            row = tx.first("SELECT extra_admins FROM workspace_settings WHERE install_key = :key", {"key": key})
        return [u for u in str(row[0] or "").split(",") if u] if row else []

    # --- key rotation -------------------------------------------------------------------
    def reseal_all(self, reseal: Callable[[str], str]) -> int:
        """Re-encrypt every stored secret with `reseal` in one transaction; returns how many."""
        count = 0
        with self.db.write() as tx:
            for key, sealed in tx.execute("SELECT install_key, sealed FROM installations").fetchall():
                tx.execute(
                    "UPDATE installations SET sealed = :s WHERE install_key = :key", {"s": reseal(sealed), "key": key}
                )
                count += 1
            sql = "SELECT install_key, tavus_key FROM workspace_settings WHERE tavus_key IS NOT NULL"
            for key, sealed in tx.execute(sql).fetchall():
                tx.execute(
                    "UPDATE workspace_settings SET tavus_key = :s WHERE install_key = :key",
                    {"s": reseal(sealed), "key": key},
                )
                count += 1
        return count

"""Per-person preferences (one row per team and user) and the shared voice catalog."""

from __future__ import annotations

import json
from typing import Any

from .clock import utc_now
from .engine import Database

_PREF_COLUMNS = frozenset({"voice_name", "replica_name", "home_seen_at"})


class PeopleStore:
    db: Database

    def _set_pref(self, team_id: str, user_id: str, column: str, value: str) -> None:
        assert column in _PREF_COLUMNS  # a column name, never user input
        with self.db.write() as tx:
            tx.execute(
                f"INSERT INTO user_prefs (team_id, user_id, {column}, updated_at) VALUES (:team, :user, :v, :at) "
                f"ON CONFLICT (team_id, user_id) DO UPDATE SET {column} = excluded.{column}, "
                "updated_at = excluded.updated_at",
                {"team": team_id, "user": user_id, "v": value, "at": utc_now()},
            )

    def _pref(self, team_id: str, user_id: str, column: str) -> Any:
        assert column in _PREF_COLUMNS
        with self.db.read() as tx:
            row = tx.first(
                f"SELECT {column} FROM user_prefs WHERE team_id = :team AND user_id = :user",
                {"team": team_id, "user": user_id},
            )
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
        key = {"team": team_id, "user": user_id, "at": utc_now()}
        with self.db.write() as tx:
            tx.execute(
                "INSERT INTO user_prefs (team_id, user_id, updated_at) VALUES (:team, :user, :at) "
                "ON CONFLICT (team_id, user_id) DO NOTHING",
                key,
            )
            cur = tx.execute(
                "UPDATE user_prefs SET welcomed_at = :at "
                "WHERE team_id = :team AND user_id = :user AND welcomed_at IS NULL",
                key,
            )
            return bool(cur.rowcount == 1)

    # --- Tavus's stock voices, shared by every process -----------------------------------
    def save_voices(self, account: str, voices: list[dict[str, Any]]) -> None:
        with self.db.write() as tx:
            tx.execute(
                "INSERT INTO voice_catalogs (account, voices_json, fetched_at) VALUES (:a, :v, :at) "
                "ON CONFLICT (account) DO UPDATE SET voices_json = excluded.voices_json, "
                "fetched_at = excluded.fetched_at",
                {"a": account, "v": json.dumps(voices), "at": utc_now()},
            )

    def load_voices(self, account: str) -> tuple[list[dict[str, Any]], str] | None:
        """The stored catalog and when it was fetched, or None."""
        with self.db.read() as tx:
            row = tx.first("SELECT voices_json, fetched_at FROM voice_catalogs WHERE account = :a", {"a": account})
        return (json.loads(row[0]), str(row[1])) if row else None

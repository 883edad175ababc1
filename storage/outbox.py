"""The outbox: Slack messages that must not be lost, queued once, sent once."""

from __future__ import annotations

import json
from typing import Any

from .clock import utc_now
from .engine import Database, Tx
from .records import OutboxMessage


class OutboxStore:
    db: Database

    def queue_notice(self, notice: dict[str, Any]) -> None:
        with self.db.write() as tx:
            self._queue(tx, notice)

    @staticmethod
    def _queue(tx: Tx, notice: dict[str, Any]) -> None:
        blocks = notice.get("blocks")
        tx.execute(
            "INSERT INTO outbox (dedupe_key, submission_id, team_id, channel_id, thread_ts, update_ts, text, "
            "blocks_json, created_at, attempts, last_error) VALUES (:dedupe_key, :submission_id, :team_id, "
            ":channel_id, :thread_ts, :update_ts, :text, :blocks_json, :created_at, 0, :last_error) "
            "ON CONFLICT (dedupe_key) DO UPDATE SET "
            # The same message queued again while it waits (a checklist shown again while its
            # first post waits): the newest content goes. Once sent, or being sent, it stays.
            "text = excluded.text, blocks_json = excluded.blocks_json "
            "WHERE outbox.sent_at IS NULL AND outbox.dropped_at IS NULL AND outbox.sending_at IS NULL",
            {
                "dedupe_key": notice["dedupe_key"],
                "submission_id": notice.get("submission_id"),
                "team_id": notice.get("team_id"),
                "channel_id": notice["channel_id"],
                "thread_ts": notice.get("thread_ts"),
                "update_ts": notice.get("update_ts"),
                "text": notice["text"],
                "blocks_json": json.dumps(blocks) if blocks else None,
                "created_at": utc_now(),
                "last_error": notice.get("last_error"),
            },
        )

    def pending_notices(self, limit: int = 200) -> list[OutboxMessage]:
        """Notices neither sent nor dropped, oldest first."""
        with self.db.read() as tx:
            rows = tx.rows(
                "SELECT * FROM outbox WHERE sent_at IS NULL AND dropped_at IS NULL ORDER BY id LIMIT :n", {"n": limit}
            )
        return [OutboxMessage.from_row(r) for r in rows]

    def claim_notice(self, notice_id: int, by: str, stale_before: str) -> bool:
        """Mark a notice as being sent by process `by`. Refused while another live process
        has it marked: only a mark by a process that has stopped or died (the reaper or its
        own stop says so), or one older than `stale_before`, is taken over."""
        with self.db.write() as tx:
            cur = tx.execute(
                "UPDATE outbox SET sending_at = :at, sending_by = :by WHERE id = :id AND sent_at IS NULL AND ("
                "sending_at IS NULL OR sending_by = :by OR sending_at < :stale "
                "OR sending_by IN (SELECT id FROM processes WHERE stopped_at IS NOT NULL))",
                {"at": utc_now(), "by": by, "id": notice_id, "stale": stale_before},
            )
            return bool(cur.rowcount == 1)

    def mark_notice_sent(self, notice_id: int) -> None:
        with self.db.write() as tx:
            tx.execute("UPDATE outbox SET sent_at = :at WHERE id = :id", {"at": utc_now(), "id": notice_id})

    def mark_notice_failed(self, notice_id: int, error: str) -> None:
        """Slack said no: it was not posted. Count the attempt and free it for the next round."""
        with self.db.write() as tx:
            tx.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = :e, sending_at = NULL, sending_by = NULL "
                "WHERE id = :id",
                {"e": error[:500], "id": notice_id},
            )

    def mark_notice_dropped(self, notice_id: int, error: str) -> None:
        """Slack will never take it (or it failed for too long): it stays, unsent, as a record."""
        with self.db.write() as tx:
            tx.execute(
                "UPDATE outbox SET dropped_at = :at, attempts = attempts + 1, last_error = :e, sending_at = NULL, "
                "sending_by = NULL WHERE id = :id",
                {"at": utc_now(), "e": error[:500], "id": notice_id},
            )

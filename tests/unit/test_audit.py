"""The audit trail on SQLite and PostgreSQL: appended, filtered, exported, expired."""

from __future__ import annotations

import csv
import io
import json

from bot.audit.export import COLUMNS, to_csv, to_json
from storage import Repository
from storage.audit import AuditEvent


def test_entries_are_filtered_by_workspace_and_time_and_exports_agree(database_url: str) -> None:
    repo = Repository(database_url)
    consent = {"photo_sha256": "ab" * 32, "consent_text": "I have the rights"}
    repo.audit(AuditEvent("TA", "consent", "U1", "s1", consent))
    repo.audit(AuditEvent("TB", "consent", "U2", "s2", {"photo_sha256": "cd" * 32}))
    repo.audit(AuditEvent("TA", "replica_created", "U1", "r1", {"voice": "anna", "name": "Ada, «quoted»"}))
    mine = repo.audit_entries(team_id="TA")
    assert [(e.action, e.actor, e.subject) for e in mine] == [("consent", "U1", "s1"), ("replica_created", "U1", "r1")]
    assert mine[0].details["consent_text"] == "I have the rights"
    assert repo.audit_entries(since="2999-01-01") == [] and len(repo.audit_entries(until="2999-01-01")) == 3
    assert [e.subject for e in repo.audit_entries(limit=2)] == ["s2", "r1"]  # the latest, oldest first
    rows_csv = list(csv.DictReader(io.StringIO(to_csv(mine))))
    rows_json = json.loads(to_json(mine))
    assert rows_csv == [{k: str(v) for k, v in row.items()} for row in rows_json]
    assert list(rows_csv[0]) == list(COLUMNS) and json.loads(rows_csv[1]["details"])["name"] == "Ada, «quoted»"


def test_old_entries_are_purged_after_the_retention(database_url: str) -> None:
    repo = Repository(database_url)
    repo.audit(AuditEvent("TA", "tavus_key_set", "U1"))
    with repo.db.write() as tx:  # as if written 400 days ago
        tx.execute("UPDATE audit_events SET at = :old", {"old": "2025-01-01T00:00:00+00:00"})
    repo.audit(AuditEvent("TA", "tavus_key_removed", "U1"))
    assert repo.purge_audit(365) == 1
    assert [e.action for e in repo.audit_entries()] == ["tavus_key_removed"]

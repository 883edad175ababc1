"""The audit trail as CSV or JSON (the same rows and columns in both). Pure."""

from __future__ import annotations

import csv
import io
import json

from storage.audit import AuditEntry

COLUMNS = ("id", "at", "team_id", "enterprise_id", "actor", "action", "subject", "details")


def to_csv(entries: list[AuditEntry]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for entry in entries:
        writer.writerow(entry.flat())
    return out.getvalue()


def to_json(entries: list[AuditEntry]) -> str:
    return json.dumps([entry.flat() for entry in entries], ensure_ascii=False, indent=1)

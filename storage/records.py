"""The rows the bot keeps, as plain dataclasses (their timestamps: clock.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any


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
    checklist_posting_at: str | None = None
    enterprise_id: str | None = None  # the Enterprise Grid org of team_id, if any
    photo_sha256: str | None = None  # of the normalized image that is rehosted on consent
    cleared_at: str | None = None  # the policy let it through (bot/policy)
    approval_requested_at: str | None = None
    approval_channel: str | None = None  # where the approvers' message is
    approval_ts: str | None = None
    approved_by: str | None = None
    approved_at: str | None = None
    fix_json: str | None = None  # the fix the bot offers (bot/preview/fixes.py), if any
    version: str | None = None  # "original" | "fixed": the one that is rehosted on consent
    original_sha256: str | None = None
    fixed_sha256: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Submission:
        return cls(**{k: v for k, v in row.items() if k in SUBMISSION_FIELDS})

    @property
    def offered_fix(self) -> dict[str, Any]:
        """The stored fix offer: {"fix": …, "what": [...], "original_allowed": bool}, or {}."""
        return json.loads(self.fix_json) if self.fix_json else {}

    @property
    def check_result(self) -> dict[str, Any]:
        """The stored photo report: {"findings": [...], "passed": [...]}."""
        return json.loads(self.findings_json) if self.findings_json else {}


SUBMISSION_FIELDS = frozenset(f.name for f in fields(Submission))  # computed once: rows are hot


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
    sending_by: str | None = None
    team_id: str | None = None  # None in rows queued before m012: its submission's team
    created_at: str | None = None
    last_error: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> OutboxMessage:
        return cls(**{k: v for k, v in row.items() if k in _OUTBOX_FIELDS})

    @property
    def blocks(self) -> list[dict[str, Any]] | None:
        return json.loads(self.blocks_json) if self.blocks_json else None


_OUTBOX_FIELDS = frozenset(f.name for f in fields(OutboxMessage))

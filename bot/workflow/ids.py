"""Submission ids, and the replica names that carry them."""

import secrets


def new_submission_id() -> str:
    return "s" + secrets.token_hex(6)


def replica_name_for(submission_id: str, display: str | None = None) -> str:
    """The name carries the submission id, so a crash can be reconciled by looking it up."""
    return f"{(display or 'replica-bot')[:60]} [{submission_id}]"

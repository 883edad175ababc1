"""Submission ids, and the replica names that carry them."""

import secrets


def new_submission_id() -> str:
    return "s" + secrets.token_hex(6)


def replica_name_for(submission_id: str, display: str | None = None) -> str:
    """The name carries the submission id, so a crash can be reconciled by looking it up."""
    return f"{(display or 'replica-bot')[:60]} [{submission_id}]"


NAME_MAX = 60
_NAME_EXTRA = set(" -_.'()")


def name_char_ok(c: str) -> bool:
    return c.isalnum() or c in _NAME_EXTRA


def clean_name(text: str) -> str:
    """`text` with the characters a replica name may not hold dropped, cut to the limit."""
    return "".join(c for c in text if name_char_ok(c)).strip()[:NAME_MAX]


def name_problem(name: str) -> str | None:
    """Why a replica name is not acceptable, or None when it is (pure)."""
    if not name.strip():
        return "it is empty"
    if len(name) > NAME_MAX:
        return f"it is {len(name)} characters long; the limit is {NAME_MAX}"
    bad = sorted({c for c in name if not name_char_ok(c)})
    if bad:
        return "it contains " + " ".join(repr(c) for c in bad[:5])
    return None

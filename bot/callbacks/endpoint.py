"""`POST /tavus/callback/<token>`: check, answer fast, and leave the deciding to a job.

Answers: 202 when a confirming job was queued (or one already is); 404 for a token we never
issued; 409 when the body names another replica than the token's (any id is taken while the
create's own answer is not written yet: the confirming job waits for it); 400 for a body that is
not the documented JSON; 413 past the size cap. Nothing here changes a submission.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from storage import Repository
from storage.jobs import JobStore

from ..jobs.kinds import confirm_replica
from .tokens import hash_token, well_formed

log = logging.getLogger(__name__)

CALLBACK_PATH = "/tavus/callback/"
MAX_BODY_BYTES = 16 * 1024  # Tavus's body is a few fields


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str


def handle_callback(repo: Repository, jobs: JobStore, token: str, body: bytes) -> Answer:
    if len(body) > MAX_BODY_BYTES:
        log.warning("event=callback_refused reason=too_large bytes=%d", len(body))
        return Answer(413, "body too large")
    if not well_formed(token):
        log.warning("event=callback_refused reason=malformed_token")
        return Answer(404, "unknown callback")
    sub = repo.submission_for_callback(hash_token(token))
    if sub is None:
        log.warning("event=callback_refused reason=unknown_token")
        return Answer(404, "unknown callback")
    data = _json(body) or {}
    replica_id, hinted = data.get("replica_id"), data.get("status")
    if not isinstance(replica_id, str) or not isinstance(hinted, str):
        log.warning("event=callback_refused reason=malformed_body submission=%s", sub.id)
        return Answer(400, "expected JSON with replica_id and status")
    early = sub.status == "submitting" and sub.replica_id is None  # called back before the create's answer
    if replica_id != sub.replica_id and not early:
        log.warning("event=callback_refused reason=other_replica submission=%s", sub.id)
        return Answer(409, "this callback is for another replica")
    if sub.status not in ("training", "submitting"):
        return Answer(202, "already settled")  # a late or repeated callback: nothing to do
    queued = jobs.enqueue(confirm_replica.spec(sub.id, sub.team_id))
    log.info("event=callback_accepted submission=%s hinted=%s queued=%s", sub.id, hinted[:20], queued)
    return Answer(202, "accepted")


def _json(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None

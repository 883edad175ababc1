"""Named crash points for fault-injection tests.

`REPLICA_BOT_FAILPOINTS=after_s3_upload,after_tavus_create` makes the process kill itself
(SIGKILL, like `kill -9`) the first time it reaches one of those points;
`after_s3_upload:sleep=40` makes it stall there instead (a job that outlives a SIGTERM).
Unset in production, where `hit()` costs one dictionary lookup.
"""

from __future__ import annotations

import logging
import os
import signal
import time

log = logging.getLogger(__name__)

POINTS = (
    "after_event_recorded",  # the Slack event is stored, nothing else done
    "during_photo_check",  # the photo is downloaded, its check has begun (a poison photo)
    "during_stored_request",  # a worker has begun a Slack request the web role stored
    "after_s3_upload",  # the photo is in S3, Tavus not yet called
    "after_tavus_create",  # Tavus answered the create call, the answer is not yet stored
    "after_completion_seen",  # completion stored with its notice queued, notice not posted
    "after_notice_posted",  # the notice is in Slack, not yet marked sent
)

_armed = dict(
    (p.strip().partition(":")[0], p.strip().partition(":")[2])
    for p in os.environ.get("REPLICA_BOT_FAILPOINTS", "").split(",")
    if p.strip()
)


def hit(point: str) -> None:
    if point not in _armed:
        return
    action = _armed[point]
    log.warning("event=failpoint point=%s action=%s", point, action or "kill")
    if action.startswith("sleep="):
        time.sleep(float(action.partition("=")[2]))
        return
    from . import logs

    logs.flush()
    os.kill(os.getpid(), signal.SIGKILL)

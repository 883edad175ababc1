"""Download a shared photo, check it, and answer with its checklist (and the offer)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage import Submission
from storage.jobs import Job, JobSpec

if TYPE_CHECKING:
    from bot.jobs.runner import GiveUpReason
    from bot.workflow import Workflow

KIND = "check_photo"
QUEUE = "photos"
# A photo whose check killed three workers is set aside (give_up), not tried on more.
MAX_ATTEMPTS = 3


def spec(sub: Submission) -> JobSpec:
    return JobSpec(
        KIND,
        {"submission_id": sub.id},
        QUEUE,
        f"check:{sub.id}",
        subject=sub.id,
        team_id=sub.team_id,
        max_attempts=MAX_ATTEMPTS,
    )


def perform(flow: Workflow, job: Job) -> None:
    flow.process_submission(str(job.args["submission_id"]))


def give_up(flow: Workflow, job: Job, why: GiveUpReason) -> None:
    flow.set_photo_aside(str(job.args["submission_id"]), workers_died=why == "workers_died", tries=job.max_attempts)

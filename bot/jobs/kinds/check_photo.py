"""Download a shared photo, check it, and answer with its checklist (and the offer)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage import Submission
from storage.jobs import Job, JobSpec

if TYPE_CHECKING:
    from bot.workflow import Workflow

KIND = "check_photo"
QUEUE = "photos"


def spec(sub: Submission) -> JobSpec:
    return JobSpec(KIND, {"submission_id": sub.id}, QUEUE, f"check:{sub.id}", subject=sub.id, team_id=sub.team_id)


def perform(flow: Workflow, job: Job) -> None:
    flow.process_submission(str(job.args["submission_id"]))

"""Post a waiting request in the approvers channel (once: a job per request, and the message's
ts recorded; a channel that will not take it sends the request back to its thread)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.jobs import Job, JobSpec

if TYPE_CHECKING:
    from bot.workflow import Workflow

KIND = "post_approval"
QUEUE = "default"


def spec(submission_id: str, team_id: str) -> JobSpec:
    return JobSpec(KIND, {"submission_id": submission_id}, QUEUE, subject=submission_id, team_id=team_id)


def perform(flow: Workflow, job: Job) -> None:
    flow.post_approval_request(str(job.args["submission_id"]))

"""After an uninstall: delete the workspace's rehosted photos from S3 (retried until done)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.jobs import Job, JobSpec

if TYPE_CHECKING:
    from bot.workflow import Workflow

KIND = "forget_workspace"
QUEUE = "default"


def spec(team_id: str, submission_ids: list[str]) -> JobSpec:
    # No team_id on the job itself: the uninstall cancels the workspace's jobs, not this one.
    return JobSpec(KIND, {"team_id": team_id, "submission_ids": submission_ids}, QUEUE)


def perform(flow: Workflow, job: Job) -> None:
    flow.delete_workspace_objects(list(job.args["submission_ids"]))

"""Ask Tavus for a replica a callback said has finished, and act on Tavus's answer only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.jobs import Job, JobSpec

if TYPE_CHECKING:
    from bot.workflow import Workflow

KIND = "confirm_replica"
QUEUE = "default"


def spec(submission_id: str, team_id: str) -> JobSpec:
    # Repeated callbacks while one confirmation waits or runs add nothing.
    return JobSpec(
        KIND,
        {"submission_id": submission_id},
        QUEUE,
        f"confirm:{submission_id}",
        subject=submission_id,
        team_id=team_id,
    )


def perform(flow: Workflow, job: Job) -> None:
    flow.confirm_replica(str(job.args["submission_id"]))

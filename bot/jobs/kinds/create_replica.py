"""Rehost a consented photo and create its Tavus replica, exactly once.

A second attempt (its first worker died, or Tavus's answer was lost) looks the replica's
name up at Tavus before creating; see CreationSteps.submit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.jobs import Job, JobSpec

if TYPE_CHECKING:
    from bot.workflow import Workflow

KIND = "create_replica"
QUEUE = "default"


def spec(submission_id: str, team_id: str, verify_first: bool = False) -> JobSpec:
    return JobSpec(
        KIND,
        {"submission_id": submission_id, "verify_first": verify_first},
        QUEUE,
        f"create:{submission_id}",
        subject=submission_id,
        team_id=team_id,
    )


def perform(flow: Workflow, job: Job) -> None:
    verify = bool(job.args.get("verify_first")) or job.attempt > 1
    flow.submit(str(job.args["submission_id"]), verify_first=verify)

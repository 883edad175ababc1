"""Publish a person's App Home tab with their current replicas and drafts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.jobs import Job, JobSpec

if TYPE_CHECKING:
    from bot.workflow import Workflow

KIND = "refresh_home"
QUEUE = "default"


def spec(team_id: str, user_id: str) -> JobSpec:
    # One waiting refresh per person is enough: it reads the state when it runs.
    return JobSpec(KIND, {"team_id": team_id, "user_id": user_id}, QUEUE, f"home:{team_id}:{user_id}", team_id=team_id)


def perform(flow: Workflow, job: Job) -> None:
    flow.publish_home(str(job.args["team_id"]), str(job.args["user_id"]))

"""Send an admin the workspace's audit trail as a CSV file in their DM (files_upload_v2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.jobs import Job, JobSpec

if TYPE_CHECKING:
    from bot.workflow import Workflow

KIND = "export_audit"
QUEUE = "default"


def spec(team_id: str, user_id: str) -> JobSpec:
    # One waiting export per person: pressing the button twice sends one file.
    return JobSpec(KIND, {"user_id": user_id}, QUEUE, f"audit-csv:{team_id}:{user_id}", team_id=team_id)


def perform(flow: Workflow, job: Job) -> None:
    flow.send_audit_csv(str(job.team_id), str(job.args["user_id"]))

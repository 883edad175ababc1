"""Someone pressed Approve: a worker checks them (a workspace admin, not the requester, the
request not lapsed; knowing who is an admin takes a Slack call) and records the approval."""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.jobs import Job, JobSpec

if TYPE_CHECKING:
    from bot.workflow import Workflow

KIND = "approve_request"
QUEUE = "default"


def spec(team_id: str, submission_id: str, approver: str, channel: str) -> JobSpec:
    args = {"submission_id": submission_id, "approver": approver, "channel": channel}
    return JobSpec(KIND, args, QUEUE, subject=submission_id, team_id=team_id)


def perform(flow: Workflow, job: Job) -> None:
    a = job.args
    flow.approve(str(job.team_id), str(a["submission_id"]), str(a["approver"]), str(a["channel"]))

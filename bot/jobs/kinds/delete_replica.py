"""Delete one of a person's replicas at Tavus (after their confirmation), and tell them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.jobs import Job, JobSpec

if TYPE_CHECKING:
    from bot.workflow import Workflow

KIND = "delete_replica"
QUEUE = "default"


def spec(team_id: str, user_id: str, replica_id: str, channel_id: str, thread_ts: str | None) -> JobSpec:
    args = {"team_id": team_id, "user_id": user_id, "replica_id": replica_id, "channel_id": channel_id}
    args["thread_ts"] = thread_ts or ""
    return JobSpec(KIND, args, QUEUE, f"delete:{replica_id}:{user_id}", team_id=team_id)


def perform(flow: Workflow, job: Job) -> None:
    a = job.args
    result = flow.delete_replica(str(a["team_id"]), str(a["user_id"]), str(a["replica_id"]))
    flow.slack_for(str(a["team_id"])).chat_postEphemeral(
        channel=str(a["channel_id"]), user=str(a["user_id"]), text=result, thread_ts=a.get("thread_ts") or None
    )

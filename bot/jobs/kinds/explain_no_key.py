"""Tell a person who pressed create that no Tavus key is connected, naming the admins."""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.jobs import Job, JobSpec

if TYPE_CHECKING:
    from bot.workflow import Workflow

KIND = "explain_no_key"
QUEUE = "default"


def spec(team_id: str, channel_id: str, user_id: str, thread_ts: str | None) -> JobSpec:
    args = {"team_id": team_id, "channel_id": channel_id, "user_id": user_id, "thread_ts": thread_ts}
    return JobSpec(KIND, args, QUEUE, f"no-key:{team_id}:{user_id}:{thread_ts}", team_id=team_id)


def perform(flow: Workflow, job: Job) -> None:
    a = job.args
    flow.explain_no_key(str(a["team_id"]), str(a["channel_id"]), str(a["user_id"]), a.get("thread_ts"))

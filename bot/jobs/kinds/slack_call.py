"""A quick Slack reply decided in the web role and sent by a worker (ephemeral notes,
plain DM answers, the welcome)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from storage.jobs import Job, JobSpec

if TYPE_CHECKING:
    from bot.workflow import Workflow

KIND = "slack_call"
QUEUE = "default"
# Only these Web API methods may be queued: a job row is data, never a way to call anything.
METHODS = frozenset({"chat_postMessage", "chat_postEphemeral", "chat_update"})


def spec(method: str, team_id: str | None = None, **args: Any) -> JobSpec:
    assert method in METHODS
    return JobSpec(KIND, {"method": method, "args": args}, QUEUE, team_id=team_id)


def perform(flow: Workflow, job: Job) -> None:
    method = str(job.args["method"])
    if method not in METHODS:
        raise ValueError(f"Slack method {method!r} may not be queued")
    getattr(flow.slack_for(job.team_id), method)(**job.args["args"])

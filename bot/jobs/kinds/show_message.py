"""Edit a submission's checklist message (a rename redraws the offer, a cancel says so)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.jobs import Job, JobSpec

if TYPE_CHECKING:
    from bot.messages import Message
    from bot.workflow import Workflow

KIND = "show_message"
QUEUE = "default"


def spec(submission_id: str, team_id: str, msg: Message, step: str) -> JobSpec:
    args = {"submission_id": submission_id, "text": msg.text, "blocks": msg.blocks, "step": step}
    return JobSpec(KIND, args, QUEUE, subject=submission_id, team_id=team_id)


def perform(flow: Workflow, job: Job) -> None:
    from bot.messages import Message

    sub = flow.s.repo.get(str(job.args["submission_id"]))
    if sub is not None:
        flow.show(sub, Message(str(job.args["text"]), list(job.args.get("blocks") or [])), str(job.args["step"]))

"""Run a Slack request that the web role stored and answered (bot/inbox/)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot import failpoints
from bot.inbox.follow_up import post_reply, reply_body
from bot.inbox.given_up import interrupted_reply, reply_url
from bot.inbox.uploads import photo_upload
from bot.messages import Message, upload_missed_text
from storage.jobs import Job, JobSpec

if TYPE_CHECKING:
    from bot.jobs.runner import GiveUpReason
    from bot.workflow import Workflow

log = logging.getLogger(__name__)

KIND = "slack_request"
# Its own queue, and its own worker threads: a burst of clicks does not wait behind slow
# Slack or Tavus calls, and a worker of an earlier version (which cannot run these) never
# claims one during a rolling deploy.
QUEUE = "requests"
# Dropped from the job's row once it has ended: the request as Slack sent it (the person's
# text, ids, Slack's legacy verification token) and the command's `response_url` (which lets
# its holder post into that person's view for 30 minutes). The row, kept a week as history,
# needs neither; the content type and Slack's retry headers stay.
PRIVATE_ARGS = frozenset({"body", "response_url"})


def spec(
    body: str,
    content_type: str,
    *,
    retry_num: str | None,
    retry_reason: str | None,
    dedupe_key: str | None,
    max_attempts: int,
    response_url: str | None = None,
) -> JobSpec:
    """`response_url`: a slash command's, taken out at the door, where the worker posts the
    listener's reply."""
    args = {"body": body, "content_type": content_type}
    if response_url:
        args["response_url"] = response_url
    if retry_num:
        args["x-slack-retry-num"] = retry_num
    if retry_reason:
        args["x-slack-retry-reason"] = retry_reason
    return JobSpec(KIND, args, QUEUE, dedupe_key, max_attempts=max_attempts)


def perform(flow: Workflow, job: Job) -> None:
    replay = flow.s.replay
    if replay is None:
        raise RuntimeError("this process has no Bolt app to run stored Slack requests")
    failpoints.hit("during_stored_request")
    replayed = replay(job.args)
    if replayed.status >= 500:  # a listener raised (Bolt logged it): try again, as Slack would
        raise RuntimeError(f"the listener failed (Bolt answered {replayed.status})")
    response_url, reply = job.args.get("response_url"), reply_body(replayed.body)
    if response_url and reply:  # a slash command: its reply goes where Slack said
        post_reply(str(response_url), reply)


def give_up(flow: Workflow, job: Job, why: GiveUpReason) -> None:
    """A stored request that will not run again: the person is told, where Slack gave us a
    way to answer (bot/inbox/given_up.py)."""
    url = reply_url(job.args)
    if url is not None:
        post_reply(url, interrupted_reply(job.args, restarted=why == "workers_died"))
        return
    upload = photo_upload(job.args)
    if upload is not None:
        message = Message(upload_missed_text())
        flow.post(upload.channel, upload.thread_ts, message, f"upload-missed:{upload.event_id}", upload.team_id)
        return
    log.warning("event=request_given_up_silently job=%d why=%s", job.id, why)

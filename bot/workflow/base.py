"""What every workflow step shares: the services, in-flight claims, and Slack output.

Slack output never loses a message: a post or edit that fails after slack-sdk's own
retries is queued in the outbox and delivered by the maintenance job. Outbox posts carry
message metadata naming their notice, so after a crash between posting and marking a
notice sent, the thread is checked instead of posting twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from storage import OutboxMessage, Repository, Submission, utc_now

from .. import failpoints
from ..config import Settings
from ..messages import Message
from ..rehost import PhotoRehost, RehostError
from ..slack_files import SlackFileDownloader
from ..tavus import TavusClient
from ..traffic import RequestGauge
from ..voices import VoiceCatalog

log = logging.getLogger(__name__)

NOTICE_EVENT_TYPE = "replica_bot_notice"
# A job waits at most this long for in-flight Slack requests to be answered before starting.
ACK_PRIORITY_MAX_WAIT = 0.3


@dataclass
class Services:
    settings: Settings
    repo: Repository
    slack: WebClient
    downloader: SlackFileDownloader
    rehost: PhotoRehost
    tavus: TavusClient
    voices: VoiceCatalog
    executor: Executor  # slow work: downloads, photo checks, S3, Tavus
    replies: Executor | None = None  # quick Slack replies from listeners; never queued behind photos
    gauge: RequestGauge | None = None  # Slack requests in flight: jobs start after them


class WorkflowBase:
    def __init__(self, services: Services):
        self.s = services
        self._inflight: set[str] = set()
        self._inflight_lock = threading.Lock()
        # The poll job, the maintenance job and a finishing submission all deliver notices,
        # on different threads; one at a time, or two could read and post the same notice.
        self._delivering = threading.Lock()

    # --- background work ----------------------------------------------------------------
    def run_in_background(self, fn: Callable[..., object], *args: Any) -> None:
        self.s.executor.submit(self._after_requests, fn, *args)

    def reply_soon(self, fn: Callable[..., object], *args: Any) -> None:
        """Run a Slack reply off the request thread, so the listener returns (and acks) now."""
        (self.s.replies or self.s.executor).submit(self._after_requests, fn, *args)

    def _after_requests(self, fn: Callable[..., object], *args: Any) -> None:
        if self.s.gauge is not None:
            self.s.gauge.wait_quiet(ACK_PRIORITY_MAX_WAIT)
        self.guarded(fn, *args)

    @staticmethod
    def guarded(fn: Callable[..., object], *args: Any) -> None:
        try:
            fn(*args)
        except Exception:  # a worker must survive any one job
            log.exception("event=job_failed job=%s", getattr(fn, "__name__", fn))

    def claim(self, submission_id: str) -> bool:
        """One worker at a time per submission within this process."""
        with self._inflight_lock:
            if submission_id in self._inflight:
                return False
            self._inflight.add(submission_id)
            return True

    def release(self, submission_id: str) -> None:
        with self._inflight_lock:
            self._inflight.discard(submission_id)

    # --- Slack output -------------------------------------------------------------------
    def post(self, channel: str, thread_ts: str | None, msg: Message, key: str) -> str | None:
        """Post a message; if Slack cannot take it now, queue it. Returns its ts if posted."""
        try:
            resp = self.s.slack.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text=msg.text, blocks=msg.blocks or None
            )
        except SlackApiError as exc:
            log.warning("event=slack_post_queued key=%s error=%s", key, exc.response.get("error"))
            self.s.repo.queue_notice(
                {
                    "dedupe_key": key,
                    "channel_id": channel,
                    "thread_ts": thread_ts,
                    "text": msg.text,
                    "blocks": msg.blocks,
                }
            )
            return None
        ts = resp.get("ts")
        return str(ts) if ts else None

    def publish_home(self, team_id: str, user_id: str) -> None:
        """Refresh the person's App Home tab (AccountSteps does it; a no-op here)."""

    def show(self, sub: Submission, msg: Message, step: str) -> None:
        """Edit the submission's checklist message (or post one); queue it if Slack fails.
        The person's App Home is refreshed too, since the submission's state moved."""
        self._show(sub, msg, step)
        if self.s.repo.home_seen(sub.team_id, sub.user_id):  # no views.publish for tabs never opened
            self.publish_home(sub.team_id, sub.user_id)

    def _show(self, sub: Submission, msg: Message, step: str) -> None:
        if not sub.checklist_ts:
            ts = self.post(sub.channel_id, sub.thread_ts, msg, f"show:{sub.id}:{step}")
            if ts:
                sub.checklist_ts = ts
                self.s.repo.update(sub.id, checklist_ts=ts)
            return
        try:
            self.s.slack.chat_update(channel=sub.channel_id, ts=sub.checklist_ts, text=msg.text, blocks=msg.blocks)
        except SlackApiError as exc:
            log.warning("event=slack_update_queued submission=%s error=%s", sub.id, exc.response.get("error"))
            self.s.repo.queue_notice(
                {
                    "dedupe_key": f"show:{sub.id}:{step}",
                    "submission_id": sub.id,
                    "channel_id": sub.channel_id,
                    "update_ts": sub.checklist_ts,
                    "text": msg.text,
                    "blocks": msg.blocks,
                }
            )

    def deliver_notices(self) -> int:
        """Send queued notices in order; one that fails stays queued. Returns how many went."""
        with self._delivering:
            return self._deliver_pending()

    def _deliver_pending(self) -> int:
        sent = 0
        for notice in self.s.repo.pending_notices():
            if notice.sending_at and not notice.update_ts and self._already_posted(notice):
                self.s.repo.mark_notice_sent(notice.id)  # it reached Slack before a crash
                continue
            try:
                self.s.repo.mark_notice_sending(notice.id)
                self._send(notice)
            except SlackApiError as exc:
                self.s.repo.mark_notice_failed(notice.id, str(exc.response.get("error")))
                log.warning("event=notice_failed notice=%s error=%s", notice.dedupe_key, exc.response.get("error"))
                break  # keep the order: later notices wait for this one
            failpoints.hit("after_notice_posted")
            self.s.repo.mark_notice_sent(notice.id)
            sent += 1
        return sent

    def _send(self, notice: OutboxMessage) -> None:
        if notice.update_ts:
            self.s.slack.chat_update(
                channel=notice.channel_id, ts=notice.update_ts, text=notice.text, blocks=notice.blocks
            )
            return
        self.s.slack.chat_postMessage(
            channel=notice.channel_id,
            thread_ts=notice.thread_ts,
            text=notice.text,
            blocks=notice.blocks,
            metadata={"event_type": NOTICE_EVENT_TYPE, "event_payload": {"key": notice.dedupe_key}},
        )

    def _already_posted(self, notice: OutboxMessage) -> bool:
        """Look in the thread for a message carrying this notice's key (crash recovery only:
        conversations.replies is rate-limited for most apps)."""
        if not notice.thread_ts:
            return False
        try:
            resp = self.s.slack.conversations_replies(
                channel=notice.channel_id, ts=notice.thread_ts, include_all_metadata=True, limit=200
            )
        except SlackApiError as exc:
            log.warning("event=thread_check_failed notice=%s error=%s", notice.dedupe_key, exc.response.get("error"))
            return False
        for message in resp.get("messages") or []:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("key") == notice.dedupe_key:
                return True
        return False

    # --- S3 cleanup ---------------------------------------------------------------------
    def cleanup_object(self, submission_id: str) -> None:
        sub = self.s.repo.get(submission_id)
        if sub is None or not sub.s3_key or sub.s3_deleted_at:
            return
        try:
            self.s.rehost.delete(sub.s3_key)
        except RehostError as exc:
            log.warning("event=s3_delete_failed submission=%s error=%s", sub.id, exc)
            return
        self.s.repo.update(sub.id, s3_deleted_at=utc_now())

"""Slack output that is never lost and never doubled.

A post or edit that fails after slack-sdk's own retries is queued in the outbox and
delivered by the maintenance job. Messages that must appear once — outbox notices and each
photo's checklist — carry message metadata naming them, and are marked before they are
sent: after a crash between posting and recording, the thread is searched for that name
(`conversations.replies`, rate-limited, so only then) instead of posting again. Each queued
notice is claimed by a compare-and-set, so two deliverers never send it at once; only the
process holding the scheduler lease delivers (poll cycles and maintenance).
"""

from __future__ import annotations

import http.client
import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from storage import OutboxMessage, Submission, seconds_ago, utc_now

from .. import failpoints, messages
from ..messages import Message
from ..workspaces.directory import WorkspaceGone
from .base import WorkflowBase

log = logging.getLogger(__name__)

NOTICE_EVENT_TYPE = "replica_bot_notice"
CHECKLIST_KEY = "checklist:"  # + the submission id: the key of a photo's checklist message
# A notice another process marked this long ago and never sent: that process is gone, even
# if it ran on another machine and nobody saw it die.
SENDING_STALE_SECONDS = 120
# Slack's answers that no retry changes (the conversation is gone or closed to us, the
# message cannot be edited or is malformed): the notice is dropped and logged, not retried
# every round for ever.
REFUSED_FOR_GOOD = frozenset(
    {
        "channel_not_found",
        "is_archived",
        "not_in_channel",
        "cannot_reply_to_message",
        "restricted_action",
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
        "msg_too_long",
        "no_text",
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_arguments",
    }
)
# Any other failure (a revoked token an admin may replace, Slack in trouble) is retried each
# round for this long after the notice was queued, then the notice is dropped.
NOTICE_GIVE_UP_SECONDS = 86_400
# Failures without an answer from Slack (no connection, a timeout) in this many conversations
# in a row: Slack is out of reach, so the round ends instead of trying every notice.
UNREACHABLE_AFTER = 3


# What slack-sdk raises when Slack did not answer (after its own connection retries): the
# message may or may not have been posted.
NO_ANSWER_ERRORS = (OSError, http.client.HTTPException)
NO_ANSWER = "no answer from Slack"  # a queued post's first error: look in the thread before posting


# Failures after which the call may have done its work all the same: no answer, and Slack's
# two errors documented with "it's possible some aspect of the operation succeeded before the
# error was raised"; a 5xx answer (a gateway's page in place of Slack's) is as unsure.
MAYBE_DONE = frozenset({NO_ANSWER, "internal_error", "fatal_error"})


def error_of(exc: Exception) -> str:
    """Slack's error code; `http_<status>` for a 5xx answer; NO_ANSWER when Slack did not answer."""
    if not isinstance(exc, SlackApiError):
        return NO_ANSWER
    status = getattr(exc.response, "status_code", None)
    if isinstance(status, int) and status >= 500:
        return f"http_{status}"
    return str(exc.response.get("error"))


def maybe_done(error: str | None) -> bool:
    """Whether a post that failed with `error` may be in the thread all the same."""
    return error is not None and (error in MAYBE_DONE or error.startswith("http_5"))


def thread_notice(sub: Submission, dedupe_key: str, msg: Message) -> dict[str, Any]:
    """An outbox notice for the submission's thread, sent once per `dedupe_key`."""
    return {
        "dedupe_key": dedupe_key,
        "submission_id": sub.id,
        "team_id": sub.team_id,
        "channel_id": sub.channel_id,
        "thread_ts": sub.thread_ts,
        "text": msg.text,
        "blocks": msg.blocks,
    }


def _metadata(key: str) -> dict[str, Any]:
    return {"event_type": NOTICE_EVENT_TYPE, "event_payload": {"key": key}}


class SlackOutput(WorkflowBase):
    def post(
        self, channel: str, thread_ts: str | None, msg: Message, key: str, team_id: str | None = None
    ) -> str | None:
        """Post a message; if Slack cannot take it now, queue it. Returns its ts if posted."""
        try:
            resp = self.slack_for(team_id).chat_postMessage(
                channel=channel, thread_ts=thread_ts, text=msg.text, blocks=msg.blocks or None, metadata=_metadata(key)
            )
        except (SlackApiError, *NO_ANSWER_ERRORS) as exc:
            error = error_of(exc)
            log.warning("event=slack_post_queued key=%s error=%s", key, error)
            notice = {"dedupe_key": key, "team_id": team_id, "channel_id": channel, "thread_ts": thread_ts}
            first_error = error if maybe_done(error) else None  # it may be there: delivery looks first
            self.s.repo.queue_notice({**notice, "text": msg.text, "blocks": msg.blocks, "last_error": first_error})
            return None
        ts = resp.get("ts")
        return str(ts) if ts else None

    def show(self, sub: Submission, msg: Message, step: str) -> None:
        """Edit the submission's checklist message (or post it); queue it if Slack fails.
        The person's App Home is refreshed too, since the submission's state moved."""
        self._show(sub, msg, step)
        if self.s.repo.home_seen(sub.team_id, sub.user_id):  # no views.publish for tabs never opened
            self.publish_home(sub.team_id, sub.user_id)

    def offer(self, sub: Submission, display_name: str | None = None) -> Message:
        """The draft's offer (checklist, voice, name, the consent button), drawn from what is stored."""
        stored = sub.check_result
        fix = None
        offered = sub.offered_fix
        if offered and sub.version:
            fix = {"what": offered["what"], "version": sub.version, "original_allowed": offered["original_allowed"]}
        return messages.ready_message(
            sub.id,
            stored.get("findings", []),
            stored.get("passed", []),
            self.voices_for(sub.team_id).names(),
            sub.voice_name,
            autofix=bool(sub.autofix),
            display_name=display_name if display_name is not None else sub.display_name,
            fix=fix,
        )

    def _show(self, sub: Submission, msg: Message, step: str) -> None:
        key = f"{CHECKLIST_KEY}{sub.id}"
        if not sub.checklist_ts and sub.checklist_posting_at:
            # An earlier attempt was posting it when its process died: did it get there?
            found = self._find_in_thread(sub.channel_id, sub.thread_ts, key, sub.team_id)
            if found:
                sub.checklist_ts = found
                self.s.repo.update(sub.id, checklist_ts=found)
        if not sub.checklist_ts:
            sub.checklist_posting_at = utc_now()
            self.s.repo.update(sub.id, checklist_posting_at=sub.checklist_posting_at)
            ts = self.post(sub.channel_id, sub.thread_ts, msg, key, sub.team_id)
            if ts:
                sub.checklist_ts = ts
                self.s.repo.update(sub.id, checklist_ts=ts)
            return
        try:
            self.slack_for(sub.team_id).chat_update(
                channel=sub.channel_id, ts=sub.checklist_ts, text=msg.text, blocks=msg.blocks
            )
        except (SlackApiError, *NO_ANSWER_ERRORS) as exc:  # an edit may be sent twice: it is the same edit
            log.warning("event=slack_update_queued submission=%s error=%s", sub.id, error_of(exc))
            edit = thread_notice(sub, f"show:{sub.id}:{step}", msg)
            self.s.repo.queue_notice({**edit, "update_ts": sub.checklist_ts})

    # --- the outbox ---------------------------------------------------------------------
    def deliver_notices(self) -> int:
        """Send queued notices in order; one that fails stays queued. Returns how many went."""
        with self._delivering:
            return self._deliver_pending()

    def _deliver_pending(self) -> int:
        """One round over the queue, in order within each conversation (a DM or a thread's
        channel): a notice that fails holds back the later ones of its own conversation
        only, so one person's archived DM, or a workspace that left, stops no one else's."""
        sent = 0
        me = self.s.process_id
        stale = seconds_ago(SENDING_STALE_SECONDS)
        too_old = seconds_ago(NOTICE_GIVE_UP_SECONDS)
        held: set[str] = set()  # conversations with an earlier notice still queued
        unanswered = 0
        for notice in self.s.repo.pending_notices():
            if notice.channel_id in held:
                continue
            if not self.s.repo.claim_notice(notice.id, me, stale):
                held.add(notice.channel_id)  # another process is sending it right now
                continue
            try:
                # Marked by another process that never finished: it may have posted before dying.
                interrupted = notice.sending_at is not None and notice.sending_by != me
                # A waiting checklist may have been posted since by the step that showed it
                # again (a direct post carries the same key), and a post Slack did not answer
                # may have gone through: then neither is posted twice.
                unsure = maybe_done(notice.last_error) or notice.dedupe_key.startswith(CHECKLIST_KEY)
                recheck = interrupted or unsure
                if recheck and not notice.update_ts and self._posted_before(notice):
                    self.s.repo.mark_notice_sent(notice.id)
                    continue
                self._send(notice)
            except WorkspaceGone:
                self._drop(notice, "workspace_gone")
                continue
            except SlackApiError as exc:  # Slack answered no (or maybe: see maybe_done)
                unanswered = 0
                self._failed(notice, error_of(exc), too_old, held)
                continue
            except Exception as exc:  # no answer from Slack (it may be out of reach), or a surprise
                # (NO_ANSWER makes the next round look in the thread first: it may have arrived)
                error = NO_ANSWER if isinstance(exc, NO_ANSWER_ERRORS) else type(exc).__name__
                self._failed(notice, error, too_old, held)
                unanswered += 1
                if unanswered >= UNREACHABLE_AFTER:
                    break
                continue
            unanswered = 0
            failpoints.hit("after_notice_posted")
            self.s.repo.mark_notice_sent(notice.id)
            sent += 1
        return sent

    def _failed(self, notice: OutboxMessage, error: str, too_old: str, held: set[str]) -> None:
        """Drop a notice Slack will never take, or one queued too long ago; else keep it for
        the next round, and its conversation's later notices behind it."""
        if error in REFUSED_FOR_GOOD or (notice.created_at or too_old) < too_old:
            self._drop(notice, error)
            return
        self.s.repo.mark_notice_failed(notice.id, error)
        log.warning("event=notice_failed notice=%s error=%s", notice.dedupe_key, error)
        held.add(notice.channel_id)

    def _drop(self, notice: OutboxMessage, error: str) -> None:
        self.s.repo.mark_notice_dropped(notice.id, error)
        log.warning(
            "event=notice_dropped notice=%s error=%s attempts=%d queued_at=%s",
            notice.dedupe_key,
            error,
            notice.attempts + 1,
            notice.created_at,
        )

    def _send(self, notice: OutboxMessage) -> None:
        client = self.slack_for(self._notice_team(notice))
        if notice.update_ts:
            client.chat_update(channel=notice.channel_id, ts=notice.update_ts, text=notice.text, blocks=notice.blocks)
            return
        client.chat_postMessage(
            channel=notice.channel_id,
            thread_ts=notice.thread_ts,
            text=notice.text,
            blocks=notice.blocks,
            metadata=_metadata(notice.dedupe_key),
        )

    def _notice_team(self, notice: OutboxMessage) -> str | None:
        if notice.team_id:
            return notice.team_id
        sub = self.s.repo.get(notice.submission_id) if notice.submission_id else None  # queued before m012
        return sub.team_id if sub else None

    def _posted_before(self, notice: OutboxMessage) -> bool:
        if not notice.thread_ts:
            return False
        team = self._notice_team(notice)
        return self._find_in_thread(notice.channel_id, notice.thread_ts, notice.dedupe_key, team) is not None

    def _find_in_thread(self, channel: str, thread_ts: str | None, key: str, team_id: str | None) -> str | None:
        """The ts of our message carrying `key` in the thread, if there is one (crash
        recovery only: conversations.replies is rate-limited for most apps)."""
        if not thread_ts:
            return None
        try:
            resp = self.slack_for(team_id).conversations_replies(
                channel=channel, ts=thread_ts, include_all_metadata=True, limit=200
            )
        except SlackApiError as exc:
            log.warning("event=thread_check_failed key=%s error=%s", key, exc.response.get("error"))
            return None
        for message in resp.get("messages") or []:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("key") == key:
                return str(message.get("ts"))
        return None

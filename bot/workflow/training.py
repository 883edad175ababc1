"""Training results: completion or failure announced once, long trainings noted once,
and the photo's S3 object and any abandoned draft cleaned up."""

from __future__ import annotations

import logging

from storage import Submission, seconds_ago, utc_now
from storage.audit import AuditEvent

from .. import failpoints, messages
from ..jobs import RetryLater
from ..messages import Message
from ..rehost import KEY_PREFIX, RehostError
from ..tavus import Replica, TavusNotFound
from .base import NoTavusKey
from .output import SlackOutput, thread_notice

log = logging.getLogger(__name__)

CONFIRM_AFTER_CREATE_SECONDS = 5.0  # a callback that came before its create was recorded


class TrainingSteps(SlackOutput):
    def apply_replica_status(self, sub: Submission, replica: Replica) -> None:
        if replica.succeeded:
            self._finish(sub, "completed", messages.completed_message(sub.user_id, replica.replica_id), None)
        elif replica.finished:
            reason = replica.error_message or "Tavus reported an error without details"
            self._finish(sub, "failed", messages.failed_message(sub.user_id, reason), reason)
        else:
            self._still_training(sub, replica)

    def confirm_replica(self, submission_id: str) -> None:
        """A callback said this training ended: ask Tavus, and believe only its answer."""
        sub = self.s.repo.get(submission_id)
        if sub is not None and sub.status == "submitting":
            # Tavus called back before its create's answer was written here (an error it found
            # at once): ask once the replica is known (a lost answer is reconciled meanwhile).
            raise RetryLater(CONFIRM_AFTER_CREATE_SECONDS, "the replica's create is not recorded yet")
        if sub is None or sub.status != "training" or not sub.replica_id:
            return
        try:
            replica = self.tavus_for(sub.team_id).get_replica(sub.replica_id)
        except NoTavusKey:
            log.warning("event=no_tavus_key submission=%s team=%s", sub.id, sub.team_id)
            return
        except TavusNotFound:
            self.apply_missing_replica(sub)
            return
        log.info(
            "event=callback_confirmed submission=%s replica=%s status=%s", sub.id, replica.replica_id, replica.status
        )
        self.apply_replica_status(sub, replica)

    def apply_missing_replica(self, sub: Submission) -> None:
        key_set_at = self.s.workspaces.tavus_key_info(sub.team_id).set_at
        if key_set_at and sub.submitted_at and key_set_at > sub.submitted_at:
            # Asked with a key connected since: perhaps another Tavus account's, which cannot
            # see the replica. Polling cannot follow it any more either way; say which it may be.
            reason = (
                "Tavus does not show this replica under this workspace's Tavus key, which was changed "
                "after the replica was created; if the new key is for another Tavus account, the replica "
                "is in the old one."
            )
        else:
            reason = "Tavus no longer knows this replica (it may have been deleted)."
        message = messages.replica_lost_message(sub.user_id, sub.replica_id or "", reason)
        self._finish(sub, "failed", message, reason)

    def note_unfollowable(self, sub: Submission, why: str) -> None:
        """Tell the thread, once, that training cannot be followed for now (no key, or Tavus
        refuses it); polling goes on, and the end of training is still announced."""
        note = messages.unfollowable_message(sub.replica_id or "", why)
        self.s.repo.queue_notice(thread_notice(sub, f"unfollowable:{sub.id}", note))

    def _still_training(self, sub: Submission, replica: Replica) -> None:
        if replica.training_progress and replica.training_progress != sub.training_progress:
            self.s.repo.update(sub.id, training_progress=replica.training_progress)
            assert sub.replica_id and sub.voice_name
            msg = messages.training_message(sub.replica_id, sub.voice_name, replica.training_progress)
            self.show(sub, msg, f"progress-{replica.training_progress}")
        limit = self.s.settings.long_training_seconds
        if sub.long_training_noted_at or not sub.submitted_at or sub.submitted_at > seconds_ago(limit):
            return
        self.s.repo.update(sub.id, long_training_noted_at=utc_now())
        note = messages.long_training_message(sub.replica_id or "", limit // 3600)
        self.s.repo.queue_notice(thread_notice(sub, f"long:{sub.id}", note))

    def _finish(self, sub: Submission, status: str, msg: Message, error: str | None) -> None:
        """Store the result and queue its notices in one transaction, then deliver them."""
        notice = thread_notice(sub, f"{status}:{sub.id}", msg)
        notices = [notice]
        if sub.checklist_ts:
            notices.append({**notice, "dedupe_key": f"{status}-edit:{sub.id}", "update_ts": sub.checklist_ts})
        finished = AuditEvent(
            sub.team_id,
            "training_finished" if status == "completed" else "training_failed",
            "tavus",
            sub.replica_id,
            {"submission": sub.id, "error": error} if error else {"submission": sub.id},
            sub.enterprise_id,
        )
        if not self.s.repo.transition_with_notice(
            sub.id, ["training"], status, notices, audit=finished, error_message=error, finished_at=utc_now()
        ):
            return
        log.info("event=training_finished submission=%s replica=%s status=%s", sub.id, sub.replica_id, status)
        failpoints.hit("after_completion_seen")
        self.deliver_notices()
        self.cleanup_object(sub.id)

    # --- housekeeping -------------------------------------------------------------------
    def sweep(self) -> None:
        """Retry failed deletions, expire abandoned drafts, delete orphaned S3 objects."""
        for sub in self.s.repo.with_status("completed", "failed", "cancelled"):
            if sub.s3_key and not sub.s3_deleted_at:
                self.cleanup_object(sub.id)
        ttl = self.s.settings.presign_ttl_seconds
        for sub in self.s.repo.older_than(["ready"], "updated_at", seconds_ago(ttl)):
            if self.s.repo.transition(sub.id, ["ready"], "cancelled", error_message="expired"):
                self.s.repo.delete_photo(sub.id)
                self.show(sub, Message(messages.draft_expired_text()), "expired")
        self._delete_orphans(ttl)

    def _delete_orphans(self, ttl: int) -> None:
        """Objects older than the presign TTL whose submission is not in flight."""
        try:
            objects = self.s.rehost.list_older_than(KEY_PREFIX, ttl)
        except RehostError as exc:
            log.warning("event=sweep_list_failed error=%s", exc)
            return
        for key in objects:
            parts = key[len(KEY_PREFIX) :].split("/")
            # replica-bot/<team>/<submission>/<file> (before workspaces: <submission>/<file>)
            submission_id = parts[1] if len(parts) >= 3 else parts[0]
            sub = self.s.repo.get(submission_id)
            if sub is not None and sub.status in ("submitting", "training"):
                continue
            try:
                self.s.rehost.delete(key)
                log.info("event=orphan_deleted submission=%s", submission_id)
            except RehostError as exc:
                log.warning("event=orphan_delete_failed submission=%s error=%s", submission_id, exc)

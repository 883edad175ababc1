"""Consent, rehosting and creating the replica, exactly once per photo.

`submitting` is written (with the replica name carrying the submission id, and the
`create_replica` job, in one transaction) before S3 or Tavus is touched. Tavus's create
call is never retried blindly: an answer that may have been lost (timeout, 5xx, bad JSON,
a worker killed mid-call) leaves the row in `submitting`, and a later attempt looks the
name up in Tavus's list — after a grace period, since Tavus may still be acting on the
lost request — before creating again.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from storage import Submission, seconds_ago, utc_now
from storage.audit import AuditEvent

from .. import failpoints, messages
from ..callbacks.tokens import callback_url, new_token
from ..jobs import RetryLater
from ..jobs.kinds import create_replica, explain_no_key, show_message
from ..messages import Message
from ..rehost import RehostError
from ..tavus import Replica, TavusError
from .base import NoTavusKey
from .ids import replica_name_for
from .output import SlackOutput

log = logging.getLogger(__name__)

DRAFT = ("ready",)
CANCELLABLE = ("ready", "awaiting_approval")  # a request waiting for approval can be withdrawn


class CreationSteps(SlackOutput):
    def request_create(
        self,
        button_value: str,
        user_id: str,
        voice_choice: str | None,
        autofix: bool | None = None,
        team_id: str | None = None,
    ) -> str | None:
        """Handle the consent click. Returns an ephemeral reply for the clicker, if any.
        `button_value`: the submission id, and the photo version the button named."""
        submission_id, _, version = button_value.partition(":")
        sub = self.s.repo.get(submission_id)
        if sub is None:
            return "I can't find that photo any more; please upload it again."
        if sub.user_id != user_id or (team_id is not None and sub.team_id != team_id):
            return "Only the person who uploaded this photo can create its replica."
        if (version or None) != sub.version:
            # The button named another version than the one now chosen (a click on a stale
            # message): consent is only ever given to the photo the button named.
            return messages.version_changed_text()
        voice = self.voices_for(sub.team_id).resolve(voice_choice or sub.voice_name or "")
        if voice is None:
            return messages.choose_voice_first_text()
        if self.s.workspaces.tavus_key(sub.team_id) is None:
            # Nothing is created; a worker names the admins who can connect a key.
            self.enqueue(explain_no_key.spec(sub.team_id, sub.channel_id, user_id, sub.thread_ts))
            return None
        replica_name = replica_name_for(sub.id, sub.display_name)
        consent = AuditEvent(
            sub.team_id,
            "consent",
            user_id,
            sub.id,
            {
                "photo_sha256": sub.photo_sha256,
                "consent_text": messages.consent_text(sub.version),
                "version": sub.version or "original",
                "voice": voice,
                "replica_name": replica_name,
            },
            sub.enterprise_id,
        )
        moved = self.s.repo.transition(
            sub.id,
            DRAFT,
            "submitting",
            voice_name=voice,
            consent_user_id=user_id,
            consent_at=utc_now(),
            replica_name=replica_name,
            autofix=int(bool(sub.autofix) if autofix is None else autofix),
            then=[create_replica.spec(sub.id, sub.team_id)],
            audit=consent,
        )
        if not moved:  # a second click, another tab, or already sent
            log.info("event=create_click_ignored submission=%s status=%s", sub.id, sub.status)
            return None
        log.info("event=consent_recorded submission=%s user=%s voice=%s", sub.id, user_id, voice)
        return None

    def submit(self, submission_id: str, verify_first: bool = False) -> None:
        """Rehost and create the replica for a `submitting` row (write-ahead already done).

        `verify_first` (a second attempt): Tavus may already have it. Raises RetryLater while
        the grace period since the last attempt runs, so a lost create is not doubled."""
        if not self.claim(submission_id):
            # Another step of this submission runs in this process right now (its check
            # finishing up): come back shortly rather than drop the consented create.
            raise RetryLater(0.5, "another step of this submission is running here")
        try:
            sub = self.s.repo.get(submission_id)
            if sub is None or sub.status != "submitting":
                return
            if verify_first:
                wait = self._grace_left(sub)
                if wait > 0:
                    raise RetryLater(wait, "waiting out the reconcile grace period")
                if self._adopt_existing(sub):
                    return
            if not sub.cleared_at and not self.pass_policy(sub):
                return  # refused, or waiting for approval: the thread says which
            self._submit(sub)
        finally:
            self.release(submission_id)

    def _grace_left(self, sub: Submission) -> float:
        if not sub.updated_at:
            return 0.0
        since = (datetime.fromisoformat(utc_now()) - datetime.fromisoformat(sub.updated_at)).total_seconds()
        return max(0.0, self.s.settings.reconcile_grace_seconds - since)

    def _adopt_existing(self, sub: Submission) -> bool:
        """True when Tavus already has this submission's replica (it is adopted) or cannot
        be asked now (try later); False when it surely has none and creating is safe."""
        assert sub.replica_name
        try:
            existing = self.tavus_for(sub.team_id).find_replica_by_name(sub.replica_name)
        except (TavusError, NoTavusKey) as exc:
            log.warning("event=reconcile_deferred submission=%s error=%s", sub.id, exc)
            return True
        if existing is None:
            return False
        log.info("event=replica_adopted submission=%s replica=%s", sub.id, existing.replica_id)
        self._adopt(sub, existing)
        return True

    def _submit(self, sub: Submission) -> None:
        assert sub.voice_name and sub.replica_name
        self.show(sub, messages.creating_message(sub.voice_name), "creating")
        data = self.s.repo.load_photo(sub.id, fixed=sub.version == "fixed")
        if data is None:
            self._fail(sub, "the photo is no longer stored; please upload it again")
            return
        if not sub.s3_key:
            sub.s3_key = self.s.rehost.new_key(sub.id, sub.team_id)
            self.s.repo.update(sub.id, s3_key=sub.s3_key)
        try:
            self.s.rehost.upload(sub.s3_key, data)
            failpoints.hit("after_s3_upload")
            url = self.s.rehost.presign(sub.s3_key, self.s.settings.presign_ttl_seconds)
            replica = self.tavus_for(sub.team_id).create_replica(
                train_image_url=url,
                voice_name=sub.voice_name,
                replica_name=sub.replica_name,
                auto_fix_training_image=bool(sub.autofix),
                callback_url=self._new_callback_url(sub),
            )
        except NoTavusKey:
            log.warning("event=no_tavus_key submission=%s team=%s", sub.id, sub.team_id)
            self._fail(sub, "this workspace's Tavus key was removed before the replica could be created")
            return
        except RehostError as exc:
            log.warning("event=rehost_failed submission=%s error=%s", sub.id, exc)
            self.s.repo.update(sub.id, error_message=f"deferred: {exc}"[:500])
            self.show(sub, Message(messages.retrying_text("Storage")), "deferred")
            return
        except TavusError as exc:
            if exc.retryable:
                log.warning("event=tavus_create_deferred submission=%s error=%s", sub.id, exc)
                # Tavus may still be acting on the request: reconcile only after a grace period.
                self.s.repo.update(sub.id, error_message=f"deferred: {exc.message}"[:500])
                self.show(sub, Message(messages.retrying_text("Tavus")), "deferred")
                return
            log.warning("event=tavus_create_refused submission=%s status=%s", sub.id, exc.status)
            self._fail(sub, exc.message, message=messages.create_failed_message(exc.message))
            return
        failpoints.hit("after_tavus_create")
        self._adopt(sub, replica)

    def _new_callback_url(self, sub: Submission) -> str | None:
        """A fresh callback URL for this attempt (its token's hash stored first), or None
        without PUBLIC_BASE_URL (then polling alone finds the end of training)."""
        base = self.s.settings.public_base_url
        if not base:
            return None
        token, token_hash = new_token()
        self.s.repo.add_callback_token(sub.id, token_hash)
        return callback_url(base, token)

    def _adopt(self, sub: Submission, replica: Replica) -> None:
        if not self.s.repo.transition(
            sub.id,
            ["submitting"],
            "training",
            replica_id=replica.replica_id,
            training_progress=replica.training_progress,
            submitted_at=utc_now(),
            audit=AuditEvent(
                sub.team_id,
                "replica_created",
                sub.consent_user_id or sub.user_id,
                replica.replica_id,
                {"submission": sub.id, "voice": sub.voice_name, "replica_name": sub.replica_name},
                sub.enterprise_id,
            ),
        ):
            return
        self.s.repo.delete_photo(sub.id)
        log.info("event=training_started submission=%s replica=%s", sub.id, replica.replica_id)
        assert sub.voice_name
        self.show(sub, messages.training_message(replica.replica_id, sub.voice_name), "training")

    def _fail(self, sub: Submission, reason: str, message: Message | None = None) -> None:
        if self.s.repo.transition(sub.id, ["submitting"], "failed", error_message=reason[:1000], finished_at=utc_now()):
            self.s.repo.delete_photo(sub.id)
            self.show(sub, message or messages.create_failed_message(reason), "failed")
            self.cleanup_object(sub.id)

    def reconcile_submitting(self) -> None:
        """After a crash or an outage: adopt a replica Tavus already has, else create it.

        Only rows untouched for RECONCILE_GRACE_SECONDS: a create whose answer was lost may
        still be under way at Tavus, and would not be in its list yet.
        """
        cutoff = seconds_ago(self.s.settings.reconcile_grace_seconds)
        for sub in self.s.repo.older_than(["submitting"], "updated_at", cutoff):
            self.enqueue(create_replica.spec(sub.id, sub.team_id, verify_first=True))

    # --- the person's photo or the bot's fixed version ------------------------------------
    def choose_version(self, submission_id: str, user_id: str, version: str, team_id: str | None = None) -> str | None:
        """ "Use the fixed photo" / "Keep mine" (quick: the two versions are already stored).
        Returns an ephemeral reply for the clicker, if any."""
        sub = self.s.repo.get(submission_id)
        if sub is None or sub.user_id != user_id or (team_id is not None and sub.team_id != team_id):
            return "Only the person who uploaded this photo can choose its version."
        if not sub.offered_fix.get("original_allowed") or version == sub.version:
            return None  # nothing to choose (or already chosen)
        sha = sub.fixed_sha256 if version == "fixed" else sub.original_sha256
        chosen = replace(sub, version=version, photo_sha256=sha)
        redraw = show_message.spec(sub.id, sub.team_id, self.offer(chosen), f"version-{version}-{utc_now()}")
        if not self.s.repo.transition(sub.id, DRAFT, "ready", version=version, photo_sha256=sha, then=[redraw]):
            return "This photo was already sent to Tavus."
        log.info("event=version_chosen submission=%s version=%s", sub.id, version)
        return None

    # --- cancel -------------------------------------------------------------------------
    def request_cancel(self, submission_id: str, user_id: str, team_id: str | None = None) -> str | None:
        sub = self.s.repo.get(submission_id)
        if sub is None or sub.user_id != user_id or (team_id is not None and sub.team_id != team_id):
            return "Only the person who uploaded this photo can cancel it."
        note = show_message.spec(sub.id, sub.team_id, messages.cancelled_message(), "cancelled")
        if not self.s.repo.transition(sub.id, CANCELLABLE, "cancelled", finished_at=utc_now(), then=[note]):
            return None  # (an approval that got there first wins: the replica is being made)
        self.s.repo.delete_photo(sub.id)
        if sub.status == "awaiting_approval":
            self.close_request(sub, ":leftwards_arrow_with_hook: withdrawn by the requester")
        return None

    def cancel_drafts(self, team_id: str, user_id: str) -> int:
        count = 0
        for sub in self.s.repo.for_user(team_id, user_id, limit=100):
            if sub.status in CANCELLABLE and self.request_cancel(sub.id, user_id) is None:
                count += 1
        return count

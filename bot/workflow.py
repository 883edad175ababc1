"""The lifecycle of one submission, and the only writer of its state.

checking → needs_fix | ready → submitting → training → completed | failed, plus cancelled.
Every transition is one compare-and-set in storage, so a duplicate event, a double click
or a second poller run can never move a submission twice.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from storage import Repository, Submission, utc_now

from . import messages
from .config import Settings
from .messages import Message
from .photo import PhotoReport, check_photo, normalize_for_rehost
from .rehost import PhotoRehost, RehostError
from .slack_files import DownloadError, SlackFileDownloader
from .tavus import Replica, TavusClient, TavusError
from .tavus_verdict import verdict_from_answer
from .voices import VoiceCatalog

log = logging.getLogger(__name__)

TERMINAL = ("completed", "failed", "cancelled", "needs_fix")
DRAFT = ("ready",)


def new_submission_id() -> str:
    return "s" + secrets.token_hex(6)


def replica_name_for(submission_id: str, display: str | None = None) -> str:
    """The name carries the submission id, so a crash can be reconciled by looking it up."""
    return f"{(display or 'replica-bot')[:60]} [{submission_id}]"


@dataclass
class Services:
    settings: Settings
    repo: Repository
    slack: WebClient
    downloader: SlackFileDownloader
    rehost: PhotoRehost
    tavus: TavusClient
    voices: VoiceCatalog
    executor: Executor


class Workflow:
    def __init__(self, services: Services):
        self.s = services
        self._inflight: set[str] = set()
        self._inflight_lock = threading.Lock()

    # --- plumbing -----------------------------------------------------------------------
    def run_in_background(self, fn: Callable[..., None], *args: Any) -> None:
        self.s.executor.submit(self._guarded, fn, *args)

    @staticmethod
    def _guarded(fn: Callable[..., None], *args: Any) -> None:
        try:
            fn(*args)
        except Exception:  # a worker must survive any one job
            log.exception("event=job_failed job=%s", getattr(fn, "__name__", fn))

    def _post(self, channel: str, thread_ts: str | None, msg: Message) -> str | None:
        resp = self.s.slack.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text=msg.text, blocks=msg.blocks or None
        )
        ts = resp.get("ts")
        return str(ts) if ts else None

    def _show(self, sub: Submission, msg: Message) -> None:
        """Edit the submission's checklist message (or post one if it has none)."""
        try:
            if sub.checklist_ts:
                self.s.slack.chat_update(
                    channel=sub.channel_id, ts=sub.checklist_ts, text=msg.text, blocks=msg.blocks
                )
            else:
                ts = self._post(sub.channel_id, sub.thread_ts, msg)
                self.s.repo.update(sub.id, checklist_ts=ts)
        except SlackApiError as exc:
            log.warning("event=slack_update_failed submission=%s error=%s", sub.id, exc.response.get("error"))

    # --- photo intake -------------------------------------------------------------------
    def accept_file_share(self, event: dict[str, Any], event_id: str | None, team_id: str) -> None:
        """Called in the listener: record the event durably, then hand off the slow work."""
        if event_id and not self.s.repo.record_event(event_id):
            log.info("event=duplicate_event_ignored event_id=%s", event_id)
            return
        self.run_in_background(self.process_file_share, event, team_id)

    def process_file_share(self, event: dict[str, Any], team_id: str) -> None:
        channel, user = event["channel"], event["user"]
        thread_ts = event.get("thread_ts") or event["ts"]
        if event.get("channel_type") != "im":
            self._post(channel, thread_ts, Message(messages.not_in_dm_text()))
            return
        files = [f for f in event.get("files") or [] if isinstance(f, dict) and f.get("id")]
        if not files:
            return
        first = files[0]
        sub = Submission(
            id=new_submission_id(),
            team_id=team_id,
            user_id=user,
            channel_id=channel,
            message_ts=event["ts"],
            thread_ts=thread_ts,
            file_id=first["id"],
            file_name=str(first.get("name") or "photo")[:200],
            status="checking",
        )
        if not self.s.repo.create_submission(sub):
            log.info("event=duplicate_photo_ignored file=%s", first["id"])
            return
        log.info("event=photo_received submission=%s user=%s file=%s", sub.id, user, first["id"])
        sub.checklist_ts = self._post(channel, thread_ts, messages.checking_message())
        self.s.repo.update(sub.id, checklist_ts=sub.checklist_ts)
        if len(files) > 1:
            names = [str(f.get("name") or f["id"]) for f in files[1:]]
            self._post(channel, thread_ts, Message(messages.extra_files_text(names)))
        try:
            self._check_and_offer(sub, first)
        except Exception:
            log.exception("event=photo_processing_failed submission=%s", sub.id)
            self.s.repo.transition(sub.id, ["checking"], "failed", error_message="internal error")
            self._show(
                sub, Message(":x: Something went wrong while checking this photo. Please upload it again.")
            )

    def _file_url(self, file_obj: dict[str, Any]) -> str:
        url = file_obj.get("url_private_download") or file_obj.get("url_private")
        if not url:  # a thin file object (mode file_access): ask Slack for the full one
            info = self.s.slack.files_info(file=file_obj["id"])
            full = info.get("file") or {}
            url = full.get("url_private_download") or full.get("url_private")
        if not url:
            raise DownloadError("Slack did not give me a download link for it.")
        return str(url)

    def _check_and_offer(self, sub: Submission, file_obj: dict[str, Any]) -> None:
        try:
            data = self.s.downloader.download(self._file_url(file_obj))
        except DownloadError as exc:
            self.s.repo.transition(sub.id, ["checking"], "needs_fix", error_message=exc.reason)
            self._show(sub, Message(messages.download_failed_text(exc.reason)))
            return
        report = check_photo(data)
        log.info(
            "event=photo_checked submission=%s ok=%s codes=%s ms=%.0f",
            sub.id,
            report.ok,
            ",".join(f.code for f in report.findings),
            report.timing_ms,
        )
        normalized = normalize_for_rehost(data) if report.ok else b""
        autofix = report.autofix_helps
        if report.ok and self.s.settings.tavus_image_validation:
            autofix = self._ask_tavus(sub, normalized, report) or autofix
        findings = [f.as_dict() for f in report.findings]
        findings_json = json.dumps({"findings": findings, "passed": report.passed_checks})
        if not report.ok:
            self.s.repo.transition(sub.id, ["checking"], "needs_fix", findings_json=findings_json)
            self._show(sub, messages.needs_fix_message(findings, report.passed_checks))
            return
        self.s.repo.save_photo(sub.id, normalized)
        voice = self.s.repo.get_voice(sub.team_id, sub.user_id)
        if not self.s.repo.transition(
            sub.id, ["checking"], "ready", findings_json=findings_json, voice_name=voice, autofix=int(autofix)
        ):
            return
        self._show(
            sub,
            messages.ready_message(
                sub.id, findings, report.passed_checks, self.s.voices.names(), voice, autofix=autofix
            ),
        )

    def _ask_tavus(self, sub: Submission, normalized: bytes, report: PhotoReport) -> bool:
        """Fold Tavus's validator into the report; True when its AI Image Fixer should be on.

        A failure the fixer can repair is kept as a warning with the fixer switched on; any
        other failure blocks. An unreachable validator is said, and our checks decide alone.
        """
        try:
            verdict = verdict_from_answer(self.s.tavus.validate_image(normalized))
        except (TavusError, ValueError) as exc:
            log.warning("event=tavus_validator_unavailable submission=%s error=%s", sub.id, exc)
            report.findings.insert(0, messages.VALIDATOR_UNAVAILABLE)
            return False
        log.info("event=tavus_validated submission=%s passed=%s", sub.id, verdict.passed)
        if verdict.passed:
            report.passed_checks.append("tavus")
            return False
        if verdict.autofix_helps:
            report.findings[:0] = [messages.fixable_by_autofix(f) for f in verdict.findings]
            return True
        report.findings[:0] = verdict.findings
        return False

    # --- consent and creation -----------------------------------------------------------
    def request_create(
        self, submission_id: str, user_id: str, voice_choice: str | None, autofix: bool | None = None
    ) -> str | None:
        """Handle the consent click. Returns an ephemeral reply for the clicker, if any."""
        sub = self.s.repo.get(submission_id)
        if sub is None:
            return "I can't find that photo any more; please upload it again."
        if sub.user_id != user_id:
            return "Only the person who uploaded this photo can create its replica."
        voice = self.s.voices.resolve(voice_choice or sub.voice_name or "")
        if voice is None:
            return messages.choose_voice_first_text()
        moved = self.s.repo.transition(
            sub.id,
            ["ready"],
            "submitting",
            voice_name=voice,
            consent_user_id=user_id,
            consent_at=utc_now(),
            replica_name=replica_name_for(sub.id),
            autofix=int(bool(sub.autofix) if autofix is None else autofix),
        )
        if not moved:  # a second click, another tab, or already sent
            log.info("event=create_click_ignored submission=%s status=%s", sub.id, sub.status)
            return None
        log.info("event=consent_recorded submission=%s user=%s voice=%s", sub.id, user_id, voice)
        self.run_in_background(self.submit, sub.id)
        return None

    def _claim(self, submission_id: str) -> bool:
        with self._inflight_lock:
            if submission_id in self._inflight:
                return False
            self._inflight.add(submission_id)
            return True

    def _release(self, submission_id: str) -> None:
        with self._inflight_lock:
            self._inflight.discard(submission_id)

    def submit(self, submission_id: str) -> None:
        """Rehost and create the replica for a `submitting` row (write-ahead already done)."""
        if not self._claim(submission_id):
            return
        try:
            self._submit(submission_id)
        finally:
            self._release(submission_id)

    def _submit(self, submission_id: str) -> None:
        sub = self.s.repo.get(submission_id)
        if sub is None or sub.status != "submitting":
            return
        assert sub.voice_name and sub.replica_name
        self._show(sub, messages.creating_message(sub.voice_name))
        data = self.s.repo.load_photo(sub.id)
        if data is None:
            self._fail(sub, "the photo is no longer stored; please upload it again")
            return
        if not sub.s3_key:
            sub.s3_key = self.s.rehost.new_key(sub.id)
            self.s.repo.update(sub.id, s3_key=sub.s3_key)
        try:
            self.s.rehost.upload(sub.s3_key, data)
            url = self.s.rehost.presign(sub.s3_key, self.s.settings.presign_ttl_seconds)
            replica = self.s.tavus.create_replica(
                train_image_url=url,
                voice_name=sub.voice_name,
                replica_name=sub.replica_name,
                auto_fix_training_image=bool(sub.autofix),
            )
        except RehostError as exc:
            log.warning("event=rehost_failed submission=%s error=%s", sub.id, exc)
            self._show(sub, Message(":hourglass: Storage is unavailable right now; I'll retry shortly."))
            return
        except TavusError as exc:
            if exc.retryable:
                log.warning("event=tavus_create_deferred submission=%s error=%s", sub.id, exc)
                self._show(sub, Message(":hourglass: Tavus is not answering right now; I'll retry shortly."))
                return
            log.warning("event=tavus_create_refused submission=%s status=%s", sub.id, exc.status)
            self._fail(sub, exc.message, message=messages.create_failed_message(exc.message))
            return
        self._adopt(sub, replica)

    def _adopt(self, sub: Submission, replica: Replica) -> None:
        if not self.s.repo.transition(
            sub.id,
            ["submitting"],
            "training",
            replica_id=replica.replica_id,
            training_progress=replica.training_progress,
            submitted_at=utc_now(),
        ):
            return
        self.s.repo.delete_photo(sub.id)
        log.info("event=training_started submission=%s replica=%s", sub.id, replica.replica_id)
        assert sub.voice_name
        self._show(sub, messages.training_message(replica.replica_id, sub.voice_name))

    def _fail(self, sub: Submission, reason: str, message: Message | None = None) -> None:
        if self.s.repo.transition(
            sub.id, ["submitting"], "failed", error_message=reason[:1000], finished_at=utc_now()
        ):
            self.s.repo.delete_photo(sub.id)
            self._show(sub, message or messages.create_failed_message(reason))
            self.cleanup_object(sub.id)

    def reconcile_submitting(self) -> None:
        """After a crash or an outage: adopt a replica Tavus already has, else create it."""
        for sub in self.s.repo.with_status("submitting"):
            if not self._claim(sub.id):
                continue
            try:
                assert sub.replica_name
                existing = self.s.tavus.find_replica_by_name(sub.replica_name)
            except TavusError as exc:
                log.warning("event=reconcile_deferred submission=%s error=%s", sub.id, exc)
                self._release(sub.id)
                continue
            if existing is not None:
                log.info("event=replica_adopted submission=%s replica=%s", sub.id, existing.replica_id)
                self._adopt(sub, existing)
                self._release(sub.id)
            else:
                self._release(sub.id)
                self.submit(sub.id)

    # --- cancel -------------------------------------------------------------------------
    def request_cancel(self, submission_id: str, user_id: str) -> str | None:
        sub = self.s.repo.get(submission_id)
        if sub is None or sub.user_id != user_id:
            return "Only the person who uploaded this photo can cancel it."
        if not self.s.repo.transition(sub.id, DRAFT, "cancelled", finished_at=utc_now()):
            return None
        self.s.repo.delete_photo(sub.id)
        self._show(sub, messages.cancelled_message())
        return None

    def cancel_drafts(self, team_id: str, user_id: str) -> int:
        count = 0
        for sub in self.s.repo.for_user(team_id, user_id, limit=100):
            if sub.status in DRAFT and self.request_cancel(sub.id, user_id) is None:
                count += 1
        return count

    # --- training results ---------------------------------------------------------------
    def apply_replica_status(self, sub: Submission, replica: Replica) -> None:
        if replica.succeeded:
            msg = messages.completed_message(sub.user_id, replica.replica_id)
            self._finish(sub, "completed", msg, None)
        elif replica.finished:
            reason = replica.error_message or "Tavus reported an error without details"
            self._finish(sub, "failed", messages.failed_message(sub.user_id, reason), reason)
        elif replica.training_progress and replica.training_progress != sub.training_progress:
            self.s.repo.update(sub.id, training_progress=replica.training_progress)
            assert sub.replica_id and sub.voice_name
            self._show(
                sub, messages.training_message(sub.replica_id, sub.voice_name, replica.training_progress)
            )

    def apply_missing_replica(self, sub: Submission) -> None:
        reason = "Tavus no longer knows this replica (it may have been deleted)."
        self._finish(sub, "failed", messages.failed_message(sub.user_id, reason), reason)

    def _finish(self, sub: Submission, status: str, msg: Message, error: str | None) -> None:
        notices = [
            {
                "dedupe_key": f"{status}:{sub.id}",
                "submission_id": sub.id,
                "channel_id": sub.channel_id,
                "thread_ts": sub.thread_ts,
                "text": msg.text,
                "blocks": msg.blocks,
            }
        ]
        if sub.checklist_ts:
            notices.append(
                {**notices[0], "dedupe_key": f"{status}-edit:{sub.id}", "update_ts": sub.checklist_ts}
            )
        if self.s.repo.transition_with_notice(
            sub.id, ["training"], status, notices, error_message=error, finished_at=utc_now()
        ):
            log.info(
                "event=training_finished submission=%s replica=%s status=%s", sub.id, sub.replica_id, status
            )
            self.deliver_notices()
            self.cleanup_object(sub.id)

    def deliver_notices(self) -> None:
        """Send queued notices; one that fails stays queued for the next cycle."""
        for notice in self.s.repo.pending_notices():
            try:
                if notice.update_ts:
                    self.s.slack.chat_update(
                        channel=notice.channel_id, ts=notice.update_ts, text=notice.text, blocks=notice.blocks
                    )
                else:
                    self.s.slack.chat_postMessage(
                        channel=notice.channel_id,
                        thread_ts=notice.thread_ts,
                        text=notice.text,
                        blocks=notice.blocks,
                    )
            except SlackApiError as exc:
                self.s.repo.mark_notice_failed(notice.id, str(exc.response.get("error")))
                log.warning("event=notice_failed notice=%s error=%s", notice.id, exc.response.get("error"))
                continue
            self.s.repo.mark_notice_sent(notice.id)

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

    def sweep_objects(self) -> None:
        """Retry deletions that failed earlier, for every finished submission."""
        for sub in self.s.repo.with_status("completed", "failed", "cancelled"):
            if sub.s3_key and not sub.s3_deleted_at:
                self.cleanup_object(sub.id)

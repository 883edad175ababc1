"""Photo intake: a shared file becomes a checked draft (or a checklist of what to fix).

The listener stores the event id, the submission (with its file object) and its
`check_photo` job in one transaction before anything else; a worker does the rest, and a
worker that dies midway is replaced by another that resumes from storage.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

from slack_sdk.errors import SlackApiError

from storage import Submission

from .. import failpoints, messages
from ..inbox.uploads import Upload
from ..jobs.kinds import check_photo as check_job
from ..messages import Message
from ..photo import PhotoReport, check_photo, normalize_for_rehost
from ..preview import FixOffer, annotated, offer_fix, preview_jpeg, rehost_copies
from ..slack_files import DownloadError
from ..tavus import TavusError
from ..tavus_verdict import verdict_from_answer
from .ids import clean_name, new_submission_id
from .output import SlackOutput

log = logging.getLogger(__name__)

INTAKE = ("received", "checking")


class IntakeSteps(SlackOutput):
    _preview_errors_logged: set[str] = set()  # a missing scope is said once per process, not per photo

    def accept_file_share(
        self, event: dict[str, Any], event_id: str | None, team_id: str, enterprise_id: str | None = None
    ) -> None:
        """Called in the listener: store the event, its submission and its job; nothing slow."""
        files = [f for f in event.get("files") or [] if isinstance(f, dict) and f.get("id")]
        sub = None
        if files:
            first = files[0]
            sub = Submission(
                id=new_submission_id(),
                team_id=team_id,
                enterprise_id=enterprise_id or None,
                user_id=str(event.get("user")),
                channel_id=str(event.get("channel")),
                message_ts=str(event.get("ts")),
                thread_ts=str(event.get("thread_ts") or event.get("ts")),
                file_id=str(first["id"]),
                file_name=str(first.get("name") or "photo")[:200],
                file_json=json.dumps({"file": first, "others": [str(f.get("name") or f["id"]) for f in files[1:]]}),
                channel_type=str(event.get("channel_type") or ""),
                status="received",
            )
        then = [check_job.spec(sub)] if sub is not None else []
        if event_id and not self.s.repo.record_event(event_id, sub, then=then):
            log.info("event=duplicate_event_ignored event_id=%s", event_id)
            return
        if not event_id and sub is not None and not self.s.repo.create_submission(sub, then=then):
            return
        failpoints.hit("after_event_recorded")

    def resume_intake(self) -> None:
        """Make sure every photo accepted but not yet checked has its job (rows from before
        jobs existed; a job that gave up). A job already waiting or running is kept."""
        for sub in self.s.repo.with_status(*INTAKE):
            self.enqueue(check_job.spec(sub))

    def say_upload_waits(self, upload: Upload) -> None:
        """From a web role: a photo arrived while no worker is alive. It is stored and will
        be checked when one starts; until then the person would otherwise see nothing."""
        text = Message(messages.upload_waits_text())
        self.post(upload.channel, upload.thread_ts, text, f"upload-waits:{upload.event_id}", upload.team_id)

    def set_photo_aside(self, submission_id: str, *, workers_died: bool, tries: int) -> None:
        """A photo's check job was given up: end the photo as failed and say so in its
        thread. Otherwise it stays "checking" for the person, and every worker's start
        (resume_intake) checks it again — a photo that kills its checker would take each
        new worker down with it."""
        sub = self.s.repo.get(submission_id)
        if sub is None:
            return
        why = f"its check stopped the worker {tries} times" if workers_died else "internal error"
        if not self.s.repo.transition(sub.id, INTAKE, "failed", error_message=why):
            return  # answered after all (a late attempt), cancelled or deleted meanwhile
        log.warning("event=photo_set_aside submission=%s user=%s why=%s", sub.id, sub.user_id, why)
        text = messages.photo_set_aside_text(tries) if workers_died else messages.internal_error_text()
        self.show(sub, Message(text), "error")

    def process_submission(self, submission_id: str) -> None:
        if not self.claim(submission_id):
            return
        preview: Callable[[], None] | None = None
        try:
            sub = self.s.repo.get(submission_id)
            if sub is not None and sub.status in INTAKE:
                preview = self._process(sub)
        finally:
            self.release(submission_id)
        if preview is not None:
            # After the release: the person may press create while the preview uploads.
            preview()

    def _process(self, sub: Submission) -> Callable[[], None] | None:
        """Check the photo and answer; returns the preview's upload, to run once released."""
        stored = json.loads(sub.file_json or "{}")
        if sub.channel_type != "im":
            if self.s.repo.transition(sub.id, INTAKE, "cancelled", error_message="not in a DM"):
                self.post(
                    sub.channel_id, sub.thread_ts, Message(messages.not_in_dm_text()), f"not-dm:{sub.id}", sub.team_id
                )
            return None
        if sub.status == "received" and self.s.repo.transition(sub.id, ["received"], "checking"):
            log.info("event=photo_received submission=%s user=%s file=%s", sub.id, sub.user_id, sub.file_id)
            self.show(sub, messages.checking_message(), "checking")
            if stored.get("others"):
                extra = Message(messages.extra_files_text(stored["others"]))
                self.post(sub.channel_id, sub.thread_ts, extra, f"extra:{sub.id}", sub.team_id)
        try:
            return self._check_and_offer(sub, stored.get("file") or {"id": sub.file_id})
        except Exception:
            log.exception("event=photo_processing_failed submission=%s", sub.id)
            self.s.repo.transition(sub.id, INTAKE, "failed", error_message="internal error")
            self.show(sub, Message(messages.internal_error_text()), "error")
            return None

    def _file_url(self, file_obj: dict[str, Any], team_id: str) -> str:
        url = file_obj.get("url_private_download") or file_obj.get("url_private")
        if not url:  # a thin file object (mode file_access): ask Slack for the full one
            info = self.slack_for(team_id).files_info(file=file_obj["id"])
            full = info.get("file") or {}
            url = full.get("url_private_download") or full.get("url_private")
        if not url:
            raise DownloadError("Slack did not give me a download link for it.")
        return str(url)

    def _check_and_offer(self, sub: Submission, file_obj: dict[str, Any]) -> Callable[[], None] | None:
        try:
            url = self._file_url(file_obj, sub.team_id)
            data = self.s.downloader.download(url, self.s.workspaces.bot_token(sub.team_id))
        except DownloadError as exc:
            self.s.repo.transition(sub.id, INTAKE, "needs_fix", error_message=exc.reason)
            self.show(sub, Message(messages.download_failed_text(exc.reason)), "needs_fix")
            return None
        failpoints.hit("during_photo_check")
        report = check_photo(data)
        log.info(
            "event=photo_checked submission=%s ok=%s codes=%s ms=%.0f",
            sub.id,
            report.ok,
            ",".join(f.code for f in report.findings),
            report.timing_ms,
        )
        offer = self._fix_offer(sub, report)
        if offer is not None:
            normalized, fixed = rehost_copies(data, offer.fix)
        else:
            normalized, fixed = (normalize_for_rehost(data) if report.ok else b""), None
        autofix = report.autofix_helps
        if report.ok and self.s.settings.tavus_image_validation:
            autofix = self._ask_tavus(sub, normalized, report) or autofix
        if fixed is not None and not self._tavus_accepts(sub, fixed):
            offer, fixed = None, None  # Tavus's validator refuses the fixed version: not offered
        findings = [f.as_dict() for f in report.findings]
        findings_json = json.dumps({"findings": findings, "passed": report.passed_checks})
        if not report.ok and fixed is None:
            self.s.repo.transition(sub.id, INTAKE, "needs_fix", findings_json=findings_json)
            self.show(sub, messages.needs_fix_message(findings, report.passed_checks), "needs_fix")
            return partial(self._share_preview, sub, report, None)
        self.s.repo.save_photo(sub.id, normalized)
        versions: dict[str, Any] = {"version": None, "fix_json": None, "fixed_sha256": None}
        if offer is not None and fixed is not None:
            self.s.repo.save_fixed_photo(sub.id, fixed)
            versions = {
                # A photo that can't be used as it is goes with the fixed version only.
                "version": "original" if report.ok else "fixed",
                "fix_json": json.dumps(
                    {"fix": offer.fix.to_json(), "what": list(offer.fix.what), "original_allowed": report.ok}
                ),
                "fixed_sha256": hashlib.sha256(fixed).hexdigest(),
            }
        original_sha = hashlib.sha256(normalized).hexdigest()
        voice = self.s.repo.get_voice(sub.team_id, sub.user_id)
        name = self.s.repo.get_default_name(sub.team_id, sub.user_id) or self._slack_name(sub.team_id, sub.user_id)
        changes = {
            "findings_json": findings_json,
            "voice_name": voice,
            "autofix": int(autofix),
            "display_name": name,
            "original_sha256": original_sha,
            # the image consent will be about: the chosen version's
            "photo_sha256": versions["fixed_sha256"] if versions["version"] == "fixed" else original_sha,
            **versions,
        }
        if not self.s.repo.transition(sub.id, INTAKE, "ready", **changes):
            return None
        self.show(sub, self.offer(replace(sub, **changes)), "ready")
        return partial(self._share_preview, sub, report, offer)

    def _fix_offer(self, sub: Submission, report: PhotoReport) -> FixOffer | None:
        """The fixed version the bot can offer, checked again (never raises: it is a bonus)."""
        try:
            return offer_fix(report)
        except Exception:
            log.exception("event=fix_failed submission=%s", sub.id)
            return None

    def _tavus_accepts(self, sub: Submission, data: bytes) -> bool:
        """Whether Tavus's validator (when on) passes the fixed version before it is offered."""
        if not self.s.settings.tavus_image_validation:
            return True
        check = PhotoReport()
        self._ask_tavus(sub, data, check)
        # (an unreachable validator or no key yet: our own checks decide, as for any photo)
        return all(f.code == messages.VALIDATOR_UNAVAILABLE.code for f in check.findings)

    def _share_preview(self, sub: Submission, report: PhotoReport, offer: FixOffer | None) -> None:
        """The annotated preview in the photo's thread (and the fixed version beside it). A
        bonus: without files:write, or if Slack refuses, the text checklist stands alone."""
        try:
            image = annotated(report, offer.image if offer else None)
            if image is None:
                return
            self.slack_for(sub.team_id).files_upload_v2(
                channel=sub.channel_id,
                thread_ts=sub.thread_ts,
                file=preview_jpeg(image),
                filename="photo-check.jpg",
                title="What I checked" + (" — and the fixed version" if offer else ""),
                alt_txt="Your photo with the face, the head-and-shoulders frame and any problems marked",
            )
        except Exception as exc:  # (SlackApiError, SlackRequestError, an odd image): never the flow's end
            error = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
            if error not in self._preview_errors_logged:
                self._preview_errors_logged.add(str(error))
                log.warning("event=preview_not_shared submission=%s error=%s (said once)", sub.id, error)

    def _slack_name(self, team_id: str, user_id: str) -> str:
        """The person's name in Slack, as the replica's default name (best effort)."""
        try:
            user = self.slack_for(team_id).users_info(user=user_id).get("user") or {}
        except SlackApiError:
            return "replica-bot"
        profile = user.get("profile") or {}
        name = str(profile.get("real_name") or user.get("real_name") or user.get("name") or "replica-bot")
        return clean_name(name) or "replica-bot"

    def _ask_tavus(self, sub: Submission, normalized: bytes, report: PhotoReport) -> bool:
        """Fold Tavus's validator into the report; True when its AI Image Fixer should be on.

        A failure the fixer can repair is kept as a warning with the fixer switched on; any
        other failure blocks. An unreachable validator is said, and our checks decide alone.
        """
        tavus = self.s.workspaces.tavus_for(sub.team_id)
        if tavus is None:  # no key connected yet: our checks decide alone (the offer says why)
            return False
        try:
            verdict = verdict_from_answer(tavus.validate_image(normalized))
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

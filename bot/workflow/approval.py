"""The policy at the moment of creation, and the approval a workspace may require.

A consented submission (`submitting`) passes the policy before anything is rehosted or
sent: who may create, the person's quota, the workspace's training limit — counted under
the workspace's lock, so two workers never take the last slot — and, when approval is on,
an approval younger than the lapse period. Refused: back to the draft (`ready`) with the
reason in the thread. Needing approval: `awaiting_approval`, and the request goes to the
approvers channel; Approve sends it back through this same gate (the policy may have
changed meanwhile), Deny ends it. Only admins decide, never on their own request, and every
decision is checked where it is recorded: a crafted payload changes nothing.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from storage import Submission, clock, seconds_ago, utc_now
from storage.audit import AuditEvent

from .. import messages
from ..jobs.kinds import create_replica, post_approval, show_message, slack_call
from ..messages import Message
from ..policy import Policy, Refusal, Usage, refusal_for
from ..policy.groups import GroupsUnknown, in_any_group
from ..policy.rules import window_start
from .workspace import WorkspaceSteps

log = logging.getLogger(__name__)

BOT = "replica-bot"  # the actor of what the bot decided by itself (a refusal, a lapse)
# A Slack answer that will not change by retrying: the request goes back to its thread.
_UNREACHABLE = {"not_in_channel", "channel_not_found", "is_archived", "missing_scope"}


class ApprovalSteps(WorkspaceSteps):
    # --- the gate before creating ---------------------------------------------------------
    def pass_policy(self, sub: Submission) -> bool:
        """True when `sub` may be created now (it is then counted as cleared); otherwise it
        was refused or sent for approval, and the thread says so."""
        policy = self.policy_for(sub.team_id)
        in_groups: bool | None = None
        if policy.who == "groups":
            try:
                in_groups = in_any_group(self.slack_for(sub.team_id), policy.groups, sub.user_id)
            except GroupsUnknown as exc:
                log.warning("event=groups_unknown submission=%s error=%s", sub.id, exc)
                reason = f"I could not check the allowed user groups (Slack said `{exc}`); please tell an admin"
                self._refuse(sub, Refusal("groups_unknown", reason))
                return False
        if policy.approval and not policy.approvers_channel:
            self._refuse(sub, Refusal("no_approvers", "approval is required here but no approvers channel is set"))
            return False
        needs_approval = policy.approval and not self._approval_current(sub)
        now = clock.now()
        verdict: list[Refusal | None] = []

        def allow(used: list[str], training: int) -> bool:
            verdict.append(refusal_for(policy, sub.user_id, in_groups, Usage(used, training), now))
            return verdict[0] is None and not needs_approval

        since = window_start(now).isoformat(timespec="seconds")
        if self.s.repo.clear_for_creation(sub.id, sub.team_id, sub.user_id, since, allow):
            return True
        if verdict and verdict[0] is not None:
            self._refuse(sub, verdict[0])
        elif verdict and needs_approval:
            self._ask_approval(sub, policy)
        return False

    def _approval_current(self, sub: Submission) -> bool:
        return bool(sub.approved_at) and str(sub.approved_at) > seconds_ago(self.s.settings.approval_lapse_seconds)

    def _refuse(self, sub: Submission, refusal: Refusal, waiting_in: str = "submitting") -> None:
        """Back to the draft with the reason in the thread (from `submitting`, or from a request
        the approvers could not be asked about)."""
        details = {"requester": sub.user_id, "code": refusal.code, "reason": refusal.text}
        refused = AuditEvent(sub.team_id, "creation_refused", BOT, sub.id, details, sub.enterprise_id)
        if not self.s.repo.transition(
            sub.id, [waiting_in], "ready", approved_by=None, approved_at=None, cleared_at=None, audit=refused
        ):
            return
        log.info("event=creation_refused submission=%s code=%s", sub.id, refusal.code)
        self._back_to_draft(sub, messages.refused_text(refusal.text), "refused")

    def _back_to_draft(self, sub: Submission, news: str, step: str) -> None:
        """The offer again in the checklist message, and the news as a reply that notifies."""
        self.show(sub, self.offer(sub), step)
        self.post(sub.channel_id, sub.thread_ts, Message(news), f"{step}:{sub.id}:{utc_now()}", sub.team_id)

    def _ask_approval(self, sub: Submission, policy: Policy) -> None:
        channel = policy.approvers_channel
        assert channel
        asked = AuditEvent(sub.team_id, "approval_requested", sub.user_id, sub.id, {"channel": channel})
        if not self.s.repo.transition(
            sub.id,
            ["submitting"],
            "awaiting_approval",
            approval_requested_at=utc_now(),
            approval_channel=channel,
            approval_ts=None,
            approved_by=None,
            approved_at=None,
            then=[post_approval.spec(sub.id, sub.team_id)],
            audit=asked,
        ):
            return
        log.info("event=approval_requested submission=%s channel=%s", sub.id, channel)
        self.show(sub, messages.awaiting_approval_message(channel, sub.display_name, sub.id), "awaiting_approval")

    # --- the approvers' message -------------------------------------------------------------
    def post_approval_request(self, submission_id: str) -> None:
        sub = self.s.repo.get(submission_id)
        if sub is None or sub.status != "awaiting_approval" or sub.approval_ts or not sub.approval_channel:
            return
        msg = messages.approval_request_message(sub.id, sub.user_id, *self._request_facts(sub))
        try:
            resp = self.slack_for(sub.team_id).chat_postMessage(
                channel=sub.approval_channel, text=msg.text, blocks=msg.blocks
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error"))
            if error not in _UNREACHABLE:
                raise  # the job retries with backoff
            log.warning("event=approvers_unreachable submission=%s error=%s", sub.id, error)
            reason = f"I could not post in the approvers channel <#{sub.approval_channel}> (Slack said `{error}`)"
            reason += "; an admin must invite me there"
            self._refuse(sub, Refusal("approvers_unreachable", reason), waiting_in="awaiting_approval")
            return
        self.s.repo.update(sub.id, approval_ts=str(resp.get("ts")))

    def _request_facts(self, sub: Submission) -> tuple[str, str, str, str | None]:
        """(voice, checklist outcome, photo SHA-256, replica name) for the approvers."""
        findings = sub.check_result.get("findings", [])
        warnings = [str(f.get("message", "")) for f in findings if f.get("severity") == "warn"]
        outcome = "passed every check"
        if warnings:
            outcome = f"passed with {len(warnings)} warning(s): " + "; ".join(w[:120] for w in warnings[:5])
        return sub.voice_name or "", outcome, sub.photo_sha256 or "", sub.display_name

    def close_request(self, sub: Submission, decision: str) -> None:
        """Replace the approvers' message (its buttons go) with the decision."""
        if not sub.approval_channel or not sub.approval_ts:
            return
        msg = messages.approval_decided_message(sub.user_id, *self._request_facts(sub), decision)
        args = {"channel": sub.approval_channel, "ts": sub.approval_ts, "text": msg.text, "blocks": msg.blocks}
        self.enqueue(slack_call.spec("chat_update", sub.team_id, **args))

    # --- deciding ----------------------------------------------------------------------------
    def _decision_problem(self, sub: Submission | None, team_id: str, approver: str) -> str | None:
        """Why this person may not decide this request now (None: they may)."""
        if sub is None or sub.team_id != team_id:
            return "That request no longer exists."
        if not self.is_admin(team_id, approver):
            log.warning("event=decision_refused reason=not_admin submission=%s user=%s", sub.id, approver)
            return "Only this workspace's admins can approve or deny replica requests."
        if approver == sub.user_id:
            log.warning("event=decision_refused reason=own_request submission=%s", sub.id)
            return "You cannot decide your own request; another admin must."
        if sub.status != "awaiting_approval":
            return "This request was already decided (or withdrawn)."
        if self._lapsed(sub):
            self.lapse(sub)
            return "This request lapsed: nobody answered it within 7 days. The requester can ask again."
        return None

    def _lapsed(self, sub: Submission) -> bool:
        return bool(sub.approval_requested_at) and str(sub.approval_requested_at) <= seconds_ago(
            self.s.settings.approval_lapse_seconds
        )

    def approve(self, team_id: str, submission_id: str, approver: str, channel: str) -> None:
        """The Approve button (run by a worker); the approver hears why if it was refused."""
        sub = self.s.repo.get(submission_id)
        problem = self._decision_problem(sub, team_id, approver)
        if problem or sub is None:
            self.tell(team_id, channel, approver, problem or "")
            return
        approved = AuditEvent(
            team_id, "approved", approver, sub.id, {"requester": sub.user_id, "photo_sha256": sub.photo_sha256}
        )
        if not self.s.repo.transition(
            sub.id,
            ["awaiting_approval"],
            "submitting",
            approved_by=approver,
            approved_at=utc_now(),
            then=[create_replica.spec(sub.id, team_id)],
            audit=approved,
        ):
            return
        log.info("event=approved submission=%s approver=%s", sub.id, approver)
        self.close_request(sub, f":white_check_mark: approved by <@{approver}>")
        text = messages.approved_thread_text(approver)
        self.post(sub.channel_id, sub.thread_ts, Message(text), f"approved:{sub.id}:{utc_now()}", team_id)

    def may_deny(self, team_id: str, submission_id: str, approver: str) -> str | None:
        """Before the Deny modal opens: why this person may not deny (None: they may)."""
        return self._decision_problem(self.s.repo.get(submission_id), team_id, approver)

    def deny(self, team_id: str, submission_id: str, approver: str, reason: str) -> str | None:
        """The Deny modal's submission (checked again here). Returns the modal's error, if any."""
        reason = " ".join(reason.split())
        if len(reason) < 3:
            return "Say why in a few words; the requester reads it."
        sub = self.s.repo.get(submission_id)
        problem = self._decision_problem(sub, team_id, approver)
        if problem or sub is None:
            return problem
        denied = AuditEvent(team_id, "denied", approver, sub.id, {"requester": sub.user_id, "reason": reason})
        news = Message(messages.denied_thread_text(approver, reason))
        if not self.s.repo.transition(
            sub.id,
            ["awaiting_approval"],
            "denied",
            finished_at=utc_now(),
            error_message=f"denied: {reason}"[:1000],
            then=[show_message.spec(sub.id, team_id, news, "denied")],
            audit=denied,
        ):
            return "This request was already decided."
        self.s.repo.delete_photo(sub.id)
        log.info("event=denied submission=%s approver=%s", sub.id, approver)
        self.close_request(sub, f":no_entry: denied by <@{approver}>: “{messages.escape(reason)}”")
        return None

    # --- lapsing -----------------------------------------------------------------------------
    def lapse_requests(self) -> None:
        """Maintenance: requests nobody answered within the lapse period go back to their drafts."""
        cutoff = seconds_ago(self.s.settings.approval_lapse_seconds)
        for sub in self.s.repo.older_than(["awaiting_approval"], "approval_requested_at", cutoff):
            self.lapse(sub)

    def lapse(self, sub: Submission) -> None:
        lapsed = AuditEvent(sub.team_id, "approval_lapsed", BOT, sub.id, {"requester": sub.user_id})
        if not self.s.repo.transition(sub.id, ["awaiting_approval"], "ready", audit=lapsed):
            return
        log.info("event=approval_lapsed submission=%s", sub.id)
        self.close_request(sub, ":hourglass: lapsed: nobody answered within 7 days")
        self._back_to_draft(sub, messages.lapsed_thread_text(), "lapsed")

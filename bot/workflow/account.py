"""A person's own things: replica names, deleting replicas, and their App Home tab."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from storage import utc_now
from storage.audit import AuditEvent

from .. import messages
from ..jobs.kinds import show_message
from ..tavus import TavusError, TavusNotFound
from .base import NoTavusKey
from .ids import name_problem
from .output import NO_ANSWER_ERRORS, SlackOutput, error_of

log = logging.getLogger(__name__)

DELETABLE = ("training", "completed", "failed")


class AccountSteps(SlackOutput):
    def set_default_name(self, team_id: str, user_id: str, name: str) -> str:
        problem = name_problem(name)
        if problem:
            return messages.name_invalid_text(problem)
        self.s.repo.set_default_name(team_id, user_id, name.strip())
        return messages.name_set_text(name.strip())

    def rename_draft(self, submission_id: str, user_id: str, name: str, team_id: str | None = None) -> str | None:
        """The name modal's submission; returns the problem to show in the modal, if any.
        Called in the listener: the offer is redrawn in the background."""
        problem = name_problem(name)
        if problem:
            return problem
        sub = self.s.repo.get(submission_id)
        if sub is None or sub.user_id != user_id or (team_id is not None and sub.team_id != team_id):
            return "only the person who uploaded this photo can rename it"
        offer = self.offer(sub, display_name=name.strip())
        redraw = show_message.spec(sub.id, sub.team_id, offer, f"renamed-{utc_now()}")
        if not self.s.repo.transition(sub.id, ["ready"], "ready", display_name=name.strip(), then=[redraw]):
            return "this photo was already sent to Tavus"
        return None

    def delete_replica(self, team_id: str, user_id: str, replica_id: str) -> str:
        sub = self.s.repo.by_replica_id(replica_id)
        if sub is None or sub.user_id != user_id or sub.team_id != team_id or sub.status not in DELETABLE:
            return messages.delete_refused_text(replica_id)
        try:
            self.tavus_for(team_id).delete_replica(replica_id)
        except NoTavusKey:
            return messages.delete_failed_text("no Tavus key is connected for this workspace")
        except TavusNotFound:
            pass  # already gone at Tavus: record it as deleted here too
        except TavusError as exc:
            log.warning("event=delete_failed replica=%s error=%s", replica_id, exc)
            return messages.delete_failed_text(exc.message)
        deleted = AuditEvent(team_id, "replica_deleted", user_id, replica_id, {"submission": sub.id}, sub.enterprise_id)
        self.s.repo.transition(sub.id, DELETABLE, "deleted", deleted_at=utc_now(), audit=deleted)
        log.info("event=replica_deleted submission=%s replica=%s", sub.id, replica_id)
        self.cleanup_object(sub.id)
        self.publish_home(team_id, user_id)
        return messages.deleted_text(replica_id)

    def owns_replica(self, team_id: str, user_id: str, replica_id: str) -> bool:
        sub = self.s.repo.by_replica_id(replica_id)
        return sub is not None and sub.user_id == user_id and sub.team_id == team_id and sub.status in DELETABLE

    def publish_home(self, team_id: str, user_id: str) -> None:
        rows = [vars(s) for s in self.s.repo.for_user(team_id, user_id)]
        view = messages.home_view(
            rows,
            self.s.repo.get_voice(team_id, user_id),
            self.voices_for(team_id).names(),
            self.admin_blocks(team_id, user_id),
        )
        try:
            self.slack_for(team_id).views_publish(user_id=user_id, view=view)
        except (SlackApiError, *NO_ANSWER_ERRORS) as exc:  # the Home tab is a convenience: never fail a step over it
            log.warning("event=home_publish_failed user=%s error=%s", user_id, error_of(exc))

"""A workspace's own steps: its admins, its Tavus key, its policy, and leaving it (uninstall).

Admins are Slack's workspace admins and owners (users.info). Every admin-only step asks
again when it runs, so a crafted payload from anyone else changes nothing.
"""

from __future__ import annotations

import logging

import httpx
from slack_sdk.errors import SlackApiError

from storage.audit import AuditEvent

from .. import messages
from ..jobs.kinds import forget_workspace, refresh_home
from ..policy import Policy
from ..rehost import RehostError
from ..tavus import TavusClient, TavusError
from ..workspaces.admins import AdminDirectory
from ..workspaces.secrets import last_four
from .output import SlackOutput

log = logging.getLogger(__name__)

KEY_TRY_TIMEOUT_SECONDS = 2.5  # a view_submission must be answered within 3 s


class WorkspaceSteps(SlackOutput):
    _admins = AdminDirectory()

    def is_admin(self, team_id: str, user_id: str) -> bool:
        """Slack's admins and owners, and the people they added in the settings."""
        if user_id in self.s.workspaces.extra_admins(team_id):
            return True
        return self._admins.is_admin(self.slack_for(team_id), team_id, user_id)

    def may_change_settings(self, team_id: str, user_id: str, step: str) -> bool:
        """Workspace settings exist with OAuth installs, for admins only (asked every time:
        a crafted payload from anyone else changes nothing)."""
        if self.s.workspaces.oauth and self.is_admin(team_id, user_id):
            return True
        log.warning("event=settings_refused step=%s team=%s user=%s", step, team_id, user_id)
        return False

    def settings_blocks(self, team_id: str, user_id: str) -> list[dict[str, object]] | None:
        """The App Home's settings section when this person administers an OAuth workspace."""
        if not self.s.workspaces.oauth or not self.is_admin(team_id, user_id):
            return None  # (not a refusal: everyone's Home is drawn, most without settings)
        info = self.s.workspaces.tavus_key_info(team_id)
        return messages.settings_blocks(info.source, info.shown, info.set_by)

    def explain_no_key(self, team_id: str, channel: str, user_id: str, thread_ts: str | None) -> None:
        client = self.slack_for(team_id)
        try:
            admins = self._admins.admins(client)
        except SlackApiError as exc:
            log.warning("event=admins_unknown team=%s error=%s", team_id, exc.response.get("error"))
            admins = []
        client.chat_postEphemeral(
            channel=channel, user=user_id, text=messages.no_tavus_key_text(admins), thread_ts=thread_ts
        )

    def open_key_modal(self, team_id: str, user_id: str, trigger_id: str) -> bool:
        if not self.may_change_settings(team_id, user_id, "open"):
            return False
        info = self.s.workspaces.tavus_key_info(team_id)
        shown = info.shown if info.source == "workspace" else None
        modal = messages.tavus_key_modal(shown)
        # (the handler already runs this off the request thread, within the trigger's 3 s)
        self.slack_for(team_id).views_open(trigger_id=trigger_id, view=modal)
        return True

    def save_settings(self, team_id: str, user_id: str, key: str) -> dict[str, str] | None:
        """The settings modal: the Tavus key, tried against Tavus first. Returns the modal's
        field errors, if any."""
        if not self.may_change_settings(team_id, user_id, "save"):
            return {messages.BLOCK_TAVUS_KEY: "Only workspace admins can change these settings."}
        key = key.strip()
        if not key and self.s.workspaces.tavus_key_info(team_id).source != "workspace":
            return {messages.BLOCK_TAVUS_KEY: "Paste the workspace's Tavus API key."}
        if key:
            problem = self._save_tavus_key(team_id, user_id, key)
            if problem:
                return {messages.BLOCK_TAVUS_KEY: problem}
        return None

    def set_admins(self, team_id: str, user_id: str, admins: list[str]) -> None:
        """The people besides Slack's admins and owners who administer the bot here (the
        caller checked that `user_id` is an admin)."""
        before = self.s.workspaces.extra_admins(team_id)
        if sorted(set(admins)) == before:
            return
        self.s.workspaces.set_extra_admins(team_id, admins)
        change = {"before": before, "after": sorted(set(admins))}
        self.s.repo.audit(AuditEvent(team_id, "admins_changed", user_id, None, change))
        log.info("event=admins_set team=%s user=%s count=%d", team_id, user_id, len(admins))
        self.enqueue(refresh_home.spec(team_id, user_id))

    def policy_for(self, team_id: str) -> Policy:
        stored = self.s.repo.policy_of(team_id)
        return Policy.from_json(stored.text if stored else None)

    def _save_tavus_key(self, team_id: str, user_id: str, key: str) -> str | None:
        """Try the key against Tavus and save it (the caller checked the admin); returns the
        modal field's error, if any."""
        if any(c.isspace() for c in key):
            return "Paste the key alone: one word, no spaces."
        problem = self._try_key(key)
        if problem:
            log.info("event=tavus_key_rejected team=%s user=%s", team_id, user_id)
            return problem
        self.s.workspaces.set_tavus_key(team_id, key, user_id)
        log.info("event=tavus_key_set team=%s user=%s", team_id, user_id)  # never the key
        self.s.repo.audit(AuditEvent(team_id, "tavus_key_set", user_id, None, {"shown": last_four(key)}))
        self.enqueue(refresh_home.spec(team_id, user_id))
        return None

    def _try_key(self, key: str) -> str | None:
        settings = self.s.settings
        client = TavusClient(key, settings.tavus_api_url, max_retries=0, timeout=httpx.Timeout(KEY_TRY_TIMEOUT_SECONDS))
        try:
            client.list_replicas(limit=1)
        except TavusError as exc:
            if exc.status in (401, 403):
                return f"Tavus refused this key ({exc.status}). Check it in the Tavus portal and paste it again."
            return "Tavus could not be reached to try the key. Please try again in a minute."
        finally:
            client.close()
        return None

    def remove_tavus_key(self, team_id: str, user_id: str) -> bool:
        if not self.may_change_settings(team_id, user_id, "remove_key"):
            return False
        self.s.workspaces.remove_tavus_key(team_id)
        log.info("event=tavus_key_removed team=%s user=%s", team_id, user_id)
        self.s.repo.audit(AuditEvent(team_id, "tavus_key_removed", user_id))
        self.enqueue(refresh_home.spec(team_id, user_id))
        return True

    # --- uninstall --------------------------------------------------------------------------
    def uninstall(self, team_id: str, enterprise_id: str | None) -> None:
        """`app_uninstalled` / `tokens_revoked`: tokens and Tavus key deleted at once, waiting
        jobs cancelled, open submissions closed; a job deletes the rehosted photos."""
        self.s.workspaces.forget(team_id, enterprise_id)
        self.s.repo.audit(AuditEvent(team_id, "workspace_uninstalled", "slack", None, {}, enterprise_id))
        cancelled = self.s.jobs.cancel_waiting(team_id=team_id)
        with_objects = self.s.repo.close_workspace(team_id)
        self.enqueue(forget_workspace.spec(team_id, with_objects))
        log.info(
            "event=workspace_uninstalled team=%s jobs_cancelled=%d objects=%d", team_id, cancelled, len(with_objects)
        )

    def delete_workspace_objects(self, submission_ids: list[str]) -> None:
        left = [sid for sid in submission_ids if not self.cleanup_object(sid)]
        if left:  # the job retries with backoff; the ones deleted are not tried again
            raise RehostError(f"{len(left)} rehosted photos could not be deleted yet")

"""What every workflow step shares: the services, job enqueuing, in-flight claims, cleanup."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from storage import Repository, Submission, utc_now
from storage.jobs import JobSpec, JobStore

from ..config import Settings
from ..inbox.replay import Replayed
from ..jobs.kinds import slack_call
from ..messages import Message
from ..rehost import PhotoRehost, RehostError
from ..slack_files import SlackFileDownloader
from ..tavus import TavusClient
from ..voices import VoiceCatalog
from ..workspaces.directory import Workspaces

log = logging.getLogger(__name__)


class NoTavusKey(Exception):
    """The workspace has no Tavus key yet: an admin must connect one in the App Home."""


@dataclass
class Services:
    settings: Settings
    repo: Repository
    jobs: JobStore  # slow work goes here; any worker process takes it
    slack: WebClient
    downloader: SlackFileDownloader
    rehost: PhotoRehost
    tavus: TavusClient | None  # the environment's key (None in OAuth mode without one)
    voices: VoiceCatalog
    process_id: str = "process"  # who marks outbox notices as being sent
    # Slack calls that must happen within 3 s of a request (views.open with a trigger_id):
    # run off the request thread in the web role, never queued behind jobs.
    modal_pool: Executor | None = None
    # Per workspace: Slack token, Tavus key and voices (by default the single-token mode's:
    # the clients above for every workspace).
    workspaces: Workspaces = None  # type: ignore[assignment]
    # Runs a Slack request the web role stored (bot/inbox/); set where Bolt's app is built.
    replay: Callable[[Mapping[str, Any]], Replayed] | None = None

    def __post_init__(self) -> None:
        if self.workspaces is None:
            self.workspaces = Workspaces.single_token(self.repo, self.slack, self.tavus, self.voices)


class WorkflowBase:
    def __init__(self, services: Services):
        self.s = services
        self._inflight: set[str] = set()
        self._inflight_lock = threading.Lock()
        # The poll job, the maintenance job and a finishing submission all deliver notices,
        # on different threads; one at a time, or two could read and post the same notice.
        self._delivering = threading.Lock()

    # --- work for later -----------------------------------------------------------------
    def enqueue(self, spec: JobSpec) -> bool:
        """Hand slow work to a worker (this process or another); durable once this returns."""
        return self.s.jobs.enqueue(spec)

    def tell(self, team_id: str | None, channel: str, user_id: str, text: str, thread_ts: str | None = None) -> None:
        """An ephemeral note for one person, sent by a worker."""
        args: dict[str, object] = {"channel": channel, "user": user_id, "text": text}
        if thread_ts:
            args["thread_ts"] = thread_ts
        self.enqueue(slack_call.spec("chat_postEphemeral", team_id, **args))

    def say(self, team_id: str | None, channel: str, text: str) -> None:
        """A plain message in a channel (the DM), sent by a worker."""
        self.enqueue(slack_call.spec("chat_postMessage", team_id, channel=channel, text=text))

    def in_modal_pool(self, fn: Callable[[], object]) -> None:
        """Run a trigger_id call (views.open) now, off the request thread."""
        if self.s.modal_pool is None:
            self.guarded(fn)
        else:
            self.s.modal_pool.submit(self.guarded, fn)

    @staticmethod
    def guarded(fn: Callable[..., object], *args: object) -> None:
        try:
            fn(*args)
        except Exception:  # a worker must survive any one step
            log.exception("event=step_failed step=%s", getattr(fn, "__name__", fn))

    def slack_for(self, team_id: str | None) -> WebClient:
        """The Web API client that speaks for a workspace (WorkspaceGone once uninstalled)."""
        return self.s.workspaces.slack_for(team_id)

    def tavus_for(self, team_id: str | None) -> TavusClient:
        """The workspace's Tavus client (NoTavusKey while no key is connected)."""
        client = self.s.workspaces.tavus_for(team_id)
        if client is None:
            raise NoTavusKey(team_id)
        return client

    def voices_for(self, team_id: str | None) -> VoiceCatalog:
        return self.s.workspaces.voices_for(team_id)

    def claim(self, submission_id: str) -> bool:
        """One thread at a time per submission within this process (jobs are claimed once
        across processes; this also guards direct calls)."""
        with self._inflight_lock:
            if submission_id in self._inflight:
                return False
            self._inflight.add(submission_id)
            return True

    def release(self, submission_id: str) -> None:
        with self._inflight_lock:
            self._inflight.discard(submission_id)

    # --- Slack output (SlackOutput implements these) ------------------------------------
    def show(self, sub: Submission, msg: Message, step: str) -> None:
        raise NotImplementedError

    def post(
        self, channel: str, thread_ts: str | None, msg: Message, key: str, team_id: str | None = None
    ) -> str | None:
        raise NotImplementedError

    def publish_home(self, team_id: str, user_id: str) -> None:
        """Refresh the person's App Home tab (AccountSteps does it; a no-op here)."""

    def settings_blocks(self, team_id: str, user_id: str) -> list[dict[str, object]] | None:
        """The App Home's settings section for this person (WorkspaceSteps: admins only)."""
        return None

    def admin_blocks(self, team_id: str, user_id: str) -> list[dict[str, object]] | None:
        """The App Home's admin sections for this person (PolicySteps: admins only)."""
        return None

    def close_request(self, sub: Submission, decision: str) -> None:
        """Show a decision on the approvers' message of `sub` (ApprovalSteps does it)."""

    def pass_policy(self, sub: Submission) -> bool:
        """Whether the workspace's policy lets `sub` be created now (ApprovalSteps decides)."""
        return True

    # --- S3 cleanup ---------------------------------------------------------------------
    def cleanup_object(self, submission_id: str) -> bool:
        """Delete the submission's rehosted photo; False when S3 refused (it stays for later)."""
        sub = self.s.repo.get(submission_id)
        if sub is None or not sub.s3_key or sub.s3_deleted_at:
            return True
        try:
            self.s.rehost.delete(sub.s3_key)
        except RehostError as exc:
            log.warning("event=s3_delete_failed submission=%s error=%s", sub.id, exc)
            return False
        self.s.repo.update(sub.id, s3_deleted_at=utc_now())
        return True

"""Who speaks for a workspace: its Slack client and token, its Tavus client and voices.

Single-token mode (SLACK_BOT_TOKEN, no SLACK_CLIENT_ID): every workspace is the one the
token belongs to, with the environment's Tavus key; nothing changes for today's users.
OAuth mode: each workspace's bot token comes from its installation (decrypted on use), and
its Tavus key from the key an admin pasted in the App Home, or else `TAVUS_API_KEY` from the
environment when that is set. Clients are cached per token or key, never per request.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation

from storage import Repository
from storage.workspaces import install_key

from ..tavus import TavusClient
from ..voices import VoiceCatalog, account_of, no_voices
from .installations import DatabaseInstallationStore
from .secrets import Keyring, last_four

log = logging.getLogger(__name__)

_Client = TypeVar("_Client", WebClient, TavusClient)


class WorkspaceGone(Exception):
    """The app is not (or no longer) installed in this workspace: nothing is sent for it."""


@dataclass(frozen=True)
class TavusKeyInfo:
    source: str  # "workspace" | "environment" | "none"
    shown: str | None  # the last four characters, for admins
    set_by: str | None = None
    set_at: str | None = None


class Workspaces:
    def __init__(
        self,
        repo: Repository,
        default_slack: WebClient,
        default_tavus: TavusClient | None,
        default_voices: VoiceCatalog,
        default_tavus_key: str | None,
        make_slack: Callable[[str], WebClient],
        make_tavus: Callable[[str], TavusClient],
        keyring: Keyring | None = None,
        rotate: Callable[[Installation], Installation | None] | None = None,
    ):
        """Single-token mode: no keyring; every workspace gets the default clients.
        OAuth mode: a keyring; `rotate` refreshes an installation whose token expires soon
        (token rotation), returning the refreshed one (None when it is not due); the
        installation store calls it."""
        self._repo = repo
        self._default_slack = default_slack
        self._default_tavus = default_tavus
        self._default_key = default_tavus_key or None
        self._make_slack = make_slack
        self._make_tavus = make_tavus
        self.keyring = keyring
        self.installations = DatabaseInstallationStore(repo, keyring, rotate) if keyring else None
        self._lock = threading.Lock()
        self._slack: dict[str, WebClient] = {}
        self._tavus: dict[str, TavusClient] = {}
        self._voices: dict[str, VoiceCatalog] = {default_tavus_key or "": default_voices}

    @classmethod
    def single_token(
        cls, repo: Repository, slack: WebClient, tavus: TavusClient | None, voices: VoiceCatalog
    ) -> Workspaces:
        """One workspace's clients for every workspace (the key is only a label here)."""

        def unused(_: str) -> Any:
            raise AssertionError("single-token mode makes no clients per workspace")

        return cls(repo, slack, tavus, voices, "default" if tavus else None, unused, unused)

    @property
    def oauth(self) -> bool:
        return self.installations is not None

    # --- which install serves a team ----------------------------------------------------
    def remember_team(self, team_id: str, enterprise_id: str | None, is_enterprise_install: bool) -> None:
        """Seen on a request: the install that serves this team (an org-wide install serves
        every team of its enterprise)."""
        if self.oauth and team_id:
            self._repo.remember_team(team_id, enterprise_id, install_key(enterprise_id, team_id, is_enterprise_install))

    def key_of(self, team_id: str | None) -> str:
        """The install key of a team's workspace (its settings and secrets hang off it)."""
        if self.oauth and team_id:
            known = self._repo.install_key_of_team(team_id)
            if known:
                return known
        return install_key(None, team_id or "", False)

    # --- Slack --------------------------------------------------------------------------
    def installation(self, team_id: str | None) -> Installation:
        """The workspace's installation (its token refreshed first when it expires soon)."""
        assert self.installations is not None
        found = self.installations.find_by_key(self.key_of(team_id))
        if found is None or not found.bot_token:
            raise WorkspaceGone(f"replica-bot is not installed in workspace {team_id}")
        return found

    def bot_token(self, team_id: str | None) -> str | None:
        """The token that speaks for the workspace (None in single-token mode: the default)."""
        if not self.oauth:
            return None
        return self.installation(team_id).bot_token

    def slack_for(self, team_id: str | None) -> WebClient:
        token = self.bot_token(team_id)
        return self._default_slack if token is None else self._cached(self._slack, token, self._make_slack)

    # --- Tavus --------------------------------------------------------------------------
    def tavus_key(self, team_id: str | None) -> str | None:
        stored = self._repo.tavus_key(self.key_of(team_id)) if self.keyring else None
        if stored is not None and self.keyring is not None:
            return self.keyring.decrypt(stored.sealed)
        return self._default_key

    def tavus_key_info(self, team_id: str | None) -> TavusKeyInfo:
        stored = self._repo.tavus_key(self.key_of(team_id)) if self.keyring else None
        if stored is not None:
            return TavusKeyInfo("workspace", stored.last4, stored.set_by, stored.set_at)
        if self._default_key:
            return TavusKeyInfo("environment", last_four(self._default_key))
        return TavusKeyInfo("none", None)

    def tavus_for(self, team_id: str | None) -> TavusClient | None:
        """The workspace's Tavus client, or None while no key is connected."""
        key = self.tavus_key(team_id)
        return self.tavus_with(key) if key else None

    def tavus_with(self, key: str) -> TavusClient:
        if key == self._default_key and self._default_tavus is not None:
            return self._default_tavus
        return self._cached(self._tavus, key, self._make_tavus)

    def _cached(self, cache: dict[str, _Client], key: str, make: Callable[[str], _Client]) -> _Client:
        """One client per token or key, made on first use."""
        with self._lock:
            client = cache.get(key)
            if client is None:
                client = cache[key] = make(key)
            return client

    def voices_for(self, team_id: str | None) -> VoiceCatalog:
        """The voice catalog of the workspace's Tavus account (kept per key: the list is the
        account's; the documented stock voices while no key is connected)."""
        key = self.tavus_key(team_id) or ""
        with self._lock:
            catalog = self._voices.get(key)
        if catalog is None:
            fetch = self.tavus_with(key).list_voices if key else no_voices
            fresh = VoiceCatalog(fetch, self._repo, account_of(key) if key else "none")
            with self._lock:
                catalog = self._voices.setdefault(key, fresh)
        return catalog

    def all_voice_catalogs(self) -> list[VoiceCatalog]:
        with self._lock:
            return list(self._voices.values())

    # --- keys set by admins -------------------------------------------------------------
    def set_tavus_key(self, team_id: str, key: str, set_by: str) -> None:
        assert self.keyring is not None, "Tavus keys per workspace need ENCRYPTION_KEY"
        self._repo.set_tavus_key(self.key_of(team_id), self.keyring.encrypt(key), last_four(key), set_by)

    def extra_admins(self, team_id: str | None) -> list[str]:
        """People an admin made admins here, beside Slack's own admins and owners."""
        return self._repo.extra_admins(self.key_of(team_id))

    def set_extra_admins(self, team_id: str, users: list[str]) -> None:
        self._repo.set_extra_admins(self.key_of(team_id), users)

    def remove_tavus_key(self, team_id: str) -> None:
        self._repo.remove_tavus_key(self.key_of(team_id))

    def forget(self, team_id: str, enterprise_id: str | None) -> None:
        """The app was uninstalled from this workspace: its tokens and Tavus key go at once."""
        if self.installations is None:
            return
        key = self.key_of(team_id)
        self._repo.delete_installation(key)
        if not key.startswith("E:"):
            self.installations.delete_all(enterprise_id=enterprise_id, team_id=team_id)
        with self._lock:
            self._slack.clear()  # (tokens are looked up again; the gone one is not found)

"""Bolt's OAuth stores on the bot's own database: installations (encrypted) and states.

slack-sdk's `InstallationStore` and `OAuthStateStore` interfaces, implemented over
storage/workspaces.py, so OAuth installs live in the same SQLite or PostgreSQL database as
everything else, and every token is encrypted with the keyring before it is stored. Bolt's
authorize finds the bot token per request through `find_bot`; token rotation (refresh
tokens) works through Bolt's own rotator, which saves the refreshed installation here.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore

from storage import Repository, seconds_from_now
from storage.leases import Leases
from storage.workspaces import install_key

from .secrets import Keyring

log = logging.getLogger(__name__)


def _due(installation: Installation) -> bool:
    expires = installation.bot_token_expires_at
    return (
        bool(installation.bot_refresh_token) and expires is not None and expires - time.time() < ROTATE_BEFORE_SECONDS
    )


def _plain(name: str, value: Any) -> Any:
    """JSON for a field of Installation.to_dict(): times as the numbers its constructor takes
    (expiry times as whole seconds, the install time as a float)."""
    if not isinstance(value, datetime):
        return value
    return value.timestamp() if name == "installed_at" else int(value.timestamp())


ROTATE_BEFORE_SECONDS = 120 * 60  # as Bolt's own window: a token we return is never due for Bolt
ROTATION_LEASE_SECONDS = 30.0


class DatabaseInstallationStore(InstallationStore):
    """With `rotate` (token rotation on), an installation whose bot token expires within two
    hours is refreshed here, by one process at a time (a lease per install; Slack's refresh
    tokens work once), and saved before it is returned: Bolt and the workers then always
    see a fresh token and never race to refresh it."""

    def __init__(
        self,
        repo: Repository,
        keyring: Keyring,
        rotate: Callable[[Installation], Installation | None] | None = None,
    ):
        self._repo = repo
        self._keyring = keyring
        self._rotate = rotate
        self._leases = Leases(repo.db)
        self._me = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"

    @property
    def logger(self) -> logging.Logger:
        return log

    def save(self, installation: Installation) -> None:
        data = {k: _plain(k, v) for k, v in installation.to_dict().items()}
        data["custom_values"] = installation.custom_values
        self._repo.save_installation(
            installation.enterprise_id,
            installation.team_id,
            bool(installation.is_enterprise_install),
            self._keyring.encrypt(json.dumps(data)),
        )
        log.info(
            "event=installation_saved enterprise=%s team=%s org_wide=%s",
            installation.enterprise_id,
            installation.team_id,
            bool(installation.is_enterprise_install),
        )

    def save_bot(self, bot: Bot) -> None:
        """A refreshed bot token (Bolt's bot-only mode): folded into the installation."""
        found = self._load(install_key(bot.enterprise_id, bot.team_id, bool(bot.is_enterprise_install)))
        if found is None:
            return
        found.bot_token, found.bot_refresh_token = bot.bot_token, bot.bot_refresh_token
        found.bot_token_expires_at = bot.bot_token_expires_at
        self.save(found)

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        return self.find_by_key(install_key(enterprise_id, team_id, bool(is_enterprise_install)))

    def find_by_key(self, key: str) -> Installation | None:
        """The installation stored under `key` (storage/workspaces.install_key), refreshed
        first when its token is due."""
        found = self._load(key)
        if found is not None and self._rotate is not None and _due(found):
            found = self._rotate_once(key)
        return found

    def _load(self, key: str) -> Installation | None:
        stored = self._repo.find_installation(key)
        if stored is None:
            return None
        data = json.loads(self._keyring.decrypt(stored.sealed))
        custom = data.pop("custom_values", None) or {}
        return Installation(**data, custom_values=custom)

    def _rotate_once(self, key: str) -> Installation | None:
        assert self._rotate is not None
        lease = f"token-rotation:{key}"
        deadline = time.monotonic() + ROTATION_LEASE_SECONDS
        while time.monotonic() < deadline:
            if self._leases.acquire(lease, self._me, ROTATION_LEASE_SECONDS):
                try:
                    fresh = self._load(key)  # another process may have refreshed it meanwhile
                    if fresh is not None and _due(fresh):
                        refreshed = self._rotate(fresh)
                        if refreshed is not None:
                            self.save(refreshed)
                            log.info("event=token_rotated install=%s", key)
                            fresh = refreshed
                    return fresh
                finally:
                    self._leases.release(lease, self._me)
            time.sleep(0.05)
        return self._load(key)  # (the holder is slow: its refresh lands soon; Bolt retries)

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        installation = self.find_installation(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
        )
        return installation.to_bot() if installation and installation.bot_token else None

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self.delete_all(enterprise_id=enterprise_id, team_id=team_id)

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        self.delete_all(enterprise_id=enterprise_id, team_id=team_id)

    def delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        for key in {install_key(enterprise_id, team_id, False), install_key(enterprise_id, team_id, not team_id)}:
            self._repo.delete_installation(key)


class DatabaseStateStore(OAuthStateStore):
    """OAuth `state` values: random, stored, single use, expiring (a state only this server
    could have produced)."""

    def __init__(self, repo: Repository, expiration_seconds: int = 600):
        self._repo = repo
        self.expiration_seconds = expiration_seconds

    @property
    def logger(self) -> logging.Logger:
        return log

    def issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(32)
        self._repo.issue_state(state, seconds_from_now(self.expiration_seconds))
        return state

    def consume(self, state: str) -> bool:
        return self._repo.consume_state(state)

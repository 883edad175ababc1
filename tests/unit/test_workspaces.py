"""Workspaces at rest: installations and Tavus keys encrypted, found per workspace or org,
states single-use, keys rotated — on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from slack_sdk.oauth.installation_store import Installation

from bot.workspaces.installations import DatabaseInstallationStore, DatabaseStateStore
from bot.workspaces.secrets import Keyring, KeyringError, last_four
from storage import Repository

BOT_TOKEN = "xoxb-111-222-SECRETBOTTOKEN"
REFRESH = "xoxe-1-SECRETREFRESH"


def installation(team: str | None = "T1", enterprise: str | None = None, org: bool = False) -> Installation:
    return Installation(
        app_id="A1",
        enterprise_id=enterprise,
        team_id=team,
        bot_token=BOT_TOKEN,
        bot_id="B1",
        bot_user_id="UBOT",
        bot_scopes="chat:write,im:history",
        bot_refresh_token=REFRESH,
        bot_token_expires_in=43200,
        user_id="UADMIN",
        is_enterprise_install=org,
    )


def dump(repo: Repository) -> str:
    """Every value in every table, as a database dump would show them."""
    text = []
    with repo.db.read() as tx:
        for table in ("installations", "oauth_states", "workspace_settings"):
            text += [repr(row) for row in tx.rows(f"SELECT * FROM {table}")]
    return "\n".join(text)


def test_an_installation_round_trips_encrypted(database_url: str) -> None:
    repo, keyring = Repository(database_url), Keyring([Keyring.new_key()])
    store = DatabaseInstallationStore(repo, keyring)
    store.save(installation())
    bot = store.find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_token == BOT_TOKEN and bot.bot_refresh_token == REFRESH
    assert bot.bot_token_expires_at is not None
    assert store.find_bot(enterprise_id=None, team_id="T2") is None
    found = store.find_installation(enterprise_id=None, team_id="T1")
    assert found is not None and found.user_id == "UADMIN" and found.bot_scopes == ["chat:write", "im:history"]
    assert BOT_TOKEN not in dump(repo) and REFRESH not in dump(repo) and "SECRET" not in dump(repo)


def test_grid_org_wide_and_workspace_installs_are_told_apart(database_url: str) -> None:
    repo = Repository(database_url)
    store = DatabaseInstallationStore(repo, Keyring([Keyring.new_key()]))
    store.save(installation(team=None, enterprise="E1", org=True))
    org = store.find_bot(enterprise_id="E1", team_id="T9", is_enterprise_install=True)
    assert org is not None and org.is_enterprise_install
    assert store.find_bot(enterprise_id="E1", team_id="T9", is_enterprise_install=False) is None
    store.save(installation(team="T9", enterprise="E1"))
    assert store.find_bot(enterprise_id="E1", team_id="T9") is not None
    store.delete_all(enterprise_id="E1", team_id=None)  # the org uninstall
    assert store.find_bot(enterprise_id="E1", team_id="T9", is_enterprise_install=True) is None
    assert store.find_bot(enterprise_id="E1", team_id="T9") is not None  # the workspace's own stays


def test_states_are_single_use_and_expire(database_url: str) -> None:
    repo = Repository(database_url)
    states = DatabaseStateStore(repo)
    state = states.issue()
    assert len(state) >= 40
    assert states.consume(state) and not states.consume(state)
    assert not states.consume("forged-state")
    stale = DatabaseStateStore(repo, expiration_seconds=-5).issue()
    assert not states.consume(stale)


def test_rotation_re_encrypts_everything_then_the_old_key_can_go(database_url: str) -> None:
    old, new = Keyring.new_key(), Keyring.new_key()
    repo = Repository(database_url)
    DatabaseInstallationStore(repo, Keyring([old])).save(installation())
    secret = "tvs-secret-key-9876"
    repo.set_tavus_key("-:T1", Keyring([old]).encrypt(secret), last_four(secret), "UADMIN")
    both = Keyring([new, old])
    assert repo.reseal_all(both.rotate) == 2
    only_new = Keyring([new])
    bot = DatabaseInstallationStore(repo, only_new).find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_token == BOT_TOKEN
    stored = repo.tavus_key("-:T1")
    assert stored is not None and only_new.decrypt(stored.sealed) == "tvs-secret-key-9876" and stored.last4 == "…9876"
    with pytest.raises(KeyringError, match="none of the keys"):
        Keyring([old]).decrypt(stored.sealed)


def test_uninstall_deletes_the_tavus_key_with_the_tokens(database_url: str) -> None:
    repo = Repository(database_url)
    keyring = Keyring([Keyring.new_key()])
    store = DatabaseInstallationStore(repo, keyring)
    store.save(installation())
    repo.set_tavus_key("-:T1", keyring.encrypt("tvs-key"), "…-key", "UADMIN")
    store.delete_all(enterprise_id=None, team_id="T1")
    assert store.find_bot(enterprise_id=None, team_id="T1") is None and repo.tavus_key("-:T1") is None


def test_a_bad_key_setting_is_named_without_echoing_it() -> None:
    with pytest.raises(KeyringError, match="key 2 of 2") as caught:
        Keyring.from_setting(f"{Keyring.new_key()},not-a-real-key-value")
    assert "not-a-real-key-value" not in str(caught.value)
    with pytest.raises(KeyringError, match="empty"):
        Keyring.from_setting(" , ")

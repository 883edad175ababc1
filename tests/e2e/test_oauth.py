"""OAuth installs into two workspaces, each with its own token and its own Tavus key, in one
running bot; isolation between them; the Tavus key modal; uninstall.

The real bot process over HTTP, against the fake Slack (which runs `oauth.v2.access` and
knows which workspace each token belongs to), the fake Tavus (one account per API key) and
moto's S3 server, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from typing import Any

import httpx

from bot.workspaces.secrets import Keyring
from storage import Repository
from tests.fakes.slack_api import FakeSlack
from tests.fakes.tavus_api import FakeTavus

from .flow import audit_trail, block_of, checklist_ts, policy_values, ready_notices, ready_update, updates_of
from .harness import BotProcess, file_share_event, free_port, wait_for

CLIENT_ID, CLIENT_SECRET = "1111.2222", "oauth-client-secret-9f2"
KEY_A, KEY_B = "tavus-key-workspace-A-1234", "tavus-key-workspace-B-5678"
ADMIN_A, ADMIN_B, PERSON_A, PERSON_B = "UADMINA", "UADMINB", "UPERSONA", "UPERSONB"


def start_oauth_bot(start_bot: Callable[..., BotProcess], slack: FakeSlack, tavus: FakeTavus) -> BotProcess:
    slack.client_credentials = (CLIENT_ID, CLIENT_SECRET)
    tavus.add_account(KEY_A)
    tavus.add_account(KEY_B)
    port = free_port()
    return start_bot(
        PORT=str(port),
        SLACK_BOT_TOKEN="",  # no single token: every workspace's comes from its install
        TAVUS_API_KEY="",  # no default key: each workspace connects its own
        SLACK_CLIENT_ID=CLIENT_ID,
        SLACK_CLIENT_SECRET=CLIENT_SECRET,
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        ENCRYPTION_KEY=Keyring.new_key(),
    )


def install(bot: BotProcess, slack: FakeSlack, team: str, code: str, rotation: bool = False) -> httpx.Response:
    """An admin clicks "Add to Slack", approves, and comes back with a code."""
    browser = httpx.Client(base_url=f"http://127.0.0.1:{bot.port}", timeout=10)
    page = browser.get("/slack/install")
    assert page.status_code == 200, page.text
    state = re.search(r"state=([A-Za-z0-9_\-]+)", page.text)
    assert state, page.text
    assert f"client_id={CLIENT_ID}" in page.text and "scope=chat%3Awrite" in page.text.replace(":", "%3A")
    slack.grant(code, team, installer=f"UADMIN{team[-1]}", rotation=rotation)
    # Bolt's state cookie is Secure (https only): sent back by hand, as a browser on https would.
    cookie = page.headers["set-cookie"].split(";", 1)[0]
    params = {"code": code, "state": state.group(1)}
    done = browser.get("/slack/oauth_redirect", params=params, headers={"Cookie": cookie})
    replay = browser.get("/slack/oauth_redirect", params=params, headers={"Cookie": cookie})
    assert replay.status_code >= 400, "a state works once"
    return done


def key_modal(key: str) -> dict[str, Any]:
    return {"tavus_key": {"tavus_key_value": {"type": "plain_text_input", "value": key}}}


def share_photo(bot: BotProcess, slack: FakeSlack, team: str, user: str, n: int) -> str:
    from tests import photo_samples

    ts = f"17100{n:05d}.000100"
    file_obj = slack.add_file(f"F{team}{n}", "me.jpg", photo_samples.headshot_jpeg())
    slack.file_teams[file_obj["id"]] = team
    bot.send_event(file_share_event(file_obj, ts=ts, user=user), f"Ev{team}{n}", team=team)
    return ts


def create(bot: BotProcess, slack: FakeSlack, team: str, user: str, photo_ts: str) -> tuple[str, str]:
    ts = checklist_ts(slack, photo_ts)
    sid = str(block_of(ready_update(slack, ts), "draft_actions")["elements"][0]["value"])  # type: ignore[index]
    bot.click("create_replica", sid, ts, user=user, voice="anna", team=team)
    return ts, sid


def raw_rows(database_url: str, table: str) -> str:
    repo = Repository(database_url)
    with repo.db.read() as tx:
        text = repr(tx.rows(f"SELECT * FROM {table}"))
    repo.close()
    return text


def ownership(database_url: str) -> list[dict[str, Any]]:
    """Who owns which submission and where it stands (not the poller's progress columns,
    which change on their own every poll)."""
    repo = Repository(database_url)
    with repo.db.read() as tx:
        rows = tx.rows(
            "SELECT id, team_id, user_id, status, consent_user_id, consent_at, voice_name, replica_id "
            "FROM submissions ORDER BY id"
        )
    repo.close()
    return rows


def install_keys(database_url: str, table: str) -> list[str]:
    repo = Repository(database_url)
    with repo.db.read() as tx:
        keys = sorted(str(k) for k in tx.scalars(f"SELECT install_key FROM {table}"))
    repo.close()
    return keys


def test_two_workspaces_install_and_create_with_their_own_keys_then_one_uninstalls(
    start_bot: Callable[..., BotProcess],
    fake_slack: FakeSlack,
    fake_tavus: FakeTavus,
    s3_client: Any,
    bucket: str,
    database_url: str,
) -> None:
    bot = start_oauth_bot(start_bot, fake_slack, fake_tavus)
    fake_slack.expires_in = 3600  # A's first token (rotation on) is due for a refresh at once

    # --- install: two workspaces through the real OAuth flow; forged states refused ---------
    for team, code, rotation in (("TA", "code-A", True), ("TB", "code-B", False)):
        done = install(bot, fake_slack, team, code, rotation)
        assert done.status_code == 200, done.text
    token_a, token_b = fake_slack.tokens_of("TA")[0], fake_slack.tokens_of("TB")[0]
    forged = httpx.get(f"http://127.0.0.1:{bot.port}/slack/oauth_redirect", params={"code": "x", "state": "forged"})
    assert forged.status_code >= 400
    dump = raw_rows(database_url, "installations")
    assert token_a not in dump and token_b not in dump and "xoxe-" not in dump  # tokens only encrypted

    # --- before a key: the checklist works, creating names the admins -----------------------
    fake_slack.admins = {ADMIN_A, ADMIN_B}
    photo_a = share_photo(bot, fake_slack, "TA", PERSON_A, 1)
    create(bot, fake_slack, "TA", PERSON_A, photo_a)
    wait_for(lambda: any("connected its Tavus account" in t for t in fake_slack.texts("chat.postEphemeral")))
    said = next(t for t in fake_slack.texts("chat.postEphemeral") if "connected its Tavus account" in t)
    assert f"<@{ADMIN_A}>" in said and not fake_tavus.replicas

    # --- the App Home: admins see the settings, their button opens the key modal -----------
    for user in (ADMIN_A, PERSON_A):
        bot.send_event(
            {"type": "app_home_opened", "user": user, "tab": "home", "channel": "DHOME"}, f"EvHome{user}", team="TA"
        )
    wait_for(lambda: len(fake_slack.calls_from("TA", "views.publish")) >= 2)
    homes = {c.args["user_id"]: json.dumps(c.args["view"]) for c in fake_slack.calls_from("TA", "views.publish")}
    assert "Connect Tavus" in homes[ADMIN_A] and "Connect Tavus" not in homes[PERSON_A]
    for user in (PERSON_A, ADMIN_A):  # a non-admin's crafted click opens nothing
        bot.click("open_workspace_settings", "", "1.1", user=user, team="TA")
    wait_for(lambda: fake_slack.calls_from("TA", "views.open"))
    time.sleep(0.5)
    opened = fake_slack.calls_from("TA", "views.open")
    assert len(opened) == 1 and "tavus_key" in json.dumps(opened[0].args["view"])

    # --- the Tavus key modal: non-admin refused, invalid key refused, valid key saved -------
    refused = bot.submit_view("tavus_key_modal", key_modal(KEY_A), user=PERSON_A, team="TA").json()
    assert refused["response_action"] == "errors" and "admins" in refused["errors"]["tavus_key"]
    wrong = bot.submit_view("tavus_key_modal", key_modal("not-a-key"), user=ADMIN_A, team="TA").json()
    assert "refused this key (401)" in wrong["errors"]["tavus_key"]
    assert KEY_A[-4:] not in raw_rows(database_url, "workspace_settings")
    for team, admin, key in (("TA", ADMIN_A, KEY_A), ("TB", ADMIN_B, KEY_B)):
        saved = bot.submit_view("tavus_key_modal", key_modal(key), user=admin, team=team)
        assert saved.status_code == 200 and not saved.content.strip(), saved.text
    # An admin makes someone else an admin (in the Policy modal); that person may then change the key.
    crafted = bot.submit_view("policy_modal", policy_values(admins=[PERSON_A]), user=PERSON_A, team="TA").json()
    assert "Only workspace admins" in crafted["errors"]["policy_who"]
    made = bot.submit_view("policy_modal", policy_values(admins=[PERSON_A]), user=ADMIN_A, team="TA")
    assert not made.content.strip(), made.text
    again = bot.submit_view("tavus_key_modal", key_modal(KEY_A), user=PERSON_A, team="TA")
    assert not again.content.strip(), again.text
    refused_b = bot.submit_view("tavus_key_modal", key_modal(KEY_A), user=PERSON_A, team="TB").json()
    assert "admins" in refused_b["errors"]["tavus_key"]  # an admin in A is nobody in B
    settings = raw_rows(database_url, "workspace_settings")
    assert KEY_A not in settings and KEY_B not in settings and "…1234" in settings  # encrypted; last four shown

    # --- each workspace creates with its own token and its own Tavus account ---------------
    ts_a, sid_a = create(bot, fake_slack, "TA", PERSON_A, photo_a)
    photo_b = share_photo(bot, fake_slack, "TB", PERSON_B, 2)
    ts_b, sid_b = create(bot, fake_slack, "TB", PERSON_B, photo_b)
    wait_for(lambda: len(fake_tavus.replicas_of(KEY_A)) == 1 and len(fake_tavus.replicas_of(KEY_B)) == 1, 30)
    for ts in (ts_a, ts_b):
        wait_for(lambda ts=ts: any("Training started" in u["text"] for u in updates_of(fake_slack, ts)), 30)
    assert fake_slack.calls_from("TA", "chat.update") and fake_slack.calls_from("TB", "chat.update")
    refreshes = [c for c in fake_slack.calls_to("oauth.v2.access") if c.args.get("grant_type") == "refresh_token"]
    assert len(refreshes) == 1 and refreshes[0].response["ok"]  # rotated once, by one process, and saved
    for call in fake_slack.calls:  # every thread message went out with its own workspace's token
        if call.method == "chat.postMessage" and call.args.get("thread_ts") == photo_a:
            assert call.team == "TA"
        if call.method == "chat.postMessage" and call.args.get("thread_ts") == photo_b:
            assert call.team == "TB"

    # --- isolation: B's person pressing A's buttons changes nothing -------------------------
    before = ownership(database_url)
    bot.click("cancel_draft", sid_a, ts_a, user=PERSON_B, team="TB")
    bot.click("create_replica", sid_a, ts_a, user=PERSON_A, voice="anna", team="TB")  # A's user id, B's team
    status_b = bot.send_command("status", user=PERSON_B, team="TB").json()
    assert sid_a not in str(status_b) and len(fake_tavus.replicas) == 2
    assert ownership(database_url) == before

    # --- B's training finishes: announced in B's thread, polled with B's key only ----------
    replica_b = fake_tavus.replicas_of(KEY_B)[0].replica_id
    fake_tavus.finish(replica_b, "completed")
    wait_for(lambda: ready_notices(fake_slack, photo_b), 30)

    # --- A uninstalls while its replica trains: tokens, key and photo gone, jobs stopped ----
    assert s3_client.list_objects_v2(Bucket=bucket, Prefix="replica-bot/TA/").get("KeyCount") == 1
    fake_slack.revoke("TA")
    bot.send_event({"type": "app_uninstalled"}, "EvUninstallA", team="TA")
    wait_for(lambda: s3_client.list_objects_v2(Bucket=bucket, Prefix="replica-bot/TA/").get("KeyCount") == 0, 30)
    assert install_keys(database_url, "installations") == ["-:TB"]
    assert install_keys(database_url, "workspace_settings") == ["-:TB"]
    calls_before, rows_before = len(fake_slack.calls), ownership(database_url)
    share_photo(bot, fake_slack, "TA", PERSON_A, 3)  # ignored: not installed there any more
    bot.send_command("status", user=PERSON_A, team="TA")
    time.sleep(1.5)  # (a photo accepted by mistake would be downloaded and answered by now)
    # Nothing was said for A (a call with its revoked token would show here without a team),
    # and no submission was made; B's last edits may still be landing.
    assert all(c.team == "TB" for c in fake_slack.calls[calls_before:]), fake_slack.calls[calls_before:]
    assert ownership(database_url) == rows_before
    assert len(fake_tavus.replicas_of(KEY_A)) == 1  # the replica stays in A's Tavus account
    assert len(ready_notices(fake_slack, photo_b)) == 1
    # --- the audit trail reproduces who consented to what, and what was created ------------
    audit = audit_trail(bot, "TA")
    consent = next(e for e in audit if e["action"] == "consent")
    created = next(e for e in audit if e["action"] == "replica_created")
    rehosted = fake_tavus.replicas_of(KEY_A)[0]
    assert consent["actor"] == PERSON_A and consent["subject"] == sid_a
    details = json.loads(consent["details"])
    assert details["photo_sha256"] == hashlib.sha256(rehosted.image_bytes).hexdigest()  # the image Tavus got
    assert details["consent_text"].startswith("I have the rights to this likeness") and details["voice"] == "anna"
    assert created["subject"] == rehosted.replica_id and created["actor"] == PERSON_A
    actions = [(e["action"], e["actor"]) for e in audit]
    assert ("tavus_key_set", ADMIN_A) in actions and ("admins_changed", ADMIN_A) in actions
    assert ("tavus_key_set", PERSON_A) in actions and actions[-1] == ("workspace_uninstalled", "slack")
    assert KEY_A not in json.dumps(audit) and all(e["team_id"] == "TA" for e in audit)
    assert ("training_finished", "tavus") in [(e["action"], e["actor"]) for e in audit_trail(bot, "TB")]
    logs = bot.logs()
    for secret in (token_a, token_b, KEY_A, KEY_B, CLIENT_SECRET, *fake_slack.refresh_tokens, "xoxe-1-"):
        assert secret not in logs, "a secret reached the logs"


def test_a_key_changed_to_another_account_while_training_is_named_when_the_replica_is_not_found(
    start_bot: Callable[..., BotProcess], fake_slack: FakeSlack, fake_tavus: FakeTavus
) -> None:
    bot = start_oauth_bot(start_bot, fake_slack, fake_tavus)
    assert install(bot, fake_slack, "TA", "code-A").status_code == 200
    fake_slack.admins = {ADMIN_A}
    assert not bot.submit_view("tavus_key_modal", key_modal(KEY_A), user=ADMIN_A, team="TA").content.strip()
    photo = share_photo(bot, fake_slack, "TA", PERSON_A, 1)
    ts, _ = create(bot, fake_slack, "TA", PERSON_A, photo)
    wait_for(lambda: any("Training started" in u["text"] for u in updates_of(fake_slack, ts)), 30)
    time.sleep(1.1)  # (timestamps have whole seconds: the key is changed in a later one)
    # An admin connects a key of another Tavus account: that account cannot see the replica.
    assert not bot.submit_view("tavus_key_modal", key_modal(KEY_B), user=ADMIN_A, team="TA").content.strip()

    def told() -> list[str]:
        return [m["text"] for m in fake_slack.messages if m.get("thread_ts") == photo and "can't follow" in m["text"]]

    said = wait_for(told, 30)
    assert len(said) == 1 and "changed after the replica was created" in said[0], said
    assert "another Tavus account" in said[0] and "photo" not in said[0]  # the photo is not to blame
    assert len(fake_tavus.replicas_of(KEY_A)) == 1

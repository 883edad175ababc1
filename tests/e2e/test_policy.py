"""The workspace policy end to end, through the real bot process and the fakes, on SQLite and
PostgreSQL: who may create (listed people, user groups), quotas with their free-up date,
the workspace's training limit, approvals (approved, denied with a reason, lapsed, self-
approval refused, the policy changed between approval and creation), crafted payloads from
non-admins refused without a trace, the admins' App Home and the audit CSV in their DM."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from storage import Repository
from tests import photo_samples
from tests.fakes.slack_api import FakeSlack
from tests.fakes.tavus_api import FakeTavus

from .flow import audit_trail, block_of, checklist_ts, policy_values, ready_update, thread_messages, updates_of
from .harness import TEAM, BotProcess, file_share_event, wait_for

ADMIN, ADMIN2, ALICE, BOB, CAROL = "UADMIN1", "UADMIN2", "UALICE", "UBOB", "UCAROL"
APPROVERS = "CAPPROVERS"


class People:
    """Photos shared by several people in their DMs with the bot, and their consent clicks."""

    def __init__(self, bot: BotProcess, slack: FakeSlack):
        self.bot, self.slack, self.n = bot, slack, 0

    def share(self, user: str) -> tuple[str, str, str]:
        """`user` shares a headshot; returns (photo ts, checklist ts, submission id) once offered."""
        self.n += 1
        photo_ts = f"17200{self.n:05d}.000100"
        file_obj = self.slack.add_file(f"FPOL{self.n}", "me.jpg", photo_samples.headshot_jpeg())
        self.bot.send_event(file_share_event(file_obj, ts=photo_ts, user=user), f"EvPol{self.n}")
        ts = checklist_ts(self.slack, photo_ts)
        sid = str(block_of(ready_update(self.slack, ts), "draft_actions")["elements"][0]["value"])  # type: ignore[index]
        return photo_ts, ts, sid

    def create(self, user: str, ts: str, sid: str) -> None:
        self.bot.click("create_replica", sid, ts, user=user, voice="anna")

    def ask(self, user: str) -> tuple[str, str, str]:
        photo_ts, ts, sid = self.share(user)
        self.create(user, ts, sid)
        return photo_ts, ts, sid


def said_in(slack: FakeSlack, photo_ts: str, words: str, timeout: float = 30) -> str:
    """Wait for a reply in the photo's thread containing `words`; returns its text."""
    return str(
        wait_for(
            lambda: next((m["text"] for m in thread_messages(slack, photo_ts) if words in m["text"]), None), timeout
        )
    )


def refusals_to(slack: FakeSlack, photo_ts: str, count: int) -> list[str]:
    """Wait until the thread holds `count` refusals; returns their texts."""

    def refusals() -> list[str] | None:
        found = [m["text"] for m in thread_messages(slack, photo_ts) if "Nothing was created" in m["text"]]
        return found if len(found) >= count else None

    return wait_for(refusals, 30)


def set_policy(bot: BotProcess, user: str = ADMIN, **policy: object) -> dict | None:
    """Submit the Policy modal as `user`; returns the modal's errors, if any."""
    answer = bot.submit_view("policy_modal", policy_values(**policy), user=user)  # type: ignore[arg-type]
    assert answer.status_code == 200, answer.text
    return answer.json()["errors"] if answer.content.strip() else None


def status_of(database_url: str, sid: str) -> str:
    repo = Repository(database_url)
    sub = repo.get(sid)
    repo.close()
    assert sub is not None
    return sub.status


def test_who_may_create_quotas_and_the_training_limit(
    start_bot: Callable[..., BotProcess], fake_slack: FakeSlack, fake_tavus: FakeTavus, database_url: str
) -> None:
    fake_slack.admins = {ADMIN}
    fake_slack.usergroups = {"S0DESIGN": ("design", [CAROL])}
    bot = start_bot()
    people = People(bot, fake_slack)

    # --- a non-admin's crafted Policy modal is refused and leaves no trace ----------------
    errors = set_policy(bot, user=BOB, who="listed", people=[BOB], quota=99)
    assert errors and "Only workspace admins" in errors["policy_who"]
    assert set_policy(bot, who="listed", people=[]) == {
        "policy_people": "List at least one person (or let everyone create)."
    }

    # --- only listed people --------------------------------------------------------------
    assert set_policy(bot, who="listed", people=[ALICE]) is None
    bob_photo, bob_ts, bob_sid = people.ask(BOB)
    said = said_in(fake_slack, bob_photo, "Nothing was created")
    assert "you are not on this workspace's list of people who may create replicas" in said
    alice_photo, alice_ts, alice_sid = people.ask(ALICE)
    wait_for(lambda: len(fake_tavus.replicas) == 1, 30)
    assert status_of(database_url, bob_sid) == "ready"  # the draft is kept; Bob may press again later

    # --- members of a user group ---------------------------------------------------------
    assert set_policy(bot, who="groups", groups=["S0DESIGN"]) is None
    people.create(BOB, bob_ts, bob_sid)
    assert "you are not in the allowed group" in refusals_to(fake_slack, bob_photo, 2)[-1]
    carol_photo, _, carol_sid = people.ask(CAROL)
    wait_for(lambda: len(fake_tavus.replicas) == 2, 30)

    # --- a quota per person: the refusal names the day the oldest frees up ----------------
    assert set_policy(bot, quota=1) is None
    second_photo, _, _ = people.ask(ALICE)
    created = Repository(database_url).get(alice_sid).submitted_at  # type: ignore[union-attr]
    frees = (datetime.fromisoformat(str(created)) + timedelta(days=30)).date().isoformat()
    said = said_in(fake_slack, second_photo, "Nothing was created")
    assert f"1 of 1 used in the last 30 days; the next frees up on {frees}" in said, said
    assert len(fake_tavus.replicas) == 2

    # --- at most two training at once in the workspace ----------------------------------
    assert set_policy(bot, max_training=2) is None
    people.create(BOB, bob_ts, bob_sid)
    said = refusals_to(fake_slack, bob_photo, 3)[-1]
    assert "2 of 2 replicas this workspace may train at once are training now" in said, said
    fake_tavus.finish(str(Repository(database_url).get(alice_sid).replica_id))  # type: ignore[union-attr]
    wait_for(lambda: any("is ready" in m["text"] for m in thread_messages(fake_slack, alice_photo)), 30)
    people.create(BOB, bob_ts, bob_sid)
    wait_for(lambda: len(fake_tavus.replicas) == 3, 30)
    assert status_of(database_url, carol_sid) == "training"

    # --- the audit trail: who changed what, and each refusal -----------------------------
    trail = audit_trail(bot, TEAM)
    changes = [e for e in trail if e["action"] == "policy_changed"]
    assert [e["actor"] for e in changes] == [ADMIN] * 4  # the refused and invalid saves left nothing
    assert json.loads(changes[0]["details"])["who"] == {"before": "everyone", "after": "listed"}
    refusals = [json.loads(e["details"])["code"] for e in trail if e["action"] == "creation_refused"]
    assert refusals == ["not_listed", "not_in_group", "quota", "busy"]
    created_by = [e["actor"] for e in trail if e["action"] == "replica_created"]
    assert created_by == [ALICE, CAROL, BOB]


def test_approvals_approved_denied_lapsed_and_never_ones_own(
    start_bot: Callable[..., BotProcess], fake_slack: FakeSlack, fake_tavus: FakeTavus, database_url: str
) -> None:
    fake_slack.admins = {ADMIN, ADMIN2}
    bot = start_bot()
    people = People(bot, fake_slack)
    assert set_policy(bot, approval=True) == {"policy_channel": "Choose the channel where approvers get the requests."}
    assert set_policy(bot, approval=True, channel=APPROVERS) is None

    def request_in_channel(sid: str) -> dict:
        def posted() -> dict | None:
            for call in fake_slack.calls_to("chat.postMessage"):
                actions = block_of(call.args, "approval_actions")
                if call.args.get("channel") == APPROVERS and actions and actions["elements"][0]["value"] == sid:
                    return {**call.args, "ts": call.response["ts"]}
            return None

        return wait_for(posted, 30)

    # --- Alice asks: the approvers see who, which voice, the checklist and the photo's hash ---
    alice_photo, alice_ts, alice_sid = people.ask(ALICE)
    request = request_in_channel(alice_sid)
    facts = block_of(request, "request")["text"]["text"]  # type: ignore[index]
    sha = Repository(database_url).get(alice_sid).photo_sha256  # type: ignore[union-attr]
    assert f"<@{ALICE}>" in facts and "`anna`" in facts and "passed" in facts and str(sha) in facts
    wait_for(lambda: any("Waiting for approval" in u["text"] for u in updates_of(fake_slack, alice_ts)))
    assert not fake_tavus.replicas

    # --- crafted decisions: a non-admin's Approve and Deny, an admin's own request -------------
    bot.click("approve_request", alice_sid, request["ts"], user=BOB)
    wait_for(lambda: any("Only this workspace's admins" in t for t in fake_slack.texts("chat.postEphemeral")))
    crafted = bot.submit_view(
        "deny_reason_modal", deny_reason("no"), user=BOB, metadata=alice_sid
    ).json()  # (too short, and not an admin)
    assert crafted["response_action"] == "errors"
    crafted = bot.submit_view("deny_reason_modal", deny_reason("I say no"), user=BOB, metadata=alice_sid).json()
    assert "Only this workspace's admins" in crafted["errors"]["deny_reason"]
    bot.click("deny_request", alice_sid, request["ts"], user=BOB)  # opens no modal
    admin_photo, _, admin_sid = people.ask(ADMIN)
    admin_request = request_in_channel(admin_sid)
    bot.click("approve_request", admin_sid, admin_request["ts"], user=ADMIN)
    wait_for(lambda: any("cannot decide your own request" in t for t in fake_slack.texts("chat.postEphemeral")))
    time.sleep(1)
    assert not fake_slack.calls_to("views.open") and not fake_tavus.replicas
    assert status_of(database_url, alice_sid) == status_of(database_url, admin_sid) == "awaiting_approval"

    # --- approved by another admin: created, and everyone is told -----------------------------
    bot.click("approve_request", alice_sid, request["ts"], user=ADMIN2)
    assert f"<@{ADMIN2}> approved your request" in said_in(fake_slack, alice_photo, "approved your request")
    wait_for(lambda: len(fake_tavus.replicas) == 1, 30)
    closed = wait_for(lambda: updates_of(fake_slack, request["ts"]), 20)[-1]
    assert f"approved by <@{ADMIN2}>" in closed["text"] and not block_of(closed, "approval_actions")

    # --- denied with a reason (the reason modal opens for an admin only) ---------------------
    bot.click("deny_request", admin_sid, admin_request["ts"], user=ADMIN2)
    opened = wait_for(lambda: fake_slack.calls_to("views.open"), 20)
    assert opened[0].args["view"]["callback_id"] == "deny_reason_modal"
    reason = "Not for external use <!channel>"
    done = bot.submit_view("deny_reason_modal", deny_reason(reason), user=ADMIN2, metadata=admin_sid)
    assert not done.content.strip(), done.text
    denied = wait_for(lambda: next((u for u in updates_of(fake_slack, admin_request["ts"])), None), 20)
    assert f"denied by <@{ADMIN2}>" in denied["text"] and "&lt;!channel&gt;" in denied["text"]
    admin_ts = checklist_ts(fake_slack, admin_photo)
    wait_for(lambda: any("denied your request" in u["text"] for u in updates_of(fake_slack, admin_ts)), 20)
    assert status_of(database_url, admin_sid) == "denied"

    # --- the policy changes while Bob waits: approved, then refused at creation ---------------
    bob_photo, _, bob_sid = people.ask(BOB)
    request_in_channel(bob_sid)
    assert set_policy(bot, who="listed", people=[ALICE], approval=True, channel=APPROVERS) is None
    bot.click("approve_request", bob_sid, request_in_channel(bob_sid)["ts"], user=ADMIN)
    said = said_in(fake_slack, bob_photo, "Nothing was created")
    assert "not on this workspace's list" in said and len(fake_tavus.replicas) == 1

    # --- a request nobody answers lapses (aged here, as if asked 8 days ago) ------------------
    carol_photo, _, carol_sid = people.ask(CAROL)  # refused: not listed
    said_in(fake_slack, carol_photo, "Nothing was created")
    assert set_policy(bot, approval=True, channel=APPROVERS) is None
    people.create(CAROL, checklist_ts(fake_slack, carol_photo), carol_sid)
    carol_request = request_in_channel(carol_sid)
    repo = Repository(database_url)
    eight_days_ago = (datetime.now(UTC) - timedelta(days=8)).isoformat(timespec="seconds")
    repo.update(carol_sid, approval_requested_at=eight_days_ago)
    repo.close()
    assert "lapsed" in said_in(fake_slack, carol_photo, "lapsed")
    assert status_of(database_url, carol_sid) == "ready"
    assert "lapsed" in wait_for(lambda: updates_of(fake_slack, carol_request["ts"]), 20)[-1]["text"]

    # --- a request can be withdrawn while it waits ------------------------------------------
    withdrawn_photo, withdrawn_ts, withdrawn_sid = people.ask(ALICE)
    withdrawn_request = request_in_channel(withdrawn_sid)
    wait_for(lambda: any(block_of(u, "awaiting_actions") for u in updates_of(fake_slack, withdrawn_ts)), 20)
    bot.click("cancel_draft", withdrawn_sid, withdrawn_ts, user=BOB)  # not his: nothing happens
    bot.click("cancel_draft", withdrawn_sid, withdrawn_ts, user=ALICE)
    wait_for(lambda: status_of(database_url, withdrawn_sid) == "cancelled", 20)
    assert "withdrawn" in wait_for(lambda: updates_of(fake_slack, withdrawn_request["ts"]), 20)[-1]["text"]
    bot.click("approve_request", withdrawn_sid, withdrawn_request["ts"], user=ADMIN2)  # too late: nothing made
    wait_for(lambda: any("already decided" in t for t in fake_slack.texts("chat.postEphemeral")), 20)

    # --- Alice's training fails and she deletes the replica ----------------------------------
    alice_replica = str(Repository(database_url).get(alice_sid).replica_id)  # type: ignore[union-attr]
    fake_tavus.finish(alice_replica, "error", "the face was not visible enough")
    wait_for(lambda: status_of(database_url, alice_sid) == "failed", 30)
    bot.click("delete_replica", alice_replica, "1.1", user=BOB)  # not hers: refused
    bot.click("delete_replica", alice_replica, "1.1", user=ALICE)
    wait_for(lambda: status_of(database_url, alice_sid) == "deleted", 30)

    # --- the admins' App Home: the policy, usage, the latest entries; the CSV in their DM -----
    # (only the views published after opening count: an admin's earlier Home is older news)
    earlier = len(fake_slack.calls_to("views.publish"))
    for user in (ADMIN, BOB):
        bot.send_event({"type": "app_home_opened", "user": user, "tab": "home", "channel": "DHOME"}, f"EvHome{user}")
    wait_for(lambda: {c.args["user_id"] for c in fake_slack.calls_to("views.publish")[earlier:]} >= {ADMIN, BOB}, 20)
    homes = {c.args["user_id"]: c.args["view"] for c in fake_slack.calls_to("views.publish")[earlier:]}
    summary = block_of(homes[ADMIN], "policy_summary")
    assert summary and f"requests go to <#{APPROVERS}>" in summary["text"]["text"]
    assert f"<@{ALICE}>: 1" in block_of(homes[ADMIN], "policy_usage")["text"]["text"]  # type: ignore[index]
    assert "approval lapsed" in block_of(homes[ADMIN], "policy_audit")["text"]["text"]  # type: ignore[index]
    assert block_of(homes[BOB], "policy_summary") is None
    opened_before = len(fake_slack.calls_to("views.open"))
    bot.click("open_policy", "", "1.1", user=BOB)  # crafted: no modal
    bot.click("open_policy", "", "1.1", user=ADMIN)
    modal = wait_for(lambda: fake_slack.calls_to("views.open")[opened_before:], 20)
    assert len(modal) == 1 and modal[0].args["view"]["callback_id"] == "policy_modal"
    assert block_of(modal[0].args["view"], "policy_channel")["element"]["initial_conversation"] == APPROVERS  # type: ignore[index]
    # An install from before files:write: the admin is told in their DM instead of a file.
    fake_slack.fail_next("files.getUploadURLExternal", 200, {"ok": False, "error": "missing_scope"})
    bot.click("export_audit_csv", "", "1.1", user=ADMIN)
    wait_for(lambda: any("files:write" in t for t in fake_slack.texts("chat.postMessage")), 30)
    bot.click("export_audit_csv", "", "1.1", user=BOB)  # crafted: nothing is sent
    bot.click("export_audit_csv", "", "1.1", user=ADMIN)

    def csv_files() -> list[dict]:
        return [s for s in fake_slack.shared if s["filename"].endswith(".csv")]  # (not the photos' previews)

    shared = wait_for(csv_files, 30)
    time.sleep(1)
    assert len(csv_files()) == 1 and shared[0]["channel_id"] == f"D{ADMIN}"
    rows = list(csv.DictReader(io.StringIO(shared[0]["data"].decode())))

    # --- an approvers channel the bot was not invited to: the request comes back, said why ---
    fake_slack.not_in.add("CCLOSED")
    assert set_policy(bot, approval=True, channel="CCLOSED") is None
    closed_photo, _, closed_sid = people.ask(BOB)
    said = said_in(fake_slack, closed_photo, "Nothing was created")
    assert "could not post in the approvers channel <#CCLOSED>" in said and "not_in_channel" in said
    assert status_of(database_url, closed_sid) == "ready"

    # --- the trail: every decision with its actor; CSV (Slack) and CLI agree ------------------
    trail = audit_trail(bot, TEAM)
    assert [r["id"] for r in rows] == [str(e["id"]) for e in trail[: len(rows)]]
    decided = [(e["action"], e["actor"], e["subject"]) for e in trail if e["action"] in ("approved", "denied")]
    assert decided == [("approved", ADMIN2, alice_sid), ("denied", ADMIN2, admin_sid), ("approved", ADMIN, bob_sid)]
    denial = next(e for e in trail if e["action"] == "denied")
    assert json.loads(denial["details"])["reason"] == reason
    actions = [e["action"] for e in trail]
    assert actions.count("approval_requested") == 6 and actions.count("approval_lapsed") == 1
    assert [e["actor"] for e in trail if e["action"] == "replica_created"] == [ALICE]
    by_action = {e["action"]: e for e in trail}
    assert by_action["training_failed"]["subject"] == alice_replica
    assert (by_action["replica_deleted"]["actor"], by_action["replica_deleted"]["subject"]) == (ALICE, alice_replica)
    consents = [(e["actor"], e["subject"]) for e in trail if e["action"] == "consent"]
    assert consents[:3] == [(ALICE, alice_sid), (ADMIN, admin_sid), (BOB, bob_sid)]
    assert not [e for e in trail if e["actor"] == BOB and e["action"] not in ("consent", "approval_requested")]


def deny_reason(text: str) -> dict:
    return {"deny_reason": {"value": {"type": "plain_text_input", "value": text}}}

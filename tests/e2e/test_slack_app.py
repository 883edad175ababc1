"""The Slack app as a person uses it: every command, the self-editing thread, App Home."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from urllib.parse import urlencode

from tests.fakes.slack_api import FakeSlack
from tests.fakes.tavus_api import FakeTavus

from .flow import block_of, offer, thread_messages, training_replica, updates_of, upload
from .harness import CHANNEL, OTHER_USER, TEAM, USER, BotProcess, command_form, wait_for


def command(bot: BotProcess, text: str, user: str = USER) -> dict:
    reply = bot.send_command(text, user=user)
    assert reply.status_code == 200
    body = reply.json()
    assert body["response_type"] == "ephemeral"
    return body


def test_every_command_answers(
    start_bot: Callable[..., BotProcess], fake_slack: FakeSlack, fake_tavus: FakeTavus
) -> None:
    bot = start_bot()
    for text in ("", "help"):
        help_text = command(bot, text)["text"]
        for sub in ("voices", "voice <name>", "name <text>", "status", "cancel", "delete <replica_id>"):
            assert f"/replica {sub}" in help_text
    wait_for(lambda: "`olivia`" in command(bot, "voices")["text"])
    voices = command(bot, "voices")["text"]
    assert "english" in voices and "|preview>" not in voices  # the fake's clips are http://, not linked
    assert "Did you mean `anna`" in command(bot, "voice annna")["text"]
    assert "`anna`" in command(bot, "voice ANNA")["text"]
    assert "Your voice is `anna`" in command(bot, "voice")["text"]
    assert "won't work" in command(bot, "name " + "x" * 61)["text"]
    assert "won't work" in command(bot, "name <!channel>")["text"]
    assert "*Ada's twin*" in command(bot, "name Ada's twin")["text"]
    assert "no photos" in command(bot, "status")["text"]
    assert "no drafts" in command(bot, "cancel")["text"]
    assert "not one of your replicas" in command(bot, "delete r123")["text"]
    unknown = command(bot, "stauts")["text"]
    assert "Did you mean `/replica status`" in unknown and "/replica voices" in unknown


def test_a_command_is_acked_empty_and_answered_once_at_its_response_url(
    start_bot: Callable[..., BotProcess], fake_slack: FakeSlack
) -> None:
    """Over HTTP the door stores `/replica` and acks it with nothing; a worker posts the reply
    (ephemeral) to the command's response_url, once. A forged one is refused and answered
    nowhere."""
    bot = start_bot()
    form = command_form("status", response_url=fake_slack.response_url("k-status"))
    ack = bot.post_signed(urlencode(form).encode(), "application/x-www-form-urlencoded")
    assert ack.status_code == 200 and ack.content == b""
    (reply,) = wait_for(lambda: fake_slack.replies_to("k-status"))
    assert reply["response_type"] == "ephemeral" and "no photos" in reply["text"]
    forged_form = command_form("cancel", response_url=fake_slack.response_url("k-forged"))
    forged = bot.post_signed(urlencode(forged_form).encode(), "application/x-www-form-urlencoded", timestamp=1)
    assert forged.status_code == 401
    command(bot, "help")  # a later command is answered: nothing else is on its way
    assert fake_slack.replies_to("k-forged") == [] and len(fake_slack.replies_to("k-status")) == 1
    assert "k-status" not in bot.logs()  # the response_url is never logged


def test_thread_edits_itself_through_every_state(
    start_bot: Callable[..., BotProcess], fake_slack: FakeSlack, fake_tavus: FakeTavus
) -> None:
    bot = start_bot()
    command(bot, "voice anna")
    command(bot, "name Ada Twin")
    photo_ts = upload(bot, fake_slack, 20)
    ts, sid = offer(fake_slack, photo_ts)
    ready = next(u for u in updates_of(fake_slack, ts) if block_of(u, "draft_actions"))
    assert "Ada Twin" in block_of(ready, "name")["text"]["text"]
    assert block_of(ready, "autofix")["elements"][0]["action_id"] == "autofix_toggle"
    assert [e["action_id"] for e in block_of(ready, "draft_actions")["elements"]] == ["create_replica", "cancel_draft"]

    # rename through the modal
    bot.click("edit_name", sid, ts)
    opened = wait_for(lambda: fake_slack.calls_to("views.open"))
    view = opened[0].args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == "replica_name_modal" and view["private_metadata"] == sid
    bad = submit_view(bot, sid, "<!channel>")
    assert bad.json()["response_action"] == "errors"
    assert submit_view(bot, sid, "Ada Prime").status_code == 200
    wait_for(lambda: any("Ada Prime" in json.dumps(u["blocks"]) for u in updates_of(fake_slack, ts)))

    status = command(bot, "status")["text"]
    assert "*Ada Prime*" in status and "draft" in status

    bot.click("create_replica", sid, ts)
    replica_id = training_replica(fake_slack, fake_tavus, ts)
    assert fake_tavus.create_bodies[0]["replica_name"] == f"Ada Prime [{sid}]"
    texts = [thread_messages(fake_slack, photo_ts)[0]["text"]] + [u["text"] for u in updates_of(fake_slack, ts)]
    order = ["Checking", "passed the checks", "Sending your photo", "Training started"]
    positions = [next(i for i, t in enumerate(texts) if key in t) for key in order]
    assert positions == sorted(positions)
    with fake_tavus.lock:
        fake_tavus.replicas[replica_id].training_progress = "42/100"
    wait_for(lambda: any("42/100" in json.dumps(u["blocks"]) for u in updates_of(fake_slack, ts)))
    assert "progress 42/100" in command(bot, "status")["text"]
    fake_tavus.finish(replica_id, "completed")
    done = wait_for(lambda: [m for m in thread_messages(fake_slack, photo_ts) if "is ready" in m["text"]])
    assert f"<@{USER}>" in done[0]["text"]
    wait_for(lambda: any("is ready" in u["text"] for u in updates_of(fake_slack, ts)))  # and the checklist
    assert len(thread_messages(fake_slack, photo_ts)) == 2  # checklist + completion: one tidy thread

    # delete: a stranger is refused, the owner confirms with the button
    assert "not one of your replicas" in command(bot, f"delete {replica_id}", user=OTHER_USER)["text"]
    confirm = command(bot, f"delete {replica_id}")
    button = confirm["blocks"][1]["elements"][0]
    assert button["action_id"] == "delete_replica" and button["style"] == "danger" and "confirm" in button
    bot.click("delete_replica", replica_id, ts, user=OTHER_USER)
    bot.click("delete_replica", replica_id, ts)
    wait_for(lambda: fake_tavus.requests["DELETE /v2/replicas/{id}"] == 1)
    replies = wait_for(
        lambda: (
            [c.args["text"] for c in fake_slack.calls_to("chat.postEphemeral")]
            if len(fake_slack.calls_to("chat.postEphemeral")) >= 2
            else None
        )
    )
    assert any("not one of your replicas" in r for r in replies) and any("Deleted" in r for r in replies)
    assert replica_id not in fake_tavus.replicas
    assert "deleted" in command(bot, "status")["text"]


def test_cancel_and_a_second_photo_make_separate_drafts(
    start_bot: Callable[..., BotProcess], fake_slack: FakeSlack, fake_tavus: FakeTavus
) -> None:
    bot = start_bot()
    first = upload(bot, fake_slack, 21)
    second = upload(bot, fake_slack, 22)
    ts1, sid1 = offer(fake_slack, first)
    ts2, sid2 = offer(fake_slack, second)
    assert sid1 != sid2 and ts1 != ts2
    bot.click("cancel_draft", sid1, ts1)
    wait_for(lambda: any("Cancelled" in u["text"] for u in updates_of(fake_slack, ts1)))
    assert "Cancelled 1 draft" in command(bot, "cancel")["text"]
    wait_for(lambda: any("Cancelled" in u["text"] for u in updates_of(fake_slack, ts2)))
    bot.click("create_replica", sid2, ts2, voice="anna")
    time.sleep(0.5)
    assert fake_tavus.requests["POST /v2/replicas"] == 0  # a cancelled draft cannot be created


def test_app_home_and_welcome(start_bot: Callable[..., BotProcess], fake_slack: FakeSlack) -> None:
    bot = start_bot()
    command(bot, "voice liam")
    for n, tab in enumerate(("messages", "messages", "home")):
        event = {"type": "app_home_opened", "user": USER, "channel": CHANNEL, "tab": tab, "event_ts": "1.2"}
        bot.send_event(event, f"EvH{n}")
    home = wait_for(lambda: fake_slack.calls_to("views.publish"))
    view = home[-1].args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    select = next(b for b in view["blocks"] if b.get("block_id") == "home_voice")["accessory"]
    assert select["initial_option"]["value"] == "liam"
    assert "Photo rules" in json.dumps(view)
    welcomes = [c for c in fake_slack.calls_to("chat.postMessage") if "Welcome" in c.args.get("text", "")]
    assert len(welcomes) == 1  # once, though the Messages tab was opened twice
    # changing the voice from App Home
    payload = {
        "type": "block_actions",
        "user": {"id": USER, "team_id": TEAM},
        "team": {"id": TEAM},
        "api_app_id": "A1",
        "token": "t",
        "trigger_id": "1.2",
        "container": {"type": "view", "view_id": "V1"},
        "view": {"id": "V1", "type": "home"},
        "actions": [
            {
                "type": "static_select",
                "action_id": "home_voice_select",
                "block_id": "home_voice",
                "selected_option": {"text": {"type": "plain_text", "text": "anna"}, "value": "anna"},
                "action_ts": "1.3",
            }
        ],
    }
    bot.post_signed(urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded")
    wait_for(lambda: "Your voice is `anna`" in command(bot, "voice")["text"])


def submit_view(bot: BotProcess, submission_id: str, name: str):  # type: ignore[no-untyped-def]
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM},
        "user": {"id": USER, "team_id": TEAM},
        "api_app_id": "A1",
        "token": "t",
        "trigger_id": "1.2",
        "view": {
            "id": "VMODAL1",
            "type": "modal",
            "callback_id": "replica_name_modal",
            "private_metadata": submission_id,
            "state": {"values": {"name_input": {"name_value": {"type": "plain_text_input", "value": name}}}},
        },
    }
    return bot.post_signed(urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded")

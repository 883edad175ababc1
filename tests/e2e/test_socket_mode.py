"""Socket Mode, end to end: the real bot with `SLACK_APP_TOKEN` against a local WebSocket
server speaking Slack's Socket Mode protocol. The same story as over HTTP: a voice by slash
command, a photo shared in the DM, the checklist and offer, consent, training, the ready
notice — with a reconnect in the middle and an envelope delivered again after it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import pytest

from tests import photo_samples
from tests.fakes.slack_api import FakeSlack
from tests.fakes.socket_mode import FakeSocketMode
from tests.fakes.tavus_api import FakeTavus

from .flow import block_of, checklist_ts, ready_notices, ready_update, thread_messages, updates_of
from .harness import CHANNEL, TEAM, USER, BotProcess, file_share_event, wait_for

APP_TOKEN = "xapp-1-A1-test-socket-token"


@pytest.fixture
def socket_mode(fake_slack: FakeSlack) -> Iterator[FakeSocketMode]:
    server = FakeSocketMode(APP_TOKEN).start()
    fake_slack.socket_mode = server
    yield server
    server.stop()


def command(text: str) -> dict[str, str]:
    return {
        "token": "legacy",
        "team_id": TEAM,
        "team_domain": "test",
        "channel_id": CHANNEL,
        "channel_name": "directmessage",
        "user_id": USER,
        "user_name": "person",
        "command": "/replica",
        "text": text,
        "api_app_id": "A1",
        "response_url": "http://127.0.0.1:9/commands/never-used",
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
    }


def event_callback(event: dict, event_id: str) -> dict:
    return {
        "token": "legacy",
        "team_id": TEAM,
        "api_app_id": "A1",
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
    }


def click(action_id: str, value: str, message_ts: str, thread_ts: str) -> dict:
    return {
        "type": "block_actions",
        "user": {"id": USER, "username": "person", "team_id": TEAM},
        "api_app_id": "A1",
        "token": "legacy",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": CHANNEL, "is_ephemeral": False},
        "trigger_id": "1.2.3",
        "team": {"id": TEAM, "domain": "test"},
        "channel": {"id": CHANNEL, "name": "directmessage"},
        "message": {"type": "message", "ts": message_ts, "thread_ts": thread_ts, "bot_id": "BBOT"},
        "state": {"values": {}},
        "actions": [
            {"type": "button", "action_id": action_id, "block_id": "draft_actions", "value": value, "action_ts": "1"}
        ],
    }


def test_the_story_over_socket_mode_with_a_reconnect(
    start_bot: Callable[..., BotProcess], socket_mode: FakeSocketMode, fake_slack: FakeSlack, fake_tavus: FakeTavus
) -> None:
    bot = start_bot(SLACK_APP_TOKEN=APP_TOKEN, SLACK_SIGNING_SECRET="")
    socket_mode.wait_connects(1)

    # A slash command: the answer travels back in the acknowledgement.
    ack = socket_mode.wait_ack(socket_mode.deliver("slash_commands", command("voice annna"), True))
    assert ack["payload"]["response_type"] == "ephemeral" and "`anna`" in ack["payload"]["text"]
    ack = socket_mode.wait_ack(socket_mode.deliver("slash_commands", command("voice anna"), True))
    assert "Your voice is now `anna`" in ack["payload"]["text"]

    # Slack refreshes the connection; the app reconnects on its own.
    socket_mode.ask_to_reconnect()
    socket_mode.wait_connects(2)

    # A photo in the DM; the same event comes again (a redelivery after a reconnect).
    photo_ts = "1750000000.000100"
    file_obj = fake_slack.add_file("F0SOCK", "me.jpg", photo_samples.headshot_jpeg())
    envelope = event_callback(file_share_event(file_obj, ts=photo_ts), "EvSock1")
    socket_mode.wait_ack(socket_mode.deliver("events_api", envelope))
    ts = checklist_ts(fake_slack, photo_ts)
    offer = ready_update(fake_slack, ts)
    socket_mode.wait_ack(socket_mode.deliver("events_api", envelope))
    time.sleep(1.0)
    assert len(thread_messages(fake_slack, photo_ts)) == 1  # the redelivery changed nothing

    # An envelope sent while the app is reconnecting is delivered again on the new
    # connection, and acknowledged there.
    socket_mode.ask_to_reconnect()
    sid = block_of(offer, "draft_actions")["elements"][0]["value"]  # type: ignore[index]
    consent = socket_mode.deliver("interactive", click("create_replica", sid, ts, photo_ts))
    socket_mode.wait_connects(3)
    socket_mode.wait_ack(consent, timeout=15)
    wait_for(lambda: any("Training started" in u["text"] for u in updates_of(fake_slack, ts)))
    assert len(fake_tavus.replicas) == 1 and fake_tavus.requests["POST /v2/replicas"] == 1

    replica_id = next(iter(fake_tavus.replicas))
    fake_tavus.finish(replica_id, "completed")
    done = wait_for(lambda: ready_notices(fake_slack, photo_ts))
    assert f"<@{USER}>" in done[0]["text"] and replica_id in done[0]["text"]
    assert "mode=socket" in bot.logs() and json.dumps(APP_TOKEN) not in bot.logs()
    assert APP_TOKEN not in bot.logs()

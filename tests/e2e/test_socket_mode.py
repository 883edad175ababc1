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
from .harness import USER, BotProcess, click_payload, command_form, event_envelope, file_share_event, wait_for

APP_TOKEN = "xapp-1-A1-test-socket-token"


@pytest.fixture
def socket_mode(fake_slack: FakeSlack) -> Iterator[FakeSocketMode]:
    server = FakeSocketMode(APP_TOKEN).start()
    fake_slack.socket_mode = server
    yield server
    server.stop()


def test_the_story_over_socket_mode_with_a_reconnect(
    start_bot: Callable[..., BotProcess], socket_mode: FakeSocketMode, fake_slack: FakeSlack, fake_tavus: FakeTavus
) -> None:
    bot = start_bot(SLACK_APP_TOKEN=APP_TOKEN, SLACK_SIGNING_SECRET="")
    socket_mode.wait_connects(1)

    # A slash command: the answer travels back in the acknowledgement.
    ack = socket_mode.wait_ack(socket_mode.deliver("slash_commands", command_form("voice annna"), True))
    assert ack["payload"]["response_type"] == "ephemeral" and "`anna`" in ack["payload"]["text"]
    ack = socket_mode.wait_ack(socket_mode.deliver("slash_commands", command_form("voice anna"), True))
    assert "Your voice is now `anna`" in ack["payload"]["text"]

    # Slack refreshes the connection; the app reconnects on its own.
    socket_mode.ask_to_reconnect()
    socket_mode.wait_connects(2)

    # A photo in the DM; the same event comes again (a redelivery after a reconnect).
    photo_ts = "1750000000.000100"
    file_obj = fake_slack.add_file("F0SOCK", "me.jpg", photo_samples.headshot_jpeg())
    envelope = event_envelope(file_share_event(file_obj, ts=photo_ts), "EvSock1")
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
    consent = socket_mode.deliver("interactive", click_payload("create_replica", sid, ts, thread_ts=photo_ts))
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

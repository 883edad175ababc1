"""Fault injection: crashes, duplicate deliveries, and Tavus, S3 and Slack failing.

Every test ends with the same two facts checked: one replica per photo at Tavus, and one
completion message per photo in Slack (none lost, none doubled).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

import httpx
import pytest

from tests.fakes.proxy import ToggleProxy
from tests.fakes.slack_api import FakeSlack
from tests.fakes.tavus_api import FakeTavus

from .flow import offer, ready_notices, start_training, thread_messages, training_replica, upload
from .harness import TAVUS_KEY, BotProcess, wait_for


def finish_and_check(bot_slack: FakeSlack, tavus: FakeTavus, photo_ts: str, replica_id: str, s3, bucket) -> None:  # type: ignore[no-untyped-def]
    tavus.finish(replica_id, "completed")
    wait_for(lambda: ready_notices(bot_slack, photo_ts), 30)
    time.sleep(2.5)  # more poll and maintenance cycles: nothing is posted twice
    assert len(ready_notices(bot_slack, photo_ts)) == 1
    assert len(tavus.replicas) == 1
    wait_for(lambda: s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0)


def wait_dead(bot: BotProcess) -> None:
    assert bot.proc is not None
    wait_for(lambda: bot.proc.poll() is not None, 30)  # type: ignore[union-attr]
    assert bot.proc.returncode == -9, bot.logs()[-2000:]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "point",
    ["after_event_recorded", "after_s3_upload", "after_tavus_create", "after_completion_seen", "after_notice_posted"],
)
def test_kill_9_at_each_step_then_restart(
    point: str, start_bot: Callable[..., BotProcess], fake_slack: FakeSlack, fake_tavus: FakeTavus, s3_client, bucket
) -> None:
    bot = start_bot(REPLICA_BOT_FAILPOINTS=point)
    bot.send_command("voice anna")
    photo_ts = upload(bot, fake_slack, 1)
    if point == "after_event_recorded":
        wait_dead(bot)
        bot = start_bot()
    ts, sid = offer(fake_slack, photo_ts)
    with contextlib.suppress(httpx.HTTPError):  # the bot may die on purpose before it answers
        bot.click("create_replica", sid, ts)
    if point in ("after_s3_upload", "after_tavus_create"):
        wait_dead(bot)
        bot = start_bot()
    replica_id = training_replica(fake_slack, fake_tavus, ts)
    if point in ("after_completion_seen", "after_notice_posted"):
        fake_tavus.finish(replica_id, "completed")
        wait_dead(bot)
        bot = start_bot()
    finish_and_check(fake_slack, fake_tavus, photo_ts, replica_id, s3_client, bucket)
    assert fake_tavus.requests["POST /v2/replicas"] == 1  # never a second create call


def test_same_event_four_times_and_same_click_four_times(
    start_bot: Callable[..., BotProcess], fake_slack: FakeSlack, fake_tavus: FakeTavus, s3_client, bucket
) -> None:
    bot = start_bot()
    bot.send_command("voice anna")
    photo_ts = upload(bot, fake_slack, 2, event_id="EvDup")
    upload(bot, fake_slack, 2, event_id="EvDup")  # a sequential redelivery
    threads = [threading.Thread(target=upload, args=(bot, fake_slack, 2, "EvDup")) for _ in range(2)]
    threads += [threading.Thread(target=upload, args=(bot, fake_slack, 2, "EvDup2"))]  # same photo, new id
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ts, sid = offer(fake_slack, photo_ts)
    clicks = [threading.Thread(target=bot.click, args=("create_replica", sid, ts)) for _ in range(4)]
    for t in clicks:
        t.start()
    for t in clicks:
        t.join()
    replica_id = training_replica(fake_slack, fake_tavus, ts)
    checklists = [c for c in fake_slack.calls_to("chat.postMessage") if c.args.get("thread_ts") == photo_ts]
    assert len(checklists) == 1
    finish_and_check(fake_slack, fake_tavus, photo_ts, replica_id, s3_client, bucket)
    assert len(fake_tavus.create_bodies) == 1


CREATE = "POST /v2/replicas"


@pytest.mark.parametrize(
    "fault",
    ["429", "500", "503", "hang", "bad_json"],
)
def test_tavus_create_faults_end_in_one_replica(
    fault: str, start_bot: Callable[..., BotProcess], fake_slack: FakeSlack, fake_tavus: FakeTavus, s3_client, bucket
) -> None:
    bot = start_bot(TAVUS_TIMEOUT_SECONDS="1")
    bot.send_command("voice anna")
    photo_ts = upload(bot, fake_slack, 3)
    ts, sid = offer(fake_slack, photo_ts)
    if fault == "429":
        fake_tavus.fail_next(CREATE, 429, {"message": "Too many requests"}, {"Retry-After": "1"})
    elif fault in ("500", "503"):
        fake_tavus.fail_next(CREATE, int(fault), {"error": "Internal error"})
    elif fault == "hang":
        fake_tavus.stall_next(CREATE, 2.5)  # Tavus creates the replica, the answer comes too late
    else:
        fake_tavus.fail_next(CREATE, 200, b"{not json")
    bot.click("create_replica", sid, ts)
    replica_id = training_replica(fake_slack, fake_tavus, ts, timeout=40)
    finish_and_check(fake_slack, fake_tavus, photo_ts, replica_id, s3_client, bucket)
    # 429: retried at once (Tavus did nothing). 5xx and bad JSON: the answer is unreliable, so
    # the bot looks the name up first and creates again only when Tavus has none. Hang: the
    # replica was made; it is found by name and adopted, never created twice.
    expected_create_calls = {"429": 2, "500": 2, "503": 2, "hang": 1, "bad_json": 2}[fault]
    assert fake_tavus.requests[CREATE] == expected_create_calls


@pytest.mark.parametrize("fault", ["429", "500", "503", "hang", "bad_json"])
def test_tavus_poll_faults_still_announce_once(
    fault: str, start_bot: Callable[..., BotProcess], fake_slack: FakeSlack, fake_tavus: FakeTavus, s3_client, bucket
) -> None:
    bot = start_bot(TAVUS_TIMEOUT_SECONDS="1")
    photo_ts, ts, sid, replica_id = start_training(bot, fake_slack, fake_tavus, 4)
    route = "GET /v2/replicas"
    for _ in range(3):  # a few cycles in a row fail
        if fault == "hang":
            fake_tavus.stall_next(route, 2.0)
        elif fault == "bad_json":
            fake_tavus.fail_next(route, 200, b"<html>")
        else:
            fake_tavus.fail_next(route, int(fault), {"error": "busy"}, {"Retry-After": "1"})
    finish_and_check(fake_slack, fake_tavus, photo_ts, replica_id, s3_client, bucket)


def test_s3_unavailable_for_a_while(
    tmp_path, fake_slack: FakeSlack, fake_tavus: FakeTavus, s3_server: str, s3_client, bucket, database_url: str
) -> None:  # type: ignore[no-untyped-def]
    from .harness import bot_env, database_env

    proxy = ToggleProxy(s3_server).start()
    env = bot_env(tmp_path, fake_slack.api_url, fake_tavus.url, proxy.url, bucket, **database_env(database_url))
    bot = BotProcess(env, tmp_path / "bot.log")
    try:
        bot.start()
        bot.send_command("voice anna")
        photo_ts = upload(bot, fake_slack, 5)
        ts, sid = offer(fake_slack, photo_ts)
        proxy.down = True
        bot.click("create_replica", sid, ts)
        wait_for(lambda: proxy.refused >= 2, 20)
        time.sleep(1.0)
        proxy.down = False
        replica_id = training_replica(fake_slack, fake_tavus, ts, timeout=60)
        finish_and_check(fake_slack, fake_tavus, photo_ts, replica_id, s3_client, bucket)
    finally:
        bot.kill()
        proxy.stop()


def test_slack_rate_limits_and_errors_lose_no_message(
    start_bot: Callable[..., BotProcess], fake_slack: FakeSlack, fake_tavus: FakeTavus, s3_client, bucket
) -> None:
    bot = start_bot()
    bot.send_command("voice anna")
    fake_slack.fail_next("chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
    photo_ts = upload(bot, fake_slack, 6)
    ts, sid = offer(fake_slack, photo_ts)
    bot.click("create_replica", sid, ts)
    replica_id = training_replica(fake_slack, fake_tavus, ts)
    # The completion post is rate-limited once, then fails outright: it waits in the outbox.
    fake_slack.fail_next("chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
    for _ in range(4):
        fake_slack.fail_next("chat.postMessage", 200, {"ok": False, "error": "internal_error"})
    finish_and_check(fake_slack, fake_tavus, photo_ts, replica_id, s3_client, bucket)


def test_a_notice_whose_answer_slack_lost_is_posted_once(
    start_bot: Callable[..., BotProcess], fake_slack: FakeSlack, fake_tavus: FakeTavus, s3_client, bucket
) -> None:
    bot = start_bot()
    photo_ts, ts, sid, replica_id = start_training(bot, fake_slack, fake_tavus, 8)
    # Slack posts the ready notice, but the connection closes before its answer arrives:
    # sending it again (as slack-sdk's connection retry would) posts it twice.
    fake_slack.lose_answer_next("chat.postMessage")
    finish_and_check(fake_slack, fake_tavus, photo_ts, replica_id, s3_client, bucket)
    assert fake_slack.answers_lost["chat.postMessage"] == 0  # the answer was lost indeed


def test_a_key_tavus_refuses_while_training_is_said_once_and_training_still_announced(
    start_bot: Callable[..., BotProcess], fake_slack: FakeSlack, fake_tavus: FakeTavus, s3_client, bucket
) -> None:
    bot = start_bot()
    photo_ts, ts, sid, replica_id = start_training(bot, fake_slack, fake_tavus, 9)
    with fake_tavus.lock:
        fake_tavus.accounts.discard(TAVUS_KEY)  # revoked in the Tavus portal: every call is 401

    def notes() -> list[str]:
        return [m["text"] for m in thread_messages(fake_slack, photo_ts) if "can't check on replica" in m["text"]]

    wait_for(notes, 20)
    time.sleep(2.5)  # more polls, refused each time
    (note,) = notes()
    assert "refuses this workspace's API key (401)" in note and replica_id in note
    with fake_tavus.lock:
        fake_tavus.accounts.add(TAVUS_KEY)  # a working key again
    finish_and_check(fake_slack, fake_tavus, photo_ts, replica_id, s3_client, bucket)
    assert len(notes()) == 1


def test_long_training_noted_once_and_vanished_replica_fails(
    start_bot: Callable[..., BotProcess], fake_slack: FakeSlack, fake_tavus: FakeTavus, s3_client, bucket
) -> None:
    bot = start_bot(LONG_TRAINING_SECONDS="2")
    photo_ts, ts, sid, replica_id = start_training(bot, fake_slack, fake_tavus, 7)

    def notes() -> list[dict]:
        return [m for m in thread_messages(fake_slack, photo_ts) if "longer than usual" in m["text"]]

    wait_for(notes, 20)
    time.sleep(2.5)
    assert len(notes()) == 1  # said once, while polling goes on
    with fake_tavus.lock:
        del fake_tavus.replicas[replica_id]  # deleted at Tavus: GET answers 404
    failed = wait_for(lambda: [m for m in thread_messages(fake_slack, photo_ts) if "no longer knows" in m["text"]])
    assert len(failed) == 1
    wait_for(lambda: s3_client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0)

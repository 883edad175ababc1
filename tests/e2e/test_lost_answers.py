"""Answers lost at random on the way back: Slack posts and edits (the connection closes after
Slack has acted) and Tavus creates (answered after the bot has stopped waiting). Whatever is
lost, each photo gets one checklist, each consent one replica, each replica one ready notice.
The losses fall differently on every run (the seed is printed, to replay one)."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from tests import photo_samples
from tests.fakes.http import HANG_UP
from tests.fakes.slack_api import FakeSlack
from tests.fakes.tavus_api import FakeTavus

from .flow import block_of, checklist_ts, ready_notices, ready_update, thread_messages, updates_of
from .harness import BotProcess, file_share_event, wait_for

SLACK_LOSS = 0.2  # of posts, edits and Home tabs
TAVUS_LOSS = 0.3  # of creates
TAVUS_TIMEOUT = 1.5  # the bot's wait for Tavus; a lost create is answered after it
PEOPLE = [f"U0L{i:02d}" for i in range(6)]
PHOTOS = 12

Handler = Callable[[str, str, dict[str, str], bytes], tuple[int, dict[str, str], Any]]


def losing_slack(slack: FakeSlack, rng: random.Random, lost: dict[str, int]) -> None:
    answer: Handler = slack.handle

    def handle(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], Any]:
        result = answer(method, path, headers, body)  # Slack acts in any case
        api_method = urlparse(path).path.removeprefix("/api/")
        if api_method in ("chat.postMessage", "chat.update", "views.publish") and rng.random() < SLACK_LOSS:
            lost["slack"] += 1
            return HANG_UP, {}, b""
        return result

    slack.handle = handle  # type: ignore[method-assign]


def losing_tavus(tavus: FakeTavus, rng: random.Random, lost: dict[str, int]) -> None:
    answer: Handler = tavus.handle

    def handle(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], Any]:
        result = answer(method, path, headers, body)  # the replica is made in any case
        if (method, urlparse(path).path) == ("POST", "/v2/replicas") and rng.random() < TAVUS_LOSS:
            lost["tavus"] += 1
            time.sleep(TAVUS_TIMEOUT + 1)
        return result

    tavus.handle = handle  # type: ignore[method-assign]


def test_answers_lost_at_random_still_give_one_of_everything(
    start_bot: Callable[..., BotProcess], fake_slack: FakeSlack, fake_tavus: FakeTavus
) -> None:
    seed = int(os.environ.get("LOST_ANSWERS_SEED") or time.time_ns() % 1_000_000)
    print(f"\nLOST_ANSWERS_SEED={seed}")
    rng, lost = random.Random(seed), {"slack": 0, "tavus": 0}
    losing_slack(fake_slack, rng, lost)
    losing_tavus(fake_tavus, rng, lost)
    bot = start_bot(TAVUS_TIMEOUT_SECONDS=str(TAVUS_TIMEOUT), TAVUS_MAX_RETRIES="0")
    for person in PEOPLE:
        bot.send_command("voice anna", user=person)
    photo = photo_samples.headshot_jpeg(640)
    uploads = []
    for n in range(PHOTOS):
        person, ts = PEOPLE[n % len(PEOPLE)], f"17200{n:05d}.000100"
        file_obj = fake_slack.add_file(f"F0L{n:03d}", "me.jpg", photo)
        bot.send_event(file_share_event(file_obj, ts=ts, user=person), f"EvL{n:03d}")
        uploads.append((person, ts))
    offers = {}
    for person, ts in uploads:
        checklist = checklist_ts(fake_slack, ts, timeout=90)
        create = block_of(ready_update(fake_slack, checklist, timeout=90), "draft_actions")["elements"][0]  # type: ignore[index]
        offers[ts] = (person, checklist, str(create["value"]))
    for person, checklist, sid in offers.values():
        bot.click("create_replica", sid, checklist, user=person)

    def training(checklist: str) -> bool:
        return any("Training started" in u["text"] for u in updates_of(fake_slack, checklist))

    wait_for(lambda: all(training(checklist) for _, checklist, _ in offers.values()), timeout=120)
    for replica_id in list(fake_tavus.replicas):
        fake_tavus.finish(replica_id, "completed")
    wait_for(lambda: all(ready_notices(fake_slack, ts) for ts in offers), timeout=120)
    time.sleep(3)  # more poll and outbox rounds: nothing doubles
    print(f"answers lost: {lost}")
    assert len(fake_tavus.replicas) == PHOTOS, sorted(r.replica_name for r in fake_tavus.replicas.values())
    doubled = {
        ts: [m["text"][:50] for m in thread_messages(fake_slack, ts)]
        for ts in offers
        if len(ready_notices(fake_slack, ts)) != 1 or len(thread_messages(fake_slack, ts)) != 2
    }
    assert not doubled, doubled  # one checklist and one ready notice in each thread

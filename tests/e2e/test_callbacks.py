"""Tavus callbacks: a finished training is announced within seconds, and forged callbacks
change nothing. The fake Tavus calls back exactly as Tavus documents (status "ready" or
"error"); the poll interval is 300 s, so only the callback can be this fast."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from tests.fakes.slack_api import FakeSlack
from tests.fakes.tavus_api import FakeTavus

from .flow import offer, ready_notices, start_training, thread_messages, upload
from .harness import BotProcess, wait_for


def start_with_callbacks(start_bot: Callable[..., BotProcess]) -> BotProcess:
    from .harness import free_port

    port = str(free_port())
    return start_bot(PORT=port, PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", POLL_INTERVAL_SECONDS="300")


def test_ready_callback_is_announced_within_two_seconds(
    start_bot: Callable[..., BotProcess], fake_slack: FakeSlack, fake_tavus: FakeTavus
) -> None:
    bot = start_with_callbacks(start_bot)
    photo_ts, ts, sid, replica_id = start_training(bot, fake_slack, fake_tavus, 1)
    url = fake_tavus.replicas[replica_id].callback_url
    assert url and url.startswith(f"http://127.0.0.1:{bot.port}/tavus/callback/")
    token = url.rsplit("/", 1)[1]
    assert len(token) >= 32 and token not in bot.logs()  # 192 random bits, never logged
    polls_before = fake_tavus.requests["GET /v2/replicas"]

    finished = time.monotonic()
    fake_tavus.finish(replica_id, "completed")
    wait_for(lambda: ready_notices(fake_slack, photo_ts), timeout=2)
    took = time.monotonic() - finished
    assert fake_tavus.requests["GET /v2/replicas/{id}"] >= 1  # confirmed with Tavus first
    assert fake_tavus.requests["GET /v2/replicas"] == polls_before  # no poll was needed
    assert fake_tavus.callbacks[0]["status"] == 202
    # Tavus calls again (a retry): still one notice.
    httpx.post(url, json={"replica_id": replica_id, "status": "ready"}, timeout=5)
    time.sleep(1.0)
    assert len(ready_notices(fake_slack, photo_ts)) == 1
    print(f"\ncallback → thread notice: {took * 1000:.0f} ms (poll interval 300 s)")


def test_error_callback_announces_the_failure(
    start_bot: Callable[..., BotProcess], fake_slack: FakeSlack, fake_tavus: FakeTavus
) -> None:
    bot = start_with_callbacks(start_bot)
    photo_ts, ts, sid, replica_id = start_training(bot, fake_slack, fake_tavus, 2)
    fake_tavus.finish(replica_id, "error", "Multiple faces detected in the training image")
    failed = wait_for(
        lambda: next((m for m in thread_messages(fake_slack, photo_ts) if "could not train" in m["text"]), None),
        timeout=2,
    )
    assert "only you" in failed["text"]


def test_forged_callbacks_change_nothing(
    start_bot: Callable[..., BotProcess], fake_slack: FakeSlack, fake_tavus: FakeTavus
) -> None:
    bot = start_with_callbacks(start_bot)
    photo_ts, ts, sid, replica_id = start_training(bot, fake_slack, fake_tavus, 3)
    url = str(fake_tavus.replicas[replica_id].callback_url)
    base, token = url.rsplit("/", 1)

    def post(target: str, body: object = None, content: bytes | None = None) -> int:
        if content is not None:
            return httpx.post(target, content=content, timeout=5).status_code
        return httpx.post(target, json=body, timeout=5).status_code

    ready = {"replica_id": replica_id, "status": "ready"}
    assert post(f"{base}/{'A' * 32}", ready) == 404  # a token we never issued
    assert post(f"{base}/../../slack/events", ready) in (404, 401)  # not a token at all
    assert post(url, {"replica_id": "r0ther000000", "status": "ready"}) == 409  # another replica
    assert post(url, content=b"{not json") == 400
    assert post(url, {"status": "ready"}) == 400
    assert post(url, content=b"x" * 100_000) == 413
    assert httpx.get(url, timeout=5).status_code == 405
    # The token is right, but Tavus says the replica is still training: a confirming GET, no notice.
    gets = fake_tavus.requests["GET /v2/replicas/{id}"]
    assert post(url, ready) == 202
    wait_for(lambda: fake_tavus.requests["GET /v2/replicas/{id}"] > gets, timeout=5)
    time.sleep(0.5)
    assert ready_notices(fake_slack, photo_ts) == []
    assert not any("is ready" in u.args["text"] for u in fake_slack.calls_to("chat.update"))
    logs = bot.logs()
    assert "reason=unknown_token" in logs and "reason=other_replica" in logs and token not in logs


def test_a_callback_that_comes_before_the_creates_answer_is_acted_on_once_it_arrives(
    start_bot: Callable[..., BotProcess], fake_slack: FakeSlack, fake_tavus: FakeTavus
) -> None:
    bot = start_with_callbacks(start_bot)
    bot.send_command("voice anna")
    photo_ts = upload(bot, fake_slack, 4)
    ts, sid = offer(fake_slack, photo_ts)
    # Tavus takes the request and finds the image wanting at once: its error callback comes
    # while its answer to the create is still on the way.
    fake_tavus.hold_answer_next("POST /v2/replicas", 3.0)
    bot.click("create_replica", sid, ts)
    replica_id = wait_for(lambda: next(iter(fake_tavus.replicas), None), timeout=20)
    fake_tavus.finish(replica_id, "error", "Multiple faces detected in the training image")
    wait_for(lambda: fake_tavus.callbacks, timeout=5)
    assert fake_tavus.callbacks[0]["status"] == 202  # not "another replica's": this one's id is not known yet
    # Told within seconds of the create's answer, though the next poll is 300 s away.
    failed = wait_for(
        lambda: [m for m in thread_messages(fake_slack, photo_ts) if "could not train" in m["text"]], timeout=12
    )
    assert len(failed) == 1 and fake_tavus.requests["GET /v2/replicas"] == 0

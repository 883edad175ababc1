"""Training done → thread notice: with Tavus callbacks, and with polling alone.

The real bot in one process against the local fakes; each replica is finished at the fake
Tavus (which calls back when the bot gave it a callback URL), and the time until the ready
notice reaches the thread is measured.
"""

from __future__ import annotations

import math
import statistics
import sys
import time

from bench.common import table
from bench.live import Rig, rig
from tests.e2e.flow import offer, ready_notices, updates_of, upload
from tests.e2e.harness import BotProcess, bot_env, free_port, wait_for

POLL_ONLY_INTERVAL = 10  # seconds: a short interval, so that polling alone finishes in minutes


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1)]


def notice_latencies(r: Rig, callbacks: bool, count: int, first: int) -> list[float]:
    port = free_port()
    extra = {"PORT": str(port), "POLL_INTERVAL_SECONDS": str(POLL_ONLY_INTERVAL)}
    if callbacks:
        extra.update(PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", POLL_INTERVAL_SECONDS="300")
    env = bot_env(r.tmp, r.slack.api_url, r.tavus.url, r.s3_url, r.bucket, **extra)
    bot = BotProcess(env, r.tmp / f"callbacks-{callbacks}.log").start()
    try:
        bot.send_command("voice anna")
        times = []
        for n in range(first, first + count):
            photo_ts = upload(bot, r.slack, n, event_id=f"EvCb{n}")
            ts, sid = offer(r.slack, photo_ts)
            before = set(r.tavus.replicas)
            bot.click("create_replica", sid, ts)
            wait_for(lambda known=before: set(r.tavus.replicas) - known, 30)
            (replica_id,) = set(r.tavus.replicas) - before
            wait_for(lambda t=ts: training_replica_started(r, t), 30)
            if not callbacks:  # training ends at any moment of a poll cycle
                time.sleep((n * 0.37) % 1.0 * POLL_ONLY_INTERVAL)
            finished = time.monotonic()
            r.tavus.finish(replica_id, "completed")
            # Looked for every 5 ms: the default 50 ms step made the p50 either ~51 or ~101 ms.
            wait_for(lambda p=photo_ts: ready_notices(r.slack, p), POLL_ONLY_INTERVAL * 3, interval=0.005)
            times.append((time.monotonic() - finished) * 1000)
        return times
    finally:
        bot.kill()


def training_replica_started(r: Rig, ts: str) -> bool:
    return any("Training started" in u["text"] for u in updates_of(r.slack, ts))


def run(quick: bool) -> str:
    count = 3 if quick else 10
    rows = []
    with rig() as r:
        for callbacks, label in (
            (True, "Tavus callback (poll every 300 s)"),
            (False, f"polling only, every {POLL_ONLY_INTERVAL} s"),
        ):
            times = notice_latencies(r, callbacks, count, first=100 if callbacks else 200)
            rows.append([label, count, f"{statistics.median(times):.0f} ms", f"{_percentile(times, 95):.0f} ms"])
    return table(["training done → thread notice", "replicas", "p50", "p95"], rows)


if __name__ == "__main__":
    print(run("--quick" in sys.argv))

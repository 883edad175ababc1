"""Polling cost: Tavus requests and time per poll cycle for N replicas in training.

In-process: a real SQLite repository with N training submissions, the real TavusClient and
poller against the fake Tavus on 127.0.0.1 (which holds the N replicas).
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from pathlib import Path
from unittest.mock import MagicMock

from bench.common import table
from bot.config import load_settings
from bot.poller import poll_training
from bot.tavus import TavusClient
from bot.voices import VoiceCatalog
from bot.workflow import Services, Workflow
from storage import Repository, Submission
from storage.jobs import JobStore
from tests.fakes.tavus_api import FakeReplica, FakeTavus

KEY = "bench-key"


def cycle(n: int, tavus: FakeTavus, folder: Path) -> tuple[int, float]:
    repo = Repository(str(folder / f"poll-{n}.db"))
    with tavus.lock:
        tavus.replicas.clear()
    for i in range(n):
        sid, rid = f"s{i:06d}", f"r{i:011d}"
        repo.create_submission(
            Submission(
                id=sid,
                team_id="T",
                user_id="U",
                channel_id="D",
                message_ts=sid,
                thread_ts=sid,
                file_id=sid,
                status="training",
                replica_id=rid,
                voice_name="anna",
                training_progress="10/100",
            )
        )
        tavus.replicas[rid] = FakeReplica(
            replica_id=rid, replica_name=f"x [{sid}]", voice_name="anna", training_progress="10/100"
        )
    settings = load_settings(
        {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "TAVUS_API_KEY": KEY, "S3_BUCKET": "b"}
    )
    client = TavusClient(KEY, tavus.url)
    services = Services(
        settings=settings,
        repo=repo,
        jobs=JobStore(repo.db),
        slack=MagicMock(),
        downloader=MagicMock(),
        rehost=MagicMock(),
        tavus=client,
        voices=VoiceCatalog(lambda: [], repo, "bench"),
    )
    before = sum(tavus.requests.values())
    started = time.perf_counter()
    poll_training(Workflow(services))
    elapsed = (time.perf_counter() - started) * 1000
    client.close()
    return sum(tavus.requests.values()) - before, elapsed


def run(quick: bool) -> str:
    sizes = (1, 10, 100) if quick else (1, 10, 100, 1000)
    tavus = FakeTavus(KEY).start()
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for n in sizes:
                requests, ms = cycle(n, tavus, Path(tmp))
                target = math.ceil(n / 100) + 1
                rows.append(
                    [
                        f"polling, {n} in training",
                        requests,
                        f"≤ {target}",
                        f"{ms:.0f} ms",
                        "ok" if requests <= target else "MISSED",
                    ]
                )
    finally:
        tavus.stop()
    return table(["benchmark", "Tavus requests / cycle", "target", "cycle time", ""], rows)


if __name__ == "__main__":
    print(run("--quick" in sys.argv))

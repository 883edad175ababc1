"""The cleanup sweep, run in-process against moto's S3 server, on SQLite and on PostgreSQL."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from slack_sdk import WebClient

from bot.config import load_settings
from bot.poller import maintenance
from bot.rehost import PhotoRehost
from bot.slack_files import SlackFileDownloader
from bot.tavus import TavusClient
from bot.voices import VoiceCatalog
from bot.workflow import Services, Workflow
from storage import Repository, Submission
from storage.clock import seconds_ago
from storage.jobs import JobStore
from storage.leases import Leases
from tests.fakes.slack_api import FakeSlack
from tests.fakes.tavus_api import FakeTavus

from .harness import BOT_TOKEN, TAVUS_KEY, bot_env


def test_sweep_deletes_orphans_and_expires_drafts_but_spares_training(
    tmp_path: Path,
    fake_slack: FakeSlack,
    fake_tavus: FakeTavus,
    s3_server: str,
    s3_client,
    bucket,
    monkeypatch,
    database_url: str,
    caplog,
) -> None:  # type: ignore[no-untyped-def]
    for k, v in bot_env(tmp_path, fake_slack.api_url, fake_tavus.url, s3_server, bucket).items():
        if k.startswith("AWS_"):  # boto3 finds the test credentials the usual way
            monkeypatch.setenv(k, v)
    settings = dataclasses.replace(
        load_settings(bot_env(tmp_path, fake_slack.api_url, fake_tavus.url, s3_server, bucket)),
        presign_ttl_seconds=0,  # everything counts as old
    )
    repo = Repository(database_url)
    rehost = PhotoRehost(bucket, region="us-east-1", endpoint_url=s3_server, sse=None)
    tavus = TavusClient(TAVUS_KEY, fake_tavus.url)
    services = Services(
        settings=settings,
        repo=repo,
        jobs=JobStore(repo.db),
        slack=WebClient(token=BOT_TOKEN, base_url=fake_slack.api_url),
        downloader=SlackFileDownloader(BOT_TOKEN, fake_slack.api_url, 1024),
        rehost=rehost,
        tavus=tavus,
        voices=VoiceCatalog(tavus.list_voices, repo, "acct"),
    )
    flow = Workflow(services)

    def submission(sid: str, status: str, key: str | None) -> None:
        repo.create_submission(
            Submission(
                id=sid,
                team_id="T",
                user_id="U",
                channel_id="D",
                message_ts=sid,
                thread_ts=sid,
                file_id=sid,
                status=status,
                s3_key=key,
            )
        )
        if key:
            rehost.upload(key, b"jpeg bytes")

    submission("straining", "training", "replica-bot/straining/a.jpg")
    submission("sdone", "completed", "replica-bot/sdone/b.jpg")  # its deletion failed earlier
    submission("sdraft", "ready", None)
    repo.save_photo("sdraft", b"photo")
    rehost.upload("replica-bot/sunknown/c.jpg", b"orphan")  # no submission at all
    flow.sweep()
    keys = sorted(o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket).get("Contents", []))
    assert keys == ["replica-bot/straining/a.jpg"]
    assert repo.get("sdone").s3_deleted_at is not None  # type: ignore[union-attr]
    assert repo.get("sdraft").status == "cancelled" and repo.load_photo("sdraft") is None  # type: ignore[union-attr]

    # The whole maintenance round, every step of it without an error, purges old rows too.
    leases = Leases(repo.db)
    assert repo.record_event("Ev-old") and repo.record_event("Ev-new")
    leases.beat("worker-gone", "worker")
    leases.beat("worker-live", "worker")
    with repo.db.write() as tx:
        tx.execute("UPDATE processed_events SET received_at = :t WHERE event_id = 'Ev-old'", {"t": seconds_ago(90_000)})
        tx.execute("UPDATE processes SET heartbeat_at = :t WHERE id = 'worker-gone'", {"t": seconds_ago(700_000)})
    with caplog.at_level(logging.ERROR, logger="bot.workflow"):
        maintenance(flow)
    assert "step_failed" not in caplog.text
    assert not repo.record_event("Ev-new") and repo.record_event("Ev-old")  # only the old id was forgotten
    with repo.db.read() as tx:
        assert tx.scalars("SELECT id FROM processes") == ["worker-live"]

"""Composition root: build the services, the Bolt app and the roles, and run them until told to stop."""

from __future__ import annotations

import logging
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from types import FrameType

import httpx
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from handlers import register_all
from storage import Repository
from storage.jobs import JobStore

from .config import Settings
from .photo.analysis import default_analyzer
from .rehost import PhotoRehost
from .roles import ROLES, WebRole, WorkerRole
from .slack_files import SlackFileDownloader
from .tavus import TavusClient
from .traffic import RequestGauge
from .voices import VoiceCatalog, account_of
from .workflow import Services, Workflow

log = logging.getLogger(__name__)

# SIGTERM to exit: the web role closes at once, running jobs get the rest of this.
STOP_SECONDS = 25.0


def build_services(settings: Settings, role: str = "all") -> Services:
    slack = WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=15,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=3),
            ConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )
    tavus = TavusClient(
        settings.tavus_api_key,
        settings.tavus_api_url,
        max_retries=settings.tavus_max_retries,
        backoff_seconds=settings.tavus_backoff_seconds,
        timeout=httpx.Timeout(settings.tavus_timeout_seconds, connect=min(5.0, settings.tavus_timeout_seconds)),
    )
    repo = Repository(settings.database)
    return Services(
        settings=settings,
        repo=repo,
        jobs=JobStore(repo.db),
        slack=slack,
        downloader=SlackFileDownloader(settings.slack_bot_token, settings.slack_api_url, settings.download_max_bytes),
        rehost=PhotoRehost(
            settings.s3_bucket,
            region=settings.aws_region,
            endpoint_url=settings.s3_endpoint_url,
            sse=settings.s3_sse,
        ),
        tavus=tavus,
        voices=VoiceCatalog(tavus.list_voices, repo, account_of(settings.tavus_api_key)),
        modal_pool=ThreadPoolExecutor(max_workers=2, thread_name_prefix="modal") if role != "worker" else None,
    )


def build_app(services: Services, workflow: Workflow) -> App:
    # Listeners run on the request thread and return at once (slow parts become jobs), so
    # the answer goes out without Bolt's hop to another pool and its 10 ms polling for ack().
    app = App(
        client=services.slack,
        signing_secret=services.settings.slack_signing_secret or None,
        process_before_response=True,
    )
    register_all(app, workflow)
    return app


def run(settings: Settings, role: str = "all") -> None:
    assert role in ROLES
    if role != "web":
        # Load the face models before taking work: the first photo is then checked warm, and
        # a broken install stops start-up instead of failing every photo.
        default_analyzer()
    services = build_services(settings, role)
    warning = services.rehost.credential_warning(settings.presign_ttl_seconds)
    if warning and role != "web":
        log.warning("event=credentials_warning detail=%s", warning)
    workflow = Workflow(services)
    # One process running both: jobs hold back while Slack requests are being answered.
    gauge = RequestGauge() if role == "all" else None
    worker = WorkerRole(workflow, role, gauge).start() if role != "web" else None
    web = WebRole(build_app(services, workflow), settings, services.repo, gauge).start() if role != "worker" else None
    log.info("event=started role=%s database=%s", role, settings.database_label)
    stop = threading.Event()

    def shutdown(signum: int, frame: FrameType | None) -> None:
        log.info("event=shutdown signal=%d", signum)
        stop.set()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    stop.wait()
    if web is not None:
        web.stop()  # no new requests; waitress lets the ones in flight finish
    if worker is not None:
        worker.stop(STOP_SECONDS)
    if services.modal_pool is not None:
        services.modal_pool.shutdown(wait=True)
    services.repo.close()
    log.info("event=stopped role=%s", role)

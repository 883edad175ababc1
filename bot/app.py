"""Wiring: build the services, the Bolt app and the server, and run them until told to stop."""

from __future__ import annotations

import logging
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from types import FrameType
from typing import Any

import httpx
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from handlers import register_all
from storage import Repository

from .config import Settings
from .photo.analysis import default_analyzer
from .poller import maintenance, start_scheduler
from .rehost import PhotoRehost
from .slack_files import SlackFileDownloader
from .tavus import TavusClient
from .traffic import RequestGauge
from .voices import VoiceCatalog
from .workflow import Services, Workflow

log = logging.getLogger(__name__)

# Photo checks are CPU-bound: two workers use both cores, bound memory under bursts, and
# leave request threads a fair share of the GIL (acks stay fast while photos are checked).
WORKER_THREADS = 2
REPLY_THREADS = 2


def build_services(settings: Settings) -> Services:
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
    return Services(
        settings=settings,
        repo=Repository(settings.database_path),
        slack=slack,
        downloader=SlackFileDownloader(settings.slack_bot_token, settings.slack_api_url, settings.download_max_bytes),
        rehost=PhotoRehost(
            settings.s3_bucket,
            region=settings.aws_region,
            endpoint_url=settings.s3_endpoint_url,
            sse=settings.s3_sse,
        ),
        tavus=tavus,
        voices=VoiceCatalog(tavus.list_voices),
        executor=ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="work"),
        replies=ThreadPoolExecutor(max_workers=REPLY_THREADS, thread_name_prefix="reply"),
        gauge=RequestGauge(),
    )


def build_app(services: Services, workflow: Workflow) -> App:
    # Listeners run on the request thread and return at once (their slow parts go to the
    # workflow's executors), so the answer goes out without Bolt's hop to another pool and
    # its 10 ms polling for ack(): a burst of 100 requests then queues on one pool, not two.
    app = App(
        client=services.slack,
        signing_secret=services.settings.slack_signing_secret or None,
        process_before_response=True,
    )
    register_all(app, workflow)
    return app


def wsgi_app(bolt_app: App, gauge: RequestGauge | None = None) -> Any:
    slack_handler = SlackRequestHandler(bolt_app, path="/slack/events")

    def application(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        if gauge is None:
            return slack_handler(environ, start_response)
        with gauge.request():  # background jobs hold back until this is answered
            return slack_handler(environ, start_response)

    return application


def run(settings: Settings) -> None:
    # Load the face models before taking traffic: the first photo is then checked warm, and a
    # broken install stops start-up instead of failing every photo.
    default_analyzer()
    services = build_services(settings)
    warning = services.rehost.credential_warning(settings.presign_ttl_seconds)
    if warning:
        log.warning("event=credentials_warning detail=%s", warning)
    workflow = Workflow(services)
    bolt_app = build_app(services, workflow)
    threading.Thread(target=services.voices.refresh, name="voices", daemon=True).start()
    # Resume what a previous run left: photos being checked, interrupted submissions,
    # unsent notices.
    workflow.resume_intake()
    workflow.run_in_background(maintenance, workflow)
    scheduler = start_scheduler(workflow, settings.poll_interval_seconds)
    stop = threading.Event()

    def shutdown(signum: int, frame: FrameType | None) -> None:
        log.info("event=shutdown signal=%d", signum)
        stop.set()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    try:
        if settings.socket_mode:
            _run_socket_mode(bolt_app, settings, stop)
        else:
            _run_http(bolt_app, settings, stop, services.gauge)
    finally:
        scheduler.shutdown(wait=True)
        # Finish jobs already running; queued ones are dropped: their state is in storage and
        # the next start resumes them.
        services.executor.shutdown(wait=True, cancel_futures=True)
        if services.replies is not None:
            services.replies.shutdown(wait=True)
        services.repo.close()
        log.info("event=stopped")


def _run_http(bolt_app: App, settings: Settings, stop: threading.Event, gauge: RequestGauge | None) -> None:
    from waitress.server import create_server

    app = wsgi_app(bolt_app, gauge)
    server = create_server(app, host="0.0.0.0", port=settings.port, threads=16, ident="replica-bot")
    # The server runs in a daemon thread; the main thread waits for SIGTERM, then shuts down
    # the scheduler and workers in order while in-flight requests finish.
    threading.Thread(target=server.run, name="http", daemon=True).start()
    log.info("event=listening mode=http port=%d path=/slack/events", settings.port)
    stop.wait()
    server.close()


def _run_socket_mode(bolt_app: App, settings: Settings, stop: threading.Event) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    assert settings.slack_app_token
    handler = SocketModeHandler(bolt_app, settings.slack_app_token)
    handler.connect()
    log.info("event=listening mode=socket")
    stop.wait()
    handler.close()

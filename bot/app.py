"""Composition root: build the services, the Bolt app and the roles, and run them until told to stop."""

from __future__ import annotations

import gc
import logging
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from types import FrameType

import httpx
from slack_bolt import App
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.token_rotation import TokenRotator

from handlers import STORED_ACTIONS, STORED_COMMANDS, STORED_EVENTS, register_all
from storage import Repository
from storage.jobs import JobStore
from storage.leases import Leases

from .config import Settings
from .health import WorkerWatch
from .inbox import Door, Replay
from .photo.analysis import default_analyzer
from .rehost import PhotoRehost
from .roles import ROLES, WebRole, WorkerRole
from .slack_client import make_slack_client
from .slack_files import SlackFileDownloader
from .tavus import TavusClient
from .traffic import RequestGauge
from .voices import VoiceCatalog, account_of, no_voices
from .workflow import Services, Workflow
from .workspaces.directory import Workspaces
from .workspaces.installations import DatabaseStateStore
from .workspaces.secrets import Keyring

log = logging.getLogger(__name__)

# SIGTERM to exit: the web role closes at once, running jobs get the rest of this.
STOP_SECONDS = 25.0


def make_tavus_client(settings: Settings, key: str) -> TavusClient:
    return TavusClient(
        key,
        settings.tavus_api_url,
        max_retries=settings.tavus_max_retries,
        backoff_seconds=settings.tavus_backoff_seconds,
        timeout=httpx.Timeout(settings.tavus_timeout_seconds, connect=min(5.0, settings.tavus_timeout_seconds)),
    )


def build_services(settings: Settings, role: str = "all") -> Services:
    # In OAuth mode the shared client carries no token: each workspace's comes from its install.
    slack = make_slack_client(settings, settings.slack_bot_token or None)
    tavus = make_tavus_client(settings, settings.tavus_api_key) if settings.tavus_api_key else None
    repo = Repository(settings.database)
    voices = VoiceCatalog(
        tavus.list_voices if tavus else no_voices, repo, account_of(settings.tavus_api_key) if tavus else "none"
    )
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
        voices=voices,
        workspaces=build_workspaces(settings, repo, slack, tavus, voices),
        modal_pool=ThreadPoolExecutor(max_workers=2, thread_name_prefix="modal") if role != "worker" else None,
    )


def build_workspaces(
    settings: Settings, repo: Repository, slack: WebClient, tavus: TavusClient | None, voices: VoiceCatalog
) -> Workspaces:
    keyring = Keyring.from_setting(settings.encryption_key) if settings.encryption_key else None
    rotate = None
    if settings.oauth:
        rotator = TokenRotator(
            client_id=settings.slack_client_id or "", client_secret=settings.slack_client_secret, client=slack
        )

        def rotate(installation: Installation) -> Installation | None:
            return rotator.perform_token_rotation(installation=installation, minutes_before_expiration=120)

    return Workspaces(
        repo,
        default_slack=slack,
        default_tavus=tavus,
        default_voices=voices,
        default_tavus_key=settings.tavus_api_key or None,
        make_slack=partial(make_slack_client, settings),
        make_tavus=partial(make_tavus_client, settings),
        keyring=keyring if settings.oauth else None,
        rotate=rotate,
    )


def build_app(services: Services, workflow: Workflow, *, stored: bool = False) -> App:
    """Bolt's app with every listener. `stored=True`: the app a worker runs stored requests
    through (bot/inbox/replay.py): no request verification (that was done at the door)."""
    # Listeners run on the request thread and return at once (slow parts become jobs), so
    # the answer goes out without Bolt's hop to another pool and its 10 ms polling for ack().
    settings = services.settings
    oauth = None
    if settings.oauth:  # the stored-request app too: its authorize rotates tokens with them
        assert services.workspaces.installations is not None
        oauth = OAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret,
            scopes=list(settings.slack_scopes),
            redirect_uri=f"{settings.public_base_url}/slack/oauth_redirect",
            install_path="/slack/install",
            redirect_uri_path="/slack/oauth_redirect",
            installation_store=services.workspaces.installations,
            state_store=DatabaseStateStore(services.repo),
        )
    app = App(
        client=services.slack,
        signing_secret=settings.slack_signing_secret or None,
        request_verification_enabled=not stored,
        process_before_response=True,
        oauth_settings=oauth,
        # Given here too, Bolt's authorize (and its token rotation) uses our client, whose
        # base URL is SLACK_API_URL, instead of a default one that would go to slack.com.
        installation_store=services.workspaces.installations,
    )
    register_all(app, workflow)
    return app


def settle_heap() -> None:
    """Move what start-up built (~128 000 objects: Bolt, boto3's service models, slack-sdk)
    out of the garbage collector's sight. Otherwise every full collection walks all of it
    (80–85 ms here, measured with gc.callbacks), and every request in flight waits for it."""
    gc.collect()  # start-up's garbage is freed, not kept for good
    gc.freeze()


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
    if role != "web":
        services.replay = Replay(build_app(services, workflow, stored=True))
    worker = WorkerRole(workflow, role, gauge).start() if role != "web" else None
    web = None
    if role != "worker":
        # Who runs the work this process stores: a web role looks for workers in the
        # database (and says when none is alive); the one-process bot is its own worker.
        watch = WorkerWatch(
            Leases(services.repo.db), services.jobs, settings.job_lease_seconds, settings.job_backlog_alert_seconds
        )
        if role == "web":
            watch.start()
        door = None  # Socket Mode: every envelope is acked by Bolt's Socket Mode client
        if not settings.socket_mode:
            door = Door(
                services.jobs,
                settings.slack_signing_secret,
                STORED_EVENTS,
                STORED_ACTIONS,
                commands=STORED_COMMANDS,
                workers_alive=watch.alive if role == "web" else None,
                # Said off the request thread: the ack waits for no Slack call.
                upload_waits=lambda upload: workflow.in_modal_pool(partial(workflow.say_upload_waits, upload)),
            )
        web = WebRole(build_app(services, workflow), settings, services.repo, gauge, door, watch).start()
    settle_heap()
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

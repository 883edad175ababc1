"""Settings from the environment (and `.env`), validated all at once.

A missing or malformed setting stops start-up with one message that names every
problem, so an operator fixes them in one go instead of one restart per variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_TAVUS_API_URL = "https://tavusapi.com"
# Tavus asks for a training URL that stays valid at least 24 h; SigV4 caps presigned URLs at 7 days.
MIN_PRESIGN_TTL_SECONDS = 86_400
MAX_PRESIGN_TTL_SECONDS = 604_800
DEFAULT_PRESIGN_TTL_SECONDS = 172_800
DEFAULT_POLL_INTERVAL_SECONDS = 300
# With Tavus calling back, polling is only the safety net for a lost callback.
DEFAULT_POLL_INTERVAL_WITH_CALLBACKS = 1800
# The bot scopes an OAuth install asks for: manifest.yml's (a test keeps them equal).
DEFAULT_SLACK_SCOPES = (
    "chat:write",
    "commands",
    "files:read",
    "files:write",
    "im:history",
    "im:read",
    "im:write",
    "usergroups:read",
    "users:read",
)


class ConfigError(Exception):
    """Raised with every configuration problem found, one per line."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str
    slack_signing_secret: str
    slack_app_token: str | None
    slack_api_url: str
    port: int
    tavus_api_key: str
    tavus_api_url: str
    tavus_image_validation: bool
    s3_bucket: str
    s3_endpoint_url: str | None
    s3_sse: str | None
    aws_region: str
    database_path: str
    database_url: str | None  # PostgreSQL; when set, database_path is not used
    poll_interval_seconds: int
    presign_ttl_seconds: int
    download_max_bytes: int
    tavus_max_retries: int
    tavus_backoff_seconds: float
    tavus_timeout_seconds: float
    long_training_seconds: int
    reconcile_grace_seconds: int
    job_lease_seconds: int
    job_poll_seconds: float
    job_backlog_alert_seconds: float
    worker_photo_threads: int
    worker_io_threads: int
    public_base_url: str | None  # where Slack (OAuth) and Tavus (callbacks) reach the web role
    # OAuth installs into many workspaces (on when the client id is set); see bot/workspaces/.
    slack_client_id: str | None = None
    slack_client_secret: str = ""
    slack_scopes: tuple[str, ...] = DEFAULT_SLACK_SCOPES
    encryption_key: str = ""  # Fernet keys, comma-separated, newest first
    audit_retention_days: int = 365  # then the maintenance job deletes audit entries
    approval_lapse_seconds: int = 7 * 86_400  # an unanswered approval request lapses (issue 12: 7 days)

    @property
    def oauth(self) -> bool:
        return self.slack_client_id is not None

    @property
    def callbacks(self) -> bool:
        """Tavus calls back when training ends (it needs a public URL to reach us)."""
        return self.public_base_url is not None

    @property
    def socket_mode(self) -> bool:
        return bool(self.slack_app_token)

    def __repr__(self) -> str:  # never print secrets, even by accident in a traceback
        return (
            f"Settings(slack_api_url={self.slack_api_url!r}, tavus_api_url={self.tavus_api_url!r}, "
            f"s3_bucket={self.s3_bucket!r}, database={self.database_label!r}, "
            f"socket_mode={self.socket_mode}, oauth={self.oauth})"
        )

    @property
    def database(self) -> str:
        """What storage opens: the PostgreSQL URL, or the SQLite file."""
        return self.database_url or self.database_path

    @property
    def database_label(self) -> str:
        """The database, for logs: never the password."""
        from storage import describe

        return describe(self.database)


def read_dotenv(path: str = ".env") -> None:
    """Load `.env` into the process environment without overriding real variables."""
    if os.path.exists(path):
        from dotenv import load_dotenv

        load_dotenv(path, override=False)


class _Reader:
    """Collects problems while reading, so all of them are reported together."""

    def __init__(self, env: Mapping[str, str]):
        self.env = env
        self.problems: list[str] = []

    def text(self, name: str, *, required: bool, default: str = "") -> str:
        value = self.env.get(name, "").strip()
        if not value and required:
            self.problems.append(f"{name} is missing")
        return value or default

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.env.get(name, "").strip()
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            self.problems.append(f"{name} must be a whole number, got {raw!r}")
            return default
        if not low <= value <= high:
            self.problems.append(f"{name} must be between {low} and {high}, got {value}")
        return value

    def number(self, name: str, default: float, low: float, high: float) -> float:
        raw = self.env.get(name, "").strip()
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            self.problems.append(f"{name} must be a number, got {raw!r}")
            return default
        if not low <= value <= high:
            self.problems.append(f"{name} must be between {low} and {high}, got {value}")
        return value

    def database_url(self, name: str) -> str | None:
        raw = self.env.get(name, "").strip()
        if not raw:
            return None
        parsed = urlparse(raw)
        if parsed.scheme not in {"postgres", "postgresql", "postgresql+psycopg"} or not parsed.netloc:
            self.problems.append(f"{name} must be a postgresql:// URL (PostgreSQL), got scheme {parsed.scheme!r}")
        return raw

    def flag(self, name: str, default: bool) -> bool:
        raw = self.env.get(name, "").strip().lower()
        if not raw:
            return default
        if raw in {"1", "true", "yes", "on"}:
            return True
        if raw in {"0", "false", "no", "off"}:
            return False
        self.problems.append(f"{name} must be true or false, got {raw!r}")
        return default

    def url(self, name: str, default: str | None) -> str | None:
        raw = self.env.get(name, "").strip()
        if not raw:
            return default
        parsed = urlparse(raw)
        if parsed.scheme not in {"http", "https"} or not parsed.netloc:
            self.problems.append(f"{name} must be an http(s) URL, got {raw!r}")
        return raw


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate settings; raise ConfigError naming every problem."""
    r = _Reader(os.environ if env is None else env)
    app_token = r.text("SLACK_APP_TOKEN", required=False) or None
    if app_token and not app_token.startswith("xapp-"):
        r.problems.append("SLACK_APP_TOKEN must be an app-level token starting with xapp-")
    client_id = r.text("SLACK_CLIENT_ID", required=False) or None
    bot_token = r.text("SLACK_BOT_TOKEN", required=client_id is None)
    if bot_token and not bot_token.startswith("xoxb-"):
        r.problems.append("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
    slack_api_url = r.url("SLACK_API_URL", DEFAULT_SLACK_API_URL) or DEFAULT_SLACK_API_URL
    if not slack_api_url.endswith("/"):
        slack_api_url += "/"
    sse = r.env.get("S3_SSE")
    public_url = (r.url("PUBLIC_BASE_URL", None) or "").rstrip("/") or None
    encryption_key = r.text("ENCRYPTION_KEY", required=client_id is not None)
    if encryption_key:
        from .workspaces.secrets import Keyring, KeyringError

        try:
            Keyring.from_setting(encryption_key)
        except KeyringError as exc:
            r.problems.append(str(exc))
    if client_id is not None:
        if not public_url and "PUBLIC_BASE_URL" not in r.env:
            r.problems.append(
                "PUBLIC_BASE_URL is missing (OAuth installs redirect to PUBLIC_BASE_URL/slack/oauth_redirect)"
            )
        if app_token:
            r.problems.append("SLACK_APP_TOKEN: OAuth installs need the HTTP mode (the install pages): unset it")
    scopes = tuple(x.strip() for x in r.env.get("SLACK_SCOPES", "").split(",") if x.strip()) or DEFAULT_SLACK_SCOPES
    settings = Settings(
        slack_bot_token=bot_token,
        # Socket Mode does not sign requests; HTTP mode cannot run without the secret.
        slack_signing_secret=r.text("SLACK_SIGNING_SECRET", required=not app_token),
        slack_app_token=app_token,
        slack_api_url=slack_api_url,
        port=r.integer("PORT", 3000, 1, 65535),
        # With OAuth installs each workspace connects its own key; this one is the default.
        tavus_api_key=r.text("TAVUS_API_KEY", required=client_id is None),
        tavus_api_url=(r.url("TAVUS_API_URL", DEFAULT_TAVUS_API_URL) or "").rstrip("/"),
        tavus_image_validation=r.flag("TAVUS_IMAGE_VALIDATION", True),
        s3_bucket=r.text("S3_BUCKET", required=True),
        s3_endpoint_url=r.url("S3_ENDPOINT_URL", None),
        s3_sse="AES256" if sse is None else (sse.strip() or None),
        aws_region=(r.env.get("AWS_REGION") or r.env.get("AWS_DEFAULT_REGION") or "us-east-1"),
        database_path=r.text("DATABASE_PATH", required=False, default="replica-bot.db"),
        database_url=r.database_url("DATABASE_URL"),
        poll_interval_seconds=r.integer(
            "POLL_INTERVAL_SECONDS",
            DEFAULT_POLL_INTERVAL_WITH_CALLBACKS if public_url else DEFAULT_POLL_INTERVAL_SECONDS,
            1,
            86_400,
        ),
        presign_ttl_seconds=r.integer(
            "PRESIGN_TTL_SECONDS",
            DEFAULT_PRESIGN_TTL_SECONDS,
            MIN_PRESIGN_TTL_SECONDS,
            MAX_PRESIGN_TTL_SECONDS,
        ),
        download_max_bytes=r.integer("DOWNLOAD_MAX_BYTES", 30 * 1024 * 1024, 1024, 200 * 2**20),
        tavus_max_retries=r.integer("TAVUS_MAX_RETRIES", 4, 0, 10),
        tavus_backoff_seconds=r.number("TAVUS_BACKOFF_SECONDS", 1.0, 0.0, 60.0),
        tavus_timeout_seconds=r.number("TAVUS_TIMEOUT_SECONDS", 20.0, 0.1, 300.0),
        long_training_seconds=r.integer("LONG_TRAINING_SECONDS", 8 * 3600, 1, 7 * 86_400),
        reconcile_grace_seconds=r.integer("RECONCILE_GRACE_SECONDS", 120, 0, 86_400),
        job_lease_seconds=r.integer("JOB_LEASE_SECONDS", 60, 2, 3600),
        # Without PostgreSQL's NOTIFY, workers in other processes find new jobs by looking.
        job_poll_seconds=r.number("JOB_POLL_SECONDS", 2.0 if r.env.get("DATABASE_URL") else 0.05, 0.01, 60.0),
        job_backlog_alert_seconds=r.number("JOB_BACKLOG_ALERT_SECONDS", 300.0, 5.0, 86_400.0),
        worker_photo_threads=r.integer("WORKER_PHOTO_THREADS", max(1, min(4, os.cpu_count() or 1)), 1, 64),
        worker_io_threads=r.integer("WORKER_IO_THREADS", 4, 1, 64),
        public_base_url=public_url,
        slack_client_id=client_id,
        slack_client_secret=r.text("SLACK_CLIENT_SECRET", required=client_id is not None),
        slack_scopes=scopes,
        encryption_key=encryption_key,
        audit_retention_days=r.integer("AUDIT_RETENTION_DAYS", 365, 1, 36_500),
        approval_lapse_seconds=r.integer("APPROVAL_LAPSE_SECONDS", 7 * 86_400, 1, 365 * 86_400),
    )
    if r.problems:
        raise ConfigError(r.problems)
    return settings

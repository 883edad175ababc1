import pytest

from bot.config import ConfigError, load_settings

GOOD = {
    "SLACK_BOT_TOKEN": "xoxb-1",
    "SLACK_SIGNING_SECRET": "s",
    "TAVUS_API_KEY": "k",
    "S3_BUCKET": "b",
}


def test_minimal_http_mode_settings_and_defaults() -> None:
    s = load_settings(GOOD)
    assert s.port == 3000 and s.presign_ttl_seconds == 172_800 and s.poll_interval_seconds == 300
    assert s.slack_api_url == "https://slack.com/api/" and s.tavus_api_url == "https://tavusapi.com"
    assert s.s3_sse == "AES256" and s.database_path == "replica-bot.db" and not s.socket_mode


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as err:
        load_settings({"PORT": "eighty", "PRESIGN_TTL_SECONDS": "3600", "TAVUS_API_URL": "ftp://x"})
    problems = "\n".join(err.value.problems)
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "TAVUS_API_KEY",
        "S3_BUCKET",
        "PORT",
        "PRESIGN_TTL_SECONDS",
        "TAVUS_API_URL",
    ):
        assert name in problems
    assert len(err.value.problems) == 7


def test_presign_ttl_must_cover_a_day_and_stay_within_sigv4() -> None:
    assert load_settings({**GOOD, "PRESIGN_TTL_SECONDS": "86400"}).presign_ttl_seconds == 86400
    for bad in ("86399", "604801"):
        with pytest.raises(ConfigError):
            load_settings({**GOOD, "PRESIGN_TTL_SECONDS": bad})


def test_socket_mode_needs_no_signing_secret_and_sse_can_be_disabled() -> None:
    env = {**GOOD, "SLACK_SIGNING_SECRET": "", "SLACK_APP_TOKEN": "xapp-1", "S3_SSE": ""}
    s = load_settings(env)
    assert s.socket_mode and s.s3_sse is None


def test_repr_never_shows_secrets() -> None:
    text = repr(load_settings({**GOOD, "SLACK_BOT_TOKEN": "xoxb-very-secret"}))
    assert "very-secret" not in text and "xoxb" not in text


def test_wrong_token_kinds_are_named() -> None:
    with pytest.raises(ConfigError) as err:
        load_settings({**GOOD, "SLACK_BOT_TOKEN": "xoxp-user", "SLACK_APP_TOKEN": "xoxb-2"})
    assert any("xoxb-" in p for p in err.value.problems) and any("xapp-" in p for p in err.value.problems)


OAUTH = {"SLACK_CLIENT_ID": "1.2", "SLACK_SIGNING_SECRET": "s", "S3_BUCKET": "b"}


def test_oauth_mode_names_every_missing_setting_and_needs_no_single_token() -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(OAUTH)
    problems = "\n".join(err.value.problems)
    for name in ("SLACK_CLIENT_SECRET", "PUBLIC_BASE_URL", "ENCRYPTION_KEY"):
        assert name in problems
    assert "SLACK_BOT_TOKEN" not in problems and "TAVUS_API_KEY" not in problems
    from bot.workspaces.secrets import Keyring

    ready = {
        **OAUTH,
        "SLACK_CLIENT_SECRET": "oauth-secret-7",
        "PUBLIC_BASE_URL": "https://b.example",
        "ENCRYPTION_KEY": Keyring.new_key(),
    }
    s = load_settings(ready)
    assert s.oauth and s.slack_bot_token == "" and "chat:write" in s.slack_scopes
    assert "oauth-secret-7" not in repr(s) and ready["ENCRYPTION_KEY"] not in repr(s) and "oauth=True" in repr(s)
    with pytest.raises(ConfigError, match="key 1 of 1"):
        load_settings({**ready, "ENCRYPTION_KEY": "short"})


def test_single_token_mode_is_unchanged_by_oauth_settings() -> None:
    s = load_settings(GOOD)
    assert not s.oauth and s.slack_client_id is None and s.encryption_key == ""

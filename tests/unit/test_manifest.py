"""manifest.yml is a valid Slack manifest and declares what the code uses."""

import json
import re
from pathlib import Path

import jsonschema
import yaml

from handlers import commands as command_handlers

ROOT = Path(__file__).resolve().parents[2]
# Slack's published manifest schema (slackapi/manifest-schema, MIT; LICENSE beside it).
SCHEMA = ROOT / "tests" / "slack_schema" / "manifest.schema.1.0.0.json"


def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_manifest_matches_slack_schema() -> None:
    jsonschema.validate(manifest(), json.loads(SCHEMA.read_text()))


def test_every_event_and_command_the_code_handles_is_declared() -> None:
    m = manifest()
    code = "\n".join(p.read_text() for p in (ROOT / "handlers").glob("*.py"))
    handled = set(re.findall(r'app\.event\("([a-z_]+)"\)', code))
    declared = set(m["settings"]["event_subscriptions"]["bot_events"])
    # `message` arrives as message.im for DMs; declaring events we don't handle makes Slack retry.
    assert {"message.im" if e == "message" else e for e in handled} == declared
    commands = set(re.findall(r'app\.command\("(/[a-z]+)"\)', code))
    # a command named by a constant (the door answers it too): its value
    commands |= {getattr(command_handlers, name) for name in re.findall(r"app\.command\(([A-Z_]+)\)", code)}
    assert commands == {c["command"] for c in m["features"]["slash_commands"]}


def test_dm_uploads_are_possible_and_scopes_cover_the_api_calls() -> None:
    m = manifest()
    home = m["features"]["app_home"]
    assert home["messages_tab_enabled"] and not home["messages_tab_read_only_enabled"]
    assert home["home_tab_enabled"] and m["settings"]["interactivity"]["is_enabled"]
    scopes = set(m["oauth_config"]["scopes"]["bot"])
    source = "\n".join(p.read_text() for p in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "handlers").rglob("*.py")])
    needs = {
        "chat_postMessage": "chat:write",
        "chat_update": "chat:write",
        "chat_postEphemeral": "chat:write",
        "files_info": "files:read",
        "users_info": "users:read",
        "conversations_replies": "im:history",
        "app.command": "commands",
        "usergroups_users_list": "usergroups:read",
        "usergroups_list": "usergroups:read",
        "files_upload_v2": "files:write",
        "conversations_open": "im:write",
    }
    for call, scope in needs.items():
        if call in source:
            assert scope in scopes, call
    assert {"im:history", "files:read"} <= scopes  # message.im events and file downloads
    assert "users_list" not in source or "users:read" in scopes


def test_oauth_installs_ask_for_the_manifest_scopes_and_come_back_to_the_bot() -> None:
    from bot.config import DEFAULT_SLACK_SCOPES

    m = manifest()
    assert set(DEFAULT_SLACK_SCOPES) == set(m["oauth_config"]["scopes"]["bot"])
    assert all(url.endswith("/slack/oauth_redirect") for url in m["oauth_config"]["redirect_urls"])

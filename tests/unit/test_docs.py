"""The README and /replica help list the same commands: the ones the handler answers."""

from pathlib import Path

from bot import messages
from handlers.commands import SUBCOMMANDS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_readme_and_help_name_every_command() -> None:
    help_text = messages.help_text()
    for usage, _ in messages.COMMANDS_HELP:
        assert f"`/replica {usage}`" in README, usage
        assert f"`/replica {usage}`" in help_text, usage
    assert set(SUBCOMMANDS) == {u.split(" ")[0] for u, _ in messages.COMMANDS_HELP}


def test_readme_first_screen_has_the_two_commands() -> None:
    first_screen = "\n".join(README.splitlines()[:30])
    assert "scripts/install && .venv/bin/replica-bot run" in first_screen
    assert "scripts/install test && .venv/bin/python -m pytest" in first_screen


def test_every_setting_is_documented() -> None:
    source = (Path(__file__).resolve().parents[2] / "bot" / "config.py").read_text()
    import re

    for name in set(re.findall(r'"([A-Z][A-Z0-9_]+)"', source)):
        if name.startswith(
            (
                "SLACK_",
                "TAVUS_",
                "S3_",
                "DATABASE",
                "POLL",
                "PRESIGN",
                "PORT",
                "DOWNLOAD",
                "LONG",
                "RECONCILE",
                "JOB_",
                "WORKER_",
                "PUBLIC_",
            )
        ):
            assert f"`{name}`" in README, name

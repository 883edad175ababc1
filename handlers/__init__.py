"""Slack listeners only: translate payloads into workflow calls, and results into replies."""

from collections.abc import Callable

from slack_bolt import App, BoltContext, BoltResponse

from bot.workflow import Workflow

from . import actions, commands, events, views
from .actions import STORED_ACTIONS
from .events import STORED_EVENTS

__all__ = ["STORED_ACTIONS", "STORED_COMMANDS", "STORED_EVENTS", "register_all"]

# Stored at the door and run by a worker, which posts the reply to the command's response_url.
STORED_COMMANDS = frozenset({commands.COMMAND})


def register_all(app: App, workflow: Workflow) -> None:
    if workflow.s.workspaces.oauth:
        _remember_teams(app, workflow)
    commands.register(app, workflow)
    events.register(app, workflow)
    actions.register(app, workflow)
    views.register(app, workflow)


def _remember_teams(app: App, workflow: Workflow) -> None:
    """Record which install serves each team that writes to us (once per process and team),
    so that workers, which have no request, find the team's token and Tavus key."""
    seen: set[tuple[str, str | None, bool]] = set()

    @app.middleware
    def remember(context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse:
        team = context.team_id
        if team:
            fact = (team, context.enterprise_id, bool(context.is_enterprise_install))
            if fact not in seen:
                workflow.s.workspaces.remember_team(*fact)
                seen.add(fact)
        return next()

"""Slack listeners only: translate payloads into workflow calls, and results into replies."""

from collections.abc import Callable
from functools import partial

from slack_bolt import App, BoltContext, BoltResponse

from bot.inbox.door import CommandReply
from bot.workflow import Workflow

from . import actions, commands, events, views
from .actions import STORED_ACTIONS
from .events import STORED_EVENTS

__all__ = ["STORED_ACTIONS", "STORED_EVENTS", "door_commands", "register_all"]


def register_all(app: App, workflow: Workflow) -> None:
    if workflow.s.workspaces.oauth:
        _remember_teams(app, workflow)
    commands.register(app, workflow)
    events.register(app, workflow)
    actions.register(app, workflow)
    views.register(app, workflow)


def door_commands(workflow: Workflow) -> dict[str, CommandReply]:
    """The slash commands the web role's door may answer without Bolt: `/replica` with one
    bot token; none with OAuth installs, where Bolt's authorize first finds the team's
    install (and turns away a team without one)."""
    if workflow.s.workspaces.oauth:
        return {}
    return {commands.COMMAND: partial(commands.reply, workflow)}


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

"""Slack listeners only: translate payloads into workflow calls, and results into replies."""

from slack_bolt import App

from bot.workflow import Workflow

from . import actions, commands, events, views


def register_all(app: App, workflow: Workflow) -> None:
    commands.register(app, workflow)
    events.register(app, workflow)
    actions.register(app, workflow)
    views.register(app, workflow)

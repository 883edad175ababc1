"""A bare Bolt app that only acks, served exactly like the bot (waitress + Bolt's WSGI
adapter, 16 threads): the baseline for the ack-latency benchmark."""

from __future__ import annotations

import os
import sys

from slack_bolt import App
from slack_sdk import WebClient
from waitress import serve

from bot.roles.web import wsgi_app


def main() -> None:
    # The Web API base URL is the local fake: Bolt's authorization calls auth.test.
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    app = App(signing_secret=os.environ["SLACK_SIGNING_SECRET"], client=client, token_verification_enabled=False)
    app.event("message")(lambda ack: ack())
    app.command("/replica")(lambda ack: ack())
    app.action("create_replica")(lambda ack: ack())
    serve(wsgi_app(app, None), host="127.0.0.1", port=int(sys.argv[1]), threads=16, _quiet=True)


if __name__ == "__main__":
    main()

"""A bare Bolt app that only acks, served exactly like the bot (the bot's waitress server,
Bolt's WSGI adapter, 16 threads): the baseline for the ack-latency benchmark."""

from __future__ import annotations

import os
import sys

from slack_bolt import App
from slack_sdk import WebClient

from bot.roles.http_server import make_server
from bot.roles.web import HTTP_THREADS, wsgi_app


def main() -> None:
    # The Web API base URL is the local fake: Bolt's authorization calls auth.test.
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    app = App(signing_secret=os.environ["SLACK_SIGNING_SECRET"], client=client, token_verification_enabled=False)
    app.event("message")(lambda ack: ack())
    app.command("/replica")(lambda ack: ack())
    app.action("create_replica")(lambda ack: ack())
    make_server(wsgi_app(app, None), "127.0.0.1", int(sys.argv[1]), HTTP_THREADS).run()


if __name__ == "__main__":
    main()

"""`python -m bot [web|worker]`: run the bot (same as `replica-bot run`, `web` or `worker`)."""

import sys

from .cli import main

sys.exit(main(sys.argv[1:] or ["run"]))

"""`python -m bot`: run the bot (same as `replica-bot run`)."""

import sys

from .cli import main

sys.exit(main(sys.argv[1:] or ["run"]))

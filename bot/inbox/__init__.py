"""Slack requests answered at the door and run by a worker.

Most of what Slack sends needs nothing back but a 200: an Events API callback, or a click
whose listener only stores and enqueues. For those the web role does not run Bolt and the
listener on the request thread: it checks the signature, stores the request as a job and
answers (`door.py`); a worker then runs the stored request through Bolt and the very same
listeners (`replay.py`, job kind `slack_request`). Slash commands (their answer is the
reply), modals and clicks that open one (a `trigger_id` lasts 3 s), OAuth and Socket Mode
still go through Bolt as they arrive.
"""

from .door import Deferral, Door, deferral
from .replay import Replay

__all__ = ["Deferral", "Door", "Replay", "deferral"]

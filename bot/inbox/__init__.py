"""Slack requests answered at the door and run by a worker.

Most of what Slack sends needs nothing back but a 200: an Events API callback, or a click
whose listener only stores and enqueues. For those the web role does not run Bolt and the
listener on the request thread: it checks the signature, stores the request as a job and
answers (`door.py`); a worker then runs the stored request through Bolt and the very same
listeners (`replay.py`, job kind `slack_request`). `/replica` is stored too, and answered
with an empty 200: the worker posts the listener's reply to the command's `response_url`
(`follow_up.py`). A stored request given up for good is answered with "please try again"
where Slack lets us (`given_up.py`). Both sides read Slack's bodies one way (`bodies.py`).
Modals and clicks that open one (a `trigger_id` lasts 3 s) and Socket Mode still go through
Bolt as they arrive.
"""

from .door import REFUSED, STORED, Answer, Deferral, Door, command_deferral, deferral
from .replay import Replay, Replayed

__all__ = ["REFUSED", "STORED", "Answer", "Deferral", "Door", "Replay", "Replayed", "command_deferral", "deferral"]

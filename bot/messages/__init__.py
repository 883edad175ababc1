"""Every word a person reads, and the Block Kit that carries it. Pure functions only.

Builders return `Message(text, blocks)`: `text` is Slack's notification fallback, the
blocks are what the client shows. Tests assert on block/action ids and finding codes.
"""

from .base import *  # noqa: F403
from .commands import *  # noqa: F403
from .home import *  # noqa: F403
from .policy import *  # noqa: F403
from .thread import *  # noqa: F403
from .workspace import *  # noqa: F403

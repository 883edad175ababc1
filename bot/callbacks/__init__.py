"""Tavus's training callbacks: the fast path beside polling.

Each create request carries `PUBLIC_BASE_URL/tavus/callback/<token>`, the token random per
attempt and stored only as a hash. Tavus signs nothing, so a callback is a hint: the web
role checks the token and the replica id, answers at once, and enqueues a job that asks
Tavus for the replica (`GET /v2/replicas/{id}`) and acts on that answer alone.
"""

from .endpoint import CALLBACK_PATH, handle_callback
from .tokens import callback_url, hash_token, new_token

__all__ = ["CALLBACK_PATH", "callback_url", "handle_callback", "hash_token", "new_token"]

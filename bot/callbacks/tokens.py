"""Callback tokens: 192 random bits in the URL, their SHA-256 in the database."""

from __future__ import annotations

import hashlib
import re
import secrets

TOKEN_BYTES = 24  # 192 bits
_SHAPE = re.compile(r"^[A-Za-z0-9_-]{32}$")  # token_urlsafe(24) is 32 characters


def new_token() -> tuple[str, str]:
    """(token, its hash): the token goes to Tavus once, the hash into storage."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def well_formed(token: str) -> bool:
    return bool(_SHAPE.match(token))


def callback_url(public_base_url: str, token: str) -> str:
    return f"{public_base_url.rstrip('/')}/tavus/callback/{token}"

"""Secrets at rest: bot tokens, refresh tokens and Tavus keys are stored encrypted.

`ENCRYPTION_KEY` holds one or more Fernet keys (urlsafe base64 of 32 bytes), comma-separated,
newest first: the newest encrypts, every one decrypts, so a key is rotated out by putting a
new one in front, running `replica-bot rotate-key` (every stored secret re-encrypted with the
newest) and then dropping the old one. Fernet (AES-128-CBC + HMAC-SHA256, with a timestamp)
from `cryptography` is the field's standard for this; no cipher of our own.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class KeyringError(ValueError):
    """ENCRYPTION_KEY is missing or malformed, or a stored secret matches none of its keys."""


class Keyring:
    def __init__(self, keys: list[str]):
        if not keys:
            raise KeyringError("ENCRYPTION_KEY is empty: generate one with `replica-bot new-key`")
        fernets = []
        for position, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key.strip().encode()))
            except (ValueError, TypeError) as exc:
                # Never echo the key itself: say which one is wrong.
                raise KeyringError(
                    f"ENCRYPTION_KEY: key {position} of {len(keys)} is not a Fernet key "
                    "(44 characters of urlsafe base64; make one with `replica-bot new-key`)"
                ) from exc
        self._newest = fernets[0]
        self._all = MultiFernet(fernets)
        self.size = len(fernets)

    @classmethod
    def from_setting(cls, value: str) -> Keyring:
        return cls([k for k in value.split(",") if k.strip()])

    @staticmethod
    def new_key() -> str:
        return Fernet.generate_key().decode()

    def encrypt(self, secret: str) -> str:
        return self._newest.encrypt(secret.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._all.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise KeyringError(
                "a stored secret matches none of the keys in ENCRYPTION_KEY (was a key dropped too early?)"
            ) from exc

    def rotate(self, token: str) -> str:
        """The same secret, encrypted with the newest key."""
        try:
            return self._all.rotate(token.encode()).decode()
        except InvalidToken as exc:
            raise KeyringError("a stored secret matches none of the keys in ENCRYPTION_KEY") from exc


def last_four(secret: str) -> str:
    """How a stored key is shown back: its last four characters only."""
    return "…" + secret[-4:] if len(secret) > 4 else "…"

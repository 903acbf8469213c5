"""The one way this app makes and checks the secrets it hands out (API tokens, calendar feed
addresses, capture keys, webhook signing secrets)."""

import hashlib
import secrets


def new_secret(prefix: str = "", *, nbytes: int = 32) -> str:
    """A URL-safe random string with ``nbytes`` of entropy, after ``prefix``."""
    return prefix + secrets.token_urlsafe(nbytes)


def digest(token: str) -> str:
    """What is stored instead of a token: its SHA-256, hex. The tokens are random with 256 bits
    of entropy, so a fast hash is enough (no password stretching needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_key(prefix: str = "", *, nbytes: int = 10) -> str:
    """A lower-case hex key, for places that fold case (the local part of an e-mail address)."""
    return prefix + secrets.token_hex(nbytes)

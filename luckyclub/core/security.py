"""Password hashing (argon2id), random tokens and keyed hashes: where secrets are made, checked."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from functools import lru_cache
from importlib import resources

from passlib.hash import argon2

from luckyclub.core.settings import get_settings

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128

_hasher = argon2.using(type="ID")
# One argon2id hash or check keeps 4 cores busy for ~0.1 s (4 lanes) and takes 64 MiB. More at once
# than the cores allow only queue for them, starve the event loop's thread of CPU and multiply the
# memory: a burst of sign-ins takes turns instead (one at a time on 2 to 7 cores).
HASHING_AT_ONCE = max(1, (os.cpu_count() or 1) // 4)
_hashing = threading.BoundedSemaphore(HASHING_AT_ONCE)


def hash_password(password: str) -> str:
    with _hashing:
        return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    try:
        with _hashing:
            return _hasher.verify(password, password_hash)
    except (ValueError, TypeError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def burn_password_check(password: str) -> None:
    """Spend as long as a real check, so a login for an unknown email takes the same time."""
    verify_password(password, _dummy_hash())


def new_token() -> str:
    """A URL-safe random token with 256 bits of entropy."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the database stores for a token: its SHA-256, so a leaked table opens nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


def keyed_hash(*parts: str) -> str:
    """HMAC-SHA256 under SECRET_KEY: stable identifiers that reveal nothing without the key."""
    message = "\x1f".join(parts).encode()
    return hmac.new(get_settings().secret_key.encode(), message, hashlib.sha256).hexdigest()


def client_address(peer: str, forwarded_for: str | None) -> str:
    """The address a request came from, for throttling: the connection's peer, or behind
    TRUSTED_PROXY_HOPS proxies the X-Forwarded-For entry the outermost one appended.

    Each proxy appends the address it was contacted from, so only the last `hops` entries are
    facts; anything before them is whatever the client chose to send. (Reflex reads the header the
    same way for its own client IP, and reading it again here gives the same address.)
    """
    hops = get_settings().trusted_proxy_hops
    if hops:
        entries = [entry.strip() for entry in (forwarded_for or "").split(",") if entry.strip()]
        if len(entries) >= hops:
            return entries[-hops]
    return peer or ""


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = resources.files("luckyclub.data").joinpath("common_passwords.txt").read_text()
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def password_problem(password: str, *, email: str = "") -> str | None:
    """Why a new password is refused, as a sentence, or None if it is acceptable."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"Choose a password of at least {PASSWORD_MIN_LENGTH} characters."
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"Choose a password of at most {PASSWORD_MAX_LENGTH} characters."
    lowered = password.lower()
    if lowered in common_passwords():
        return "That password is one of the most common ones; choose one that is harder to guess."
    if email and lowered == email.lower():
        return "Your password cannot be your email address."
    return None

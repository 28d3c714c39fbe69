"""Kick's public API behind one thin adapter: the webhook signature (RSA PKCS#1 v1.5, SHA-256, over
`message id . timestamp . raw body`), OAuth 2.1 with PKCE for linking a viewer's account, the app
token and event subscriptions. Base URLs and keys come from settings (KICK_API_BASE,
KICK_OAUTH_BASE, KICK_CLIENT_ID, KICK_CLIENT_SECRET, KICK_PUBLIC_KEY);
tests use tests/fake_kick.py."""

from __future__ import annotations

import base64
import binascii
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from luckyclub.core.settings import Settings, get_settings
from luckyclub.integrations import oauth

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
PUBLIC_KEY_PATH = "/public/v1/public-key"
KEY_KEPT_SECONDS = 60 * 60  # a fetched key is asked for again after an hour (Kick may rotate it)
# What a community subscribes to: chat time, gifted subs and when the stream is live.
COMMUNITY_EVENTS = (
    "chat.message.sent",
    "channel.subscription.gifts",
    "livestream.status.updated",
)
LINK_SCOPE = "user:read"


class KickUnavailable(Exception):
    """Kick could not be reached, or answered with something that is not its API's answer."""


class KickRefused(Exception):
    """Kick answered, and said no (a code already used or expired, a wrong client secret)."""


class KickNotConfigured(Exception):
    """The Kick app's id and secret are not set."""


@dataclass(frozen=True)
class KickUser:
    user_id: int  # immutable: identities are keyed by it
    name: str  # changes when the viewer renames


# ---- webhook signatures --------------------------------------------------------------------------

_keys: dict[str, tuple[float, rsa.RSAPublicKey]] = {}
_keys_lock = threading.Lock()


def _load_pem(pem: str) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("Kick's public key is not an RSA key")
    return key


def public_key(settings: Settings | None = None) -> rsa.RSAPublicKey:
    """KICK_PUBLIC_KEY if set, else the key Kick publishes, fetched once and kept for an hour."""
    settings = settings or get_settings()
    if settings.kick_public_key:
        return _cached(f"pem:{settings.kick_public_key}", lambda: settings.kick_public_key or "")
    return _cached(f"url:{settings.kick_api_base}", lambda: _fetch_public_key(settings))


def _cached(name: str, pem: Any) -> rsa.RSAPublicKey:
    now = time.monotonic()
    with _keys_lock:
        kept = _keys.get(name)
        if kept is not None and (name.startswith("pem:") or now - kept[0] < KEY_KEPT_SECONDS):
            return kept[1]
        try:
            key = _load_pem(pem())
        except ValueError as exc:
            raise KickUnavailable(f"Kick's public key could not be read: {exc}") from exc
        _keys[name] = (now, key)
        return key


def forget_public_keys() -> None:
    """Drop the kept keys (tests, or an operator who changed KICK_PUBLIC_KEY at run time)."""
    with _keys_lock:
        _keys.clear()


def _fetch_public_key(settings: Settings) -> str:
    answer = _call("GET", f"{settings.kick_api_base}{PUBLIC_KEY_PATH}", what="public key")
    pem = (answer.get("data") or {}).get("public_key") if isinstance(answer, dict) else None
    if not isinstance(pem, str) or not pem.strip():
        raise KickUnavailable("Kick's public key answer has no data.public_key")
    return pem


def signed_bytes(message_id: str, timestamp: str, body: bytes) -> bytes:
    """What Kick signs: the message id, the timestamp and the raw body, joined by dots."""
    return message_id.encode() + b"." + timestamp.encode() + b"." + body


def verify_signature(
    message_id: str,
    timestamp: str,
    body: bytes,
    signature_b64: str,
    *,
    settings: Settings | None = None,
) -> bool:
    """True only if Kick's key signed exactly these bytes. KickUnavailable if there is no key to
    check with (none set and Kick's could not be fetched)."""
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        return False
    key = public_key(settings)
    try:
        key.verify(
            signature,
            signed_bytes(message_id, timestamp, body),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except InvalidSignature:
        return False
    return True


# ---- OAuth 2.1 with PKCE -------------------------------------------------------------------------


def _app(settings: Settings) -> tuple[str, str]:
    if not settings.kick_client_id or not settings.kick_client_secret:
        raise KickNotConfigured("Set KICK_CLIENT_ID and KICK_CLIENT_SECRET (the Kick app's keys).")
    return settings.kick_client_id, settings.kick_client_secret


def authorize_url(
    *,
    state: str,
    verifier: str,
    redirect_uri: str,
    scope: str = LINK_SCOPE,
    settings: Settings | None = None,
) -> str:
    """Where to send the viewer to approve the link: Kick's authorize page with the S256 challenge
    of `verifier` (the verifier itself stays here)."""
    settings = settings or get_settings()
    client_id, _ = _app(settings)
    query = oauth.authorize_query(
        client_id=client_id, redirect_uri=redirect_uri, state=state, scope=scope, verifier=verifier
    )
    return f"{settings.kick_oauth_base}/oauth/authorize?{query}"


def exchange_code(
    code: str, *, verifier: str, redirect_uri: str, settings: Settings | None = None
) -> str:
    """The viewer's access token for the code Kick sent back. KickRefused if Kick says no."""
    settings = settings or get_settings()
    form = oauth.code_grant(_app(settings), code=code, verifier=verifier, redirect_uri=redirect_uri)
    return _token(settings, form)


def app_token(settings: Settings | None = None) -> str:
    """An app access token (client credentials) for the app's own calls, like subscriptions."""
    settings = settings or get_settings()
    client_id, client_secret = _app(settings)
    return _token(
        settings,
        {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        },
    )


def _token(settings: Settings, form: dict[str, str]) -> str:
    answer = _call("POST", f"{settings.kick_oauth_base}/oauth/token", what="token", data=form)
    token = oauth.access_token(answer)
    if token is None:
        raise KickUnavailable("Kick's token answer has no access_token")
    return token


def current_user(token: str, *, settings: Settings | None = None) -> KickUser:
    """The Kick account a viewer's token belongs to (scope user:read)."""
    settings = settings or get_settings()
    answer = _call(
        "GET",
        f"{settings.kick_api_base}/public/v1/users",
        what="user",
        headers={"Authorization": f"Bearer {token}"},
    )
    try:
        row = answer["data"][0]
        user_id, name = row["user_id"], row["name"]
        if isinstance(user_id, bool) or not isinstance(user_id, int) or user_id <= 0:
            raise TypeError("user_id is not a positive whole number")
        if not isinstance(name, str):
            raise TypeError("name is not text")
    except (KeyError, IndexError, TypeError) as exc:
        raise KickUnavailable(f"Kick's user answer is not as documented ({exc})") from exc
    return KickUser(user_id=user_id, name=name)


def subscribe(
    token: str,
    broadcaster_id: int,
    events: Sequence[str] = COMMUNITY_EVENTS,
    *,
    settings: Settings | None = None,
) -> list[dict[str, Any]]:
    """Subscribe the channel's `events` (version 1) to this app's webhook; returns Kick's rows
    (one per event, with its subscription id or an error)."""
    settings = settings or get_settings()
    answer = _call(
        "POST",
        f"{settings.kick_api_base}/public/v1/events/subscriptions",
        what="subscriptions",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "broadcaster_user_id": broadcaster_id,
            "events": [{"name": name, "version": 1} for name in events],
            "method": "webhook",
        },
    )
    rows = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(rows, list):
        raise KickUnavailable("Kick's subscriptions answer has no data list")
    return [row for row in rows if isinstance(row, dict)]


def _call(method: str, url: str, *, what: str, **request: Any) -> Any:
    """One request to Kick: its JSON, KickRefused on a 4xx, KickUnavailable otherwise. Messages name
    the call and the status, never a token, code or secret."""
    try:
        response = httpx.request(method, url, timeout=TIMEOUT_SECONDS, **request)
    except httpx.HTTPError as exc:
        raise KickUnavailable(f"Kick's {what} call failed: {type(exc).__name__}") from exc
    if 400 <= response.status_code < 500 and response.status_code != 429:
        raise KickRefused(f"Kick refused the {what} call ({response.status_code})")
    if response.status_code >= 300:
        raise KickUnavailable(f"Kick's {what} call answered {response.status_code}")
    try:
        return response.json()
    except ValueError as exc:
        raise KickUnavailable(f"Kick's {what} answer is not JSON") from exc

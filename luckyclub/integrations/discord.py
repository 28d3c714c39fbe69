"""Discord's API behind one thin adapter: the Ed25519 signature on interactions (over the
timestamp and the raw body), follow-up messages through an interaction's token, and registering a
guild's slash commands. Base URL and keys come from settings (DISCORD_API_BASE,
DISCORD_PUBLIC_KEY, DISCORD_APPLICATION_ID, DISCORD_BOT_TOKEN); tests use tests/fake_discord.py."""

from __future__ import annotations

import binascii
import threading
import time
from collections.abc import Sequence
from typing import Any

import httpx
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from luckyclub.core.settings import Settings, get_settings

TIMEOUT_SECONDS = 10
ROLES_TIMEOUT_SECONDS = 1.5
ROLES_KEPT_SECONDS = 60


class DiscordUnavailable(Exception):
    """Discord could not be reached, refused the call, or answered with something unexpected."""


class DiscordNotConfigured(Exception):
    """The application's id or bot token is not set."""


def verify_interaction(
    timestamp: str, body: bytes, signature_hex: str, *, settings: Settings | None = None
) -> bool:
    """True only if the application's key signed exactly timestamp + body. Anything malformed
    (no key set, a key or signature that is not hex of the right length) is False."""
    settings = settings or get_settings()
    if not (settings.discord_public_key and timestamp and signature_hex):
        return False
    try:
        key = VerifyKey(bytes.fromhex(settings.discord_public_key))
        key.verify(timestamp.encode() + body, bytes.fromhex(signature_hex))
    except (ValueError, TypeError, binascii.Error, BadSignatureError):
        return False
    return True


def follow_up(
    application_id: str,
    token: str,
    payload: dict[str, Any],
    *,
    settings: Settings | None = None,
) -> None:
    """Send the message a deferred interaction promised (the token is valid for 15 minutes)."""
    settings = settings or get_settings()
    url = f"{settings.discord_api_base}/webhooks/{application_id}/{token}"
    _call("POST", url, what="follow-up", json=payload)


def register_commands(
    guild_id: int,
    commands: Sequence[dict[str, Any]],
    *,
    settings: Settings | None = None,
) -> Any:
    """Replace the guild's slash commands with these (Discord's bulk overwrite)."""
    settings = settings or get_settings()
    if not (settings.discord_application_id and settings.discord_bot_token):
        raise DiscordNotConfigured(
            "Set DISCORD_APPLICATION_ID and DISCORD_BOT_TOKEN to register Discord commands."
        )
    url = (
        f"{settings.discord_api_base}/applications/{settings.discord_application_id}"
        f"/guilds/{guild_id}/commands"
    )
    headers = {"Authorization": f"Bot {settings.discord_bot_token}"}
    return _call("PUT", url, what="register commands", json=list(commands), headers=headers)


_roles: dict[tuple[str, int], tuple[float, dict[str, str]]] = {}
_roles_lock = threading.Lock()


def role_names(guild_id: int, *, settings: Settings | None = None) -> dict[str, str]:
    """The guild's roles, id → name (an interaction names a member's roles by id only); kept for
    a minute, and asked for with a short timeout so a command still answers within 3 seconds."""
    settings = settings or get_settings()
    if not settings.discord_bot_token:
        raise DiscordNotConfigured("Set DISCORD_BOT_TOKEN to read the server's roles.")
    kept_as, now = (settings.discord_api_base, guild_id), time.monotonic()
    with _roles_lock:
        kept = _roles.get(kept_as)
    if kept is not None and now - kept[0] < ROLES_KEPT_SECONDS:
        return kept[1]
    headers = {"Authorization": f"Bot {settings.discord_bot_token}"}
    url = f"{settings.discord_api_base}/guilds/{guild_id}/roles"
    answer = _call("GET", url, what="roles", headers=headers, timeout=ROLES_TIMEOUT_SECONDS)
    if not isinstance(answer, list):
        raise DiscordUnavailable("Discord's roles answer is not a list")
    names = {str(r.get("id")): str(r.get("name")) for r in answer if isinstance(r, dict)}
    with _roles_lock:
        _roles[kept_as] = (now, names)
    return names


def forget_roles() -> None:
    """Drop the kept role names (tests, or after renaming a role)."""
    with _roles_lock:
        _roles.clear()


def _call(method: str, url: str, *, what: str, **request: Any) -> Any:
    """One request to Discord; DiscordUnavailable names the call and status, never a token."""
    try:
        response = httpx.request(method, url, **({"timeout": TIMEOUT_SECONDS} | request))
    except httpx.HTTPError as exc:
        raise DiscordUnavailable(f"Discord's {what} call failed: {type(exc).__name__}") from exc
    if response.status_code >= 300:
        raise DiscordUnavailable(f"Discord's {what} call answered {response.status_code}")
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError as exc:
        raise DiscordUnavailable(f"Discord's {what} answer is not JSON") from exc

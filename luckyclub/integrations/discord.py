"""Discord's API behind one thin adapter: the Ed25519 signature on interactions (over the
timestamp and the raw body), follow-up messages through an interaction's token, registering a
guild's slash commands, OAuth2 with PKCE for linking a viewer's account, and posting to a channel
webhook (the outbox's announcements). Base URLs and keys come from settings (DISCORD_API_BASE,
DISCORD_AUTHORIZE_URL, DISCORD_PUBLIC_KEY, DISCORD_APPLICATION_ID, DISCORD_CLIENT_SECRET,
DISCORD_BOT_TOKEN); tests use tests/fake_discord.py."""

from __future__ import annotations

import binascii
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from luckyclub.core.settings import Settings, get_settings
from luckyclub.integrations import oauth
from luckyclub.integrations.delivery import DeliveryError, post

TIMEOUT_SECONDS = 10
ROLES_TIMEOUT_SECONDS = 1.5
ROLES_KEPT_SECONDS = 60
LINK_SCOPE = "identify"  # the user's id and name: nothing else is asked for


class DiscordUnavailable(Exception):
    """Discord could not be reached, refused the call, or answered with something unexpected."""


class DiscordNotConfigured(Exception):
    """The application's id, secret or bot token is not set."""


class DiscordRefused(Exception):
    """Discord answered, and said no (a code already used or expired, a wrong client secret)."""


@dataclass(frozen=True)
class DiscordUser:
    user_id: int  # the snowflake: immutable, identities are keyed by it
    username: str  # changes when the user renames


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


# ---- OAuth2 with PKCE, for linking a viewer's Discord account -----------------------------------


def _oauth_app(settings: Settings) -> tuple[str, str]:
    if not (settings.discord_application_id and settings.discord_client_secret):
        raise DiscordNotConfigured(
            "Set DISCORD_APPLICATION_ID and DISCORD_CLIENT_SECRET to link Discord accounts."
        )
    return settings.discord_application_id, settings.discord_client_secret


def authorize_url(
    *, state: str, verifier: str, redirect_uri: str, settings: Settings | None = None
) -> str:
    """Where to send the viewer to approve the link: Discord's authorize page with the S256
    challenge of `verifier` (the verifier itself stays here)."""
    settings = settings or get_settings()
    client_id, _ = _oauth_app(settings)
    query = oauth.authorize_query(
        client_id=client_id,
        redirect_uri=redirect_uri,
        state=state,
        scope=LINK_SCOPE,
        verifier=verifier,
    )
    return f"{settings.discord_authorize_url}?{query}"


def exchange_code(
    code: str, *, verifier: str, redirect_uri: str, settings: Settings | None = None
) -> str:
    """The viewer's access token for the code Discord sent back. DiscordRefused if Discord
    says no (a used or forged code, a wrong verifier or secret)."""
    settings = settings or get_settings()
    client = _oauth_app(settings)
    form = oauth.code_grant(client, code=code, verifier=verifier, redirect_uri=redirect_uri)
    url = f"{settings.discord_api_base}/oauth2/token"
    answer = _call("POST", url, what="token", data=form, refusable=True)
    token = oauth.access_token(answer)
    if token is None:
        raise DiscordUnavailable("Discord's token answer has no access_token")
    return token


def current_user(token: str, *, settings: Settings | None = None) -> DiscordUser:
    """The Discord account a viewer's token belongs to (scope identify)."""
    settings = settings or get_settings()
    answer = _call(
        "GET",
        f"{settings.discord_api_base}/users/@me",
        what="user",
        headers={"Authorization": f"Bearer {token}"},
    )
    user_id = answer.get("id") if isinstance(answer, dict) else None
    username = answer.get("username") if isinstance(answer, dict) else None
    # A snowflake comes as a string of digits (it does not fit a JavaScript number); it is a
    # positive 64-bit number, what the BIGINT column holds.
    if not (isinstance(user_id, str) and user_id.isascii() and user_id.isdigit()):
        raise DiscordUnavailable("Discord's user answer has no snowflake id")
    if not isinstance(username, str) or not 0 < int(user_id) < 2**63:
        raise DiscordUnavailable("Discord's user answer is not as documented")
    return DiscordUser(user_id=int(user_id), username=username)


def _call(method: str, url: str, *, what: str, refusable: bool = False, **request: Any) -> Any:
    """One request to Discord; DiscordUnavailable names the call and status, never a token. With
    `refusable`, a 4xx (but 429, a rate limit) is DiscordRefused: Discord said no."""
    try:
        response = httpx.request(method, url, **({"timeout": TIMEOUT_SECONDS} | request))
    except httpx.HTTPError as exc:
        raise DiscordUnavailable(f"Discord's {what} call failed: {type(exc).__name__}") from exc
    if refusable and 400 <= response.status_code < 500 and response.status_code != 429:
        raise DiscordRefused(f"Discord refused the {what} call ({response.status_code})")
    if response.status_code >= 300:
        raise DiscordUnavailable(f"Discord's {what} call answered {response.status_code}")
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError as exc:
        raise DiscordUnavailable(f"Discord's {what} answer is not JSON") from exc


# ---- channel webhooks: announcements ------------------------------------------------------------

MAX_CONTENT = 2000  # Discord refuses a longer message
# A channel webhook as Discord's "Copy Webhook URL" gives it (older ones on discordapp.com, the
# test clients' on ptb. and canary., some with the API version in the path).
_WEBHOOK_URL = re.compile(
    r"https://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api(?:/v\d{1,2})?"
    r"/webhooks/\d{15,21}/[A-Za-z0-9_-]{20,200}"
)
_WEBHOOK_PATH = re.compile(r"/webhooks/\d{1,21}/[A-Za-z0-9_-]{1,200}")
_THIS_MACHINE = frozenset({"127.0.0.1", "localhost", "::1"})
_MARKDOWN = re.compile(r"([\\*_~`|<>\[\]():])")


def is_webhook_url(url: str, *, settings: Settings | None = None) -> bool:
    """Is `url` a Discord channel webhook's (https://discord.com/api/webhooks/<id>/<token>)?
    When DISCORD_API_BASE points at this machine (tests, a local stand-in for Discord), a webhook
    under it counts too, and nothing else does: the app posts to Discord and nowhere else."""
    settings = settings or get_settings()
    if _WEBHOOK_URL.fullmatch(url):
        return True
    base = settings.discord_api_base
    local = urlsplit(base).hostname in _THIS_MACHINE
    return local and url.startswith(base) and bool(_WEBHOOK_PATH.fullmatch(url[len(base) :]))


def webhook_message(content: str) -> dict[str, Any]:
    """A channel message that mentions nobody (a name like @everyone pings no one), cut to the
    2,000 characters Discord takes."""
    if len(content) > MAX_CONTENT:
        content = content[: MAX_CONTENT - 1] + "\u2026"
    return {"content": content, "allowed_mentions": {"parse": []}}


def plain(text: str) -> str:
    """Text shown as typed in a Discord message: a name cannot bold, link or quote anything."""
    return _MARKDOWN.sub(r"\\\1", text)


def post_to_webhook(url: str, payload: dict[str, Any], *, settings: Settings | None = None) -> None:
    """Post one message to a channel webhook; DeliveryError unless Discord took it. The URL is a
    secret (whoever holds it can post in the channel): no error text ever holds it."""
    settings = settings or get_settings()
    if not is_webhook_url(url, settings=settings):
        raise DeliveryError(
            "The community's Discord webhook URL is not a Discord webhook's: set it again in "
            "Admin → Communities.",
            permanent=True,
        )
    token = url.rsplit("/", 1)[-1]
    # wait=true: Discord answers once the message is saved (200), so a refusal is an error here
    # rather than a message silently dropped (without it Discord answers 204 at once).
    post(
        "Discord",
        url,
        accepted={200, 204},
        secrets=[url, token],
        params={"wait": "true"},
        json=payload,
    )

"""A stand-in for Discord: a real HTTP server on 127.0.0.1 speaking the parts our adapter
(luckyclub/integrations/discord.py) uses, and an interaction maker that signs requests with a test
Ed25519 key the way Discord does (over X-Signature-Timestamp + the raw body).

    with FakeDiscord().running() as fake:
        settings_env(**fake.settings())  # DISCORD_API_BASE, _PUBLIC_KEY, _APPLICATION_ID, …
        headers, body = fake.command("raffle", guild_id, user_id, subcommand="info")

Served: POST /webhooks/{app}/{token} (follow-ups, recorded in `follow_ups`); PUT
/applications/{app}/guilds/{guild}/commands (recorded in `registered`, needs the bot token); GET
/guilds/{guild}/roles (from `roles`); POST /webhooks/{webhook_id}/{webhook_token} for channel
webhooks (announcements, recorded in `channel_posts`; `webhook_url()` makes one). `down = True`
answers 503 to everything, `fail_next = n` to the next n requests. Every request is recorded in
`received`.

OAuth2 (linking): GET /oauth2/authorize approves at once as `oauth_user` (or denies with
access_denied when `deny_next` is set, once) and redirects to the redirect_uri with code and state;
POST /oauth2/token checks the client id and secret, the redirect_uri and the PKCE verifier against
the S256 challenge (400 invalid_grant otherwise; a code works once); GET /users/@me answers for a
Bearer token it issued. `down` stops these too; `fail_next` does not count them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

from nacl.signing import SigningKey

from tests.fake_http import JsonAnswer, LocalServer, Received, json_handler

SIGNING_KEY = SigningKey(b"\x11" * 32)  # the application's key in tests
OTHER_KEY = SigningKey(b"\x22" * 32)  # anyone else's


def sign(
    body: bytes, timestamp: str | None = None, key: SigningKey = SIGNING_KEY
) -> dict[str, str]:
    timestamp = timestamp or str(int(time.time()))
    signature = key.sign(timestamp.encode() + body).signature.hex()
    return {
        "X-Signature-Ed25519": signature,
        "X-Signature-Timestamp": timestamp,
        "Content-Type": "application/json",
    }


@dataclass(frozen=True)
class DiscordAccount:
    user_id: int
    username: str


@dataclass
class _Code:
    account: DiscordAccount
    redirect_uri: str
    challenge: str
    used: bool = False


@dataclass
class FakeDiscord(LocalServer):
    application_id: str = "1100000000000000001"
    bot_token: str = field(default_factory=lambda: "bot-" + secrets.token_hex(8))
    down: bool = False
    fail_next: int = 0  # answer this many requests with 503, then serve again
    roles: dict[int, list[dict[str, str]]] = field(default_factory=dict)  # guild → roles
    received: list[Received] = field(default_factory=list)
    follow_ups: list[dict[str, Any]] = field(default_factory=list)
    registered: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    followed_up: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # OAuth2 (linking)
    client_secret: str = field(default_factory=lambda: "discord-secret-" + secrets.token_hex(8))
    oauth_user: DiscordAccount | None = None  # who approves at the authorize page
    deny_next: bool = False  # the next authorize is cancelled by the user
    _codes: dict[str, _Code] = field(default_factory=dict)
    _tokens: dict[str, DiscordAccount] = field(default_factory=dict)
    # ---- channel webhooks (announcements) ----
    # Each post Discord took: the webhook's id and token, whether it asked to wait, the message.
    channel_posts: list[ChannelPost] = field(default_factory=list)
    deleted_webhooks: set[str] = field(default_factory=set)  # their ids: 404 Unknown Webhook

    def settings(self) -> dict[str, str]:
        return {
            "DISCORD_API_BASE": self.url,
            "DISCORD_PUBLIC_KEY": SIGNING_KEY.verify_key.encode().hex(),
            "DISCORD_APPLICATION_ID": self.application_id,
            "DISCORD_BOT_TOKEN": self.bot_token,
            "DISCORD_CLIENT_SECRET": self.client_secret,
            "DISCORD_AUTHORIZE_URL": f"{self.url}/oauth2/authorize",
        }

    def webhook_url(self, webhook_id: str = "1300000000000000001", token: str = "") -> str:
        """A channel webhook's URL on this fake, as Discord's "Copy Webhook URL" gives one."""
        token = token or "whtoken-" + secrets.token_urlsafe(24)
        return f"{self.url}/webhooks/{webhook_id}/{token}"

    def posted(self) -> list[str]:
        """The content of every channel post, in order."""
        return [post.message.get("content", "") for post in self.channel_posts]

    def command(
        self,
        name: str,
        guild_id: int,
        user_id: int,
        *,
        subcommand: str | None = None,
        options: dict[str, Any] | None = None,
        role_ids: tuple[str, ...] = (),
    ) -> tuple[dict[str, str], bytes]:
        """A signed APPLICATION_COMMAND interaction, as Discord would send it."""
        listed = [{"name": k, "type": 3, "value": v} for k, v in (options or {}).items()]
        if subcommand:
            listed = [{"name": subcommand, "type": 1, "options": listed}]
        data = {"id": "1", "name": name, "type": 1, "options": listed}
        return self._interaction(2, data, guild_id, user_id, role_ids)

    def click(
        self, custom_id: str, guild_id: int, user_id: int, *, role_ids: tuple[str, ...] = ()
    ) -> tuple[dict[str, str], bytes]:
        """A signed MESSAGE_COMPONENT interaction: someone clicked the button `custom_id`."""
        data = {"custom_id": custom_id, "component_type": 2}
        return self._interaction(3, data, guild_id, user_id, role_ids)

    def _interaction(
        self,
        kind: int,
        data: dict[str, Any],
        guild_id: int,
        user_id: int,
        role_ids: tuple[str, ...],
    ) -> tuple[dict[str, str], bytes]:
        payload = {
            "id": str(secrets.randbits(60)),
            "type": kind,
            "application_id": self.application_id,
            "token": "itoken-" + secrets.token_hex(8),
            "guild_id": str(guild_id),
            "member": {
                "user": {"id": str(user_id), "username": f"u{user_id}"},
                "roles": list(role_ids),
            },
            "data": data,
        }
        body = json.dumps(payload).encode()
        return sign(body), body

    def start(self) -> FakeDiscord:
        self._listen(json_handler(self._respond))
        return self

    def _respond(self, request: Received) -> JsonAnswer:
        with self._lock:
            self.received.append(request)
            status, body = self._oauth(request) or self._answer(request)
        return status, body, ({"Location": body["location"]} if status == 302 else {})

    def _answer(self, request: Received) -> tuple[int, Any]:
        if self.down or self.fail_next > 0:
            self.fail_next = max(0, self.fail_next - 1)
            return 503, {"message": "Service Unavailable"}
        bot = request.headers.get("authorization") == f"Bot {self.bot_token}"
        app = re.escape(self.application_id)
        if request.method == "POST" and re.fullmatch(rf"/webhooks/{app}/[\w-]+", request.path):
            self.follow_ups.append(request.json())
            self.followed_up.set()
            return 200, {"id": "1"}
        found = re.fullmatch(rf"/applications/{app}/guilds/(\d+)/commands", request.path)
        if request.method == "PUT" and found:
            if not bot:
                return 401, {"message": "401: Unauthorized"}
            self.registered[int(found.group(1))] = request.json()
            return 200, request.json()
        found = re.fullmatch(r"/guilds/(\d+)/roles", request.path)
        if request.method == "GET" and found:
            if not bot:
                return 401, {"message": "401: Unauthorized"}
            return 200, self.roles.get(int(found.group(1)), [])
        if request.method == "POST" and (posted := self._channel_post(request)) is not None:
            return posted
        return 404, {"message": "404: Not Found"}

    # ---- OAuth2 (linking a viewer's account) -----------------------------------------------------

    def _oauth(self, request: Received) -> tuple[int, Any] | None:
        """The OAuth2 routes' answer, None for the others; a redirect is (302, {"location"})."""
        url = urlsplit(request.path)
        route = (request.method, url.path)
        if route not in {
            ("GET", "/oauth2/authorize"),
            ("POST", "/oauth2/token"),
            ("GET", "/users/@me"),
        }:
            return None
        if self.down:
            return 503, {"message": "Service Unavailable"}
        if route == ("GET", "/oauth2/authorize"):
            return self._authorize(dict(parse_qsl(url.query)))
        if route == ("POST", "/oauth2/token"):
            return self._token(request.form())
        kind, _, token = request.headers.get("authorization", "").partition(" ")
        account = self._tokens.get(token) if kind == "Bearer" else None
        if account is None:
            return 401, {"message": "401: Unauthorized", "code": 0}
        return 200, {"id": str(account.user_id), "username": account.username}

    def _authorize(self, query: dict[str, str]) -> tuple[int, Any]:
        redirect_uri, state = query.get("redirect_uri", ""), query.get("state", "")
        if (
            query.get("client_id") != self.application_id
            or query.get("response_type") != "code"
            or query.get("scope") != "identify"
            or query.get("code_challenge_method") != "S256"
            or not query.get("code_challenge")
            or not redirect_uri
        ):
            return 400, {"error": "invalid_request"}
        if self.deny_next or self.oauth_user is None:
            self.deny_next = False
            answer = {"error": "access_denied", "state": state}
        else:
            code = secrets.token_urlsafe(16)
            self._codes[code] = _Code(self.oauth_user, redirect_uri, query["code_challenge"])
            answer = {"code": code, "state": state}
        return 302, {"location": f"{redirect_uri}?{urlencode(answer)}"}

    def _token(self, form: dict[str, str]) -> tuple[int, Any]:
        if form.get("client_id") != self.application_id or form.get("client_secret") != (
            self.client_secret
        ):
            return 401, {"error": "invalid_client"}
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        code = self._codes.get(form.get("code", ""))
        if (
            form.get("grant_type") != "authorization_code"
            or code is None
            or code.used
            or code.redirect_uri != form.get("redirect_uri")
            or code.challenge != challenge.rstrip(b"=").decode()
        ):
            return 400, {"error": "invalid_grant"}
        code.used = True
        token = secrets.token_urlsafe(24)
        self._tokens[token] = code.account
        return 200, {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 604800,
            "refresh_token": secrets.token_urlsafe(24),
            "scope": "identify",
        }

    # ---- channel webhooks (announcements) ----

    def _channel_post(self, request: Received) -> tuple[int, Any] | None:
        """A post to a channel webhook (an id other than the application's: that is a
        follow-up); None for any other path. wait=true: 200 with the message, else 204."""
        parts = urlsplit(request.path)
        found = re.fullmatch(r"/webhooks/(\d+)/([\w-]+)", parts.path)
        if found is None or found.group(1) == self.application_id:
            return None
        if found.group(1) in self.deleted_webhooks:
            return 404, {"message": "Unknown Webhook", "code": 10015}
        message = request.json()
        if not isinstance(message, dict) or not 1 <= len(str(message.get("content", ""))) <= 2000:
            return 400, {"message": "Invalid Form Body", "code": 50035}
        wait = parse_qs(parts.query).get("wait") == ["true"]
        self.channel_posts.append(ChannelPost(found.group(1), found.group(2), wait, message))
        if wait:
            return 200, {"id": str(secrets.randbits(60)), "content": message["content"]}
        return 204, None


@dataclass(frozen=True)
class ChannelPost:
    webhook_id: str
    token: str
    waited: bool  # ?wait=true
    message: dict[str, Any]

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
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from nacl.signing import SigningKey

from tests.fake_http import LocalServer, Received

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
        payload = {
            "id": str(secrets.randbits(60)),
            "type": 2,
            "application_id": self.application_id,
            "token": "itoken-" + secrets.token_hex(8),
            "guild_id": str(guild_id),
            "member": {
                "user": {"id": str(user_id), "username": f"u{user_id}"},
                "roles": list(role_ids),
            },
            "data": {"id": "1", "name": name, "type": 1, "options": listed},
        }
        body = json.dumps(payload).encode()
        return sign(body), body

    def start(self) -> FakeDiscord:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                self._serve("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._serve("POST")

            def do_PUT(self) -> None:  # noqa: N802
                self._serve("PUT")

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Received(
                    method,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
                with fake._lock:
                    fake.received.append(request)
                    status, body = fake._answer(request)
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self._listen(Handler)
        return self

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

"""A stand-in for Kick: a real HTTP server on 127.0.0.1 speaking the parts our adapter
(luckyclub/integrations/kick.py) uses, and a webhook sender that signs events with a test RSA key
the way Kick does (PKCS#1 v1.5, SHA-256 over `message id . timestamp . raw body`).

    with FakeKick().running() as kick:
        settings_env(**kick.settings())          # KICK_API_BASE, KICK_OAUTH_BASE, the app's keys
        kick.viewer = KickAccount(4242, "ann")   # who approves at Kick's authorize page
        headers, body = kick.signed("chat.message.sent", {...})

Served: GET /public/v1/public-key; GET /oauth/authorize (approves at once as `viewer`, or denies
when `deny` is set, and redirects to the redirect_uri with code/state); POST /oauth/token
(authorization_code checks the client, the redirect_uri and the PKCE verifier against the S256
challenge, and a code works once; client_credentials gives an app token); GET /public/v1/users;
POST /public/v1/events/subscriptions (recorded in `subscriptions`). `down = True` answers 503 to
everything. Every request is recorded in `received`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from luckyclub.integrations.kick import signed_bytes
from tests.fake_http import JsonAnswer, LocalServer, Received, json_handler


@lru_cache(maxsize=2)
def signing_key(name: str = "kick") -> rsa.RSAPrivateKey:
    """A test RSA key, made once per name per test run ("other" is the wrong key)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def sign(key: rsa.RSAPrivateKey, message_id: str, timestamp: str, body: bytes) -> str:
    signature = key.sign(
        signed_bytes(message_id, timestamp, body), padding.PKCS1v15(), hashes.SHA256()
    )
    return base64.b64encode(signature).decode()


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


_ulids = iter(range(1, 10**9))


def new_message_id() -> str:
    return f"01KICKTEST{next(_ulids):016d}"


def signed_headers(
    event_type: str,
    body: bytes,
    *,
    message_id: str | None = None,
    sent_at: datetime | None = None,
    key: rsa.RSAPrivateKey | None = None,
) -> dict[str, str]:
    """Kick's webhook headers for `body`, signed with `key` (the fake's own by default)."""
    message_id = message_id or new_message_id()
    timestamp = rfc3339(sent_at or datetime.now(UTC))
    return {
        "Content-Type": "application/json",
        "Kick-Event-Message-Id": message_id,
        "Kick-Event-Subscription-Id": "01KICKSUBSCRIPTION0000000001",
        "Kick-Event-Signature": sign(key or signing_key(), message_id, timestamp, body),
        "Kick-Event-Message-Timestamp": timestamp,
        "Kick-Event-Type": event_type,
        "Kick-Event-Version": "1",
    }


def chat_message(broadcaster_id: int, sender_id: int, username: str, *, at: datetime) -> bytes:
    """A `chat.message.sent` body as Kick documents it."""
    return json.dumps(
        {
            "message_id": secrets.token_hex(8),
            "broadcaster": {"user_id": broadcaster_id, "username": "streamer"},
            "sender": {"user_id": sender_id, "username": username, "is_verified": False},
            "content": "hello",
            "emotes": [],
            "created_at": rfc3339(at),
        }
    ).encode()


@dataclass(frozen=True)
class KickAccount:
    user_id: int
    name: str


@dataclass
class _Code:
    account: KickAccount
    client_id: str
    redirect_uri: str
    challenge: str
    used: bool = False


@dataclass
class FakeKick(LocalServer):
    client_id: str = "kick-test-client"
    client_secret: str = field(default_factory=lambda: "kick-secret-" + secrets.token_hex(8))
    viewer: KickAccount | None = None
    deny: bool = False
    down: bool = False
    received: list[Received] = field(default_factory=list)
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    tokens: dict[str, KickAccount | None] = field(default_factory=dict)  # None: an app token
    _codes: dict[str, _Code] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def settings(self) -> dict[str, str]:
        return {
            "KICK_API_BASE": self.url,
            "KICK_OAUTH_BASE": self.url,
            "KICK_CLIENT_ID": self.client_id,
            "KICK_CLIENT_SECRET": self.client_secret,
        }

    def signed(
        self, event_type: str, payload: dict[str, Any], **options: Any
    ) -> tuple[dict[str, str], bytes]:
        body = json.dumps(payload).encode()
        return signed_headers(event_type, body, **options), body

    def start(self) -> FakeKick:
        self._listen(json_handler(self._respond))
        return self

    def _respond(self, request: Received) -> JsonAnswer:
        with self._lock:
            self.received.append(request)
            return self._answer(request)

    # ---- the API ---------------------------------------------------------------------------------

    def _answer(self, request: Received) -> tuple[int, Any, dict[str, str]]:
        if self.down:
            return 503, {"message": "Service Unavailable"}, {}
        url = urlsplit(request.path)
        query = dict(parse_qsl(url.query))
        route = (request.method, url.path)
        if route == ("GET", "/public/v1/public-key"):
            return 200, {"data": {"public_key": public_pem(signing_key())}, "message": "OK"}, {}
        if route == ("GET", "/oauth/authorize"):
            return self._authorize(query)
        if route == ("POST", "/oauth/token"):
            return self._token(request.form())
        account = self.tokens.get(_bearer(request), False)
        if account is False:
            return 401, {"message": "Unauthorized"}, {}
        if route == ("GET", "/public/v1/users"):
            if account is None:
                return 403, {"message": "a user token is needed"}, {}
            return 200, {"data": [{"user_id": account.user_id, "name": account.name}]}, {}
        if route == ("POST", "/public/v1/events/subscriptions"):
            return self._subscribe(request.json())
        return 404, {"message": "Not Found"}, {}

    def _authorize(self, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        redirect_uri, state = query.get("redirect_uri", ""), query.get("state", "")
        if (
            query.get("client_id") != self.client_id
            or query.get("response_type") != "code"
            or query.get("code_challenge_method") != "S256"
            or not query.get("code_challenge")
            or not state
            or not redirect_uri
        ):
            return 400, {"message": "invalid_request"}, {}
        if self.deny or self.viewer is None:
            answer = {"error": "access_denied", "state": state}
        else:
            code = secrets.token_urlsafe(16)
            self._codes[code] = _Code(
                self.viewer, self.client_id, redirect_uri, query["code_challenge"]
            )
            answer = {"code": code, "state": state}
        return 302, None, {"Location": f"{redirect_uri}?{urlencode(answer)}"}

    def _token(self, form: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        if form.get("client_id") != self.client_id or form.get("client_secret") != (
            self.client_secret
        ):
            return 401, {"error": "invalid_client"}, {}
        grant = form.get("grant_type")
        if grant == "client_credentials":
            return 200, self._issue(None), {}
        if grant != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}, {}
        code = self._codes.get(form.get("code", ""))
        verifier = form.get("code_verifier", "")
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if (
            code is None
            or code.used
            or code.redirect_uri != form.get("redirect_uri")
            or code.challenge != challenge
        ):
            return 400, {"error": "invalid_grant"}, {}
        code.used = True
        return 200, self._issue(code.account), {}

    def _issue(self, account: KickAccount | None) -> dict[str, Any]:
        token = secrets.token_urlsafe(24)
        self.tokens[token] = account
        scope = "events:subscribe" if account is None else "user:read"
        return {"access_token": token, "token_type": "Bearer", "expires_in": 3600, "scope": scope}

    def _subscribe(self, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        if body.get("method") != "webhook" or not isinstance(body.get("broadcaster_user_id"), int):
            return 400, {"message": "invalid request"}, {}
        rows = []
        for event in body.get("events", []):
            subscription = {
                "broadcaster_user_id": body["broadcaster_user_id"],
                "name": event["name"],
                "version": event["version"],
                "subscription_id": f"01SUB{len(self.subscriptions) + 1:021d}",
            }
            self.subscriptions.append(subscription)
            rows.append(
                {
                    "name": event["name"],
                    "version": event["version"],
                    "subscription_id": subscription["subscription_id"],
                    "error": "",
                }
            )
        return 200, {"data": rows, "message": "OK"}, {}


def _bearer(request: Received) -> str:
    kind, _, token = request.headers.get("authorization", "").partition(" ")
    return token if kind.lower() == "bearer" else ""

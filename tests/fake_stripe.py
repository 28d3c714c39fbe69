"""A stand-in for Stripe's API: a real HTTP server on 127.0.0.1 that speaks the parts our adapter
(luckyclub/integrations/stripe_api.py) uses, the way the stripe-python client talks to Stripe:
form-encoded bodies (line_items[0][price_data][currency]=gbp), `Authorization: Bearer sk_...`,
`Idempotency-Key` on POSTs, JSON answers and Stripe's error bodies.

    with FakeStripe().running() as stripe:
        settings_env(STRIPE_SECRET_KEY=stripe.secret_key,
                     STRIPE_WEBHOOK_SECRET=stripe.webhook_secret, STRIPE_API_BASE=stripe.url)
        stripe.webhook_url = served_api + "/api/stripe/webhook"
        ...
        stripe.pay(session_id)  # the buyer pays: Stripe then POSTs the signed event to the app

Tests line up errors with fail(), lost answers with lose_answers() and slow answers with hold(),
which keeps a request waiting until the test releases it. Served:
POST /v1/checkout/sessions, GET /v1/checkout/sessions/{id}, POST .../{id}/expire,
POST /v1/refunds, GET /v1/refunds?payment_intent=. Like Stripe, the first answer to an
idempotency key is kept and replayed (Stripe keeps it 24 hours), errors included (an error answer
"started executing" on Stripe's side), and a key reused with other parameters is refused. Like
Stripe, a payment is never refunded beyond what was paid. Every request is recorded for assertions.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe as stripe_python

from luckyclub.integrations.stripe_api import sign_payload
from tests.fake_http import LocalServer

SESSION_SHORTEST = 30 * 60  # Stripe refuses an expires_at under 30 minutes away
SESSION_LONGEST = 24 * 60 * 60


@dataclass(frozen=True)
class Request:
    """One request as Stripe saw it: the form decoded into nested dicts and lists."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    form: dict[str, Any]

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("idempotency-key")


@dataclass
class Failure:
    """An error Stripe answers with instead of doing the work."""

    status: int
    type: str
    message: str
    code: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


SERVER_ERROR = Failure(500, "api_error", "An unknown error occurred on Stripe's side.")
CARD_ERROR = Failure(
    402, "card_error", "The refund could not be made to this card.", code="card_declined"
)


@dataclass
class Hold:
    """A request to one route kept waiting, unanswered, until release(): Stripe thinking."""

    route: str
    arrived: threading.Event = field(default_factory=threading.Event)  # the request is waiting
    _released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        self._released.set()

    @property
    def released(self) -> bool:
        return self._released.is_set()


class StripeAnswer(Exception):
    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        self.status, self.body, self.headers = status, body, headers or {}


def _error(status: int, kind: str, message: str, code: str | None = None) -> StripeAnswer:
    error = {"type": kind, "message": message}
    if code:
        error["code"] = code
    return StripeAnswer(status, {"error": error})


def decode_form(body: str) -> dict[str, Any]:
    """Stripe's form encoding back into objects: a[b][0][c]=1 → {"a": {"b": [{"c": "1"}]}}."""
    root: dict[str, Any] = {}
    for name, value in parse_qsl(body, keep_blank_values=True):
        head, _, rest = name.partition("[")
        keys = [head] + ([part.rstrip("]") for part in ("[" + rest).split("[")[1:]] if rest else [])
        node = root
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value
    return _listify(root)


def _listify(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    items = {key: _listify(item) for key, item in value.items()}
    if items and all(key.isdigit() for key in items):
        return [items[key] for key in sorted(items, key=int)]
    return items


class FakeStripe(LocalServer):
    def __init__(self, *, secret_key: str = "sk_test_x", webhook_secret: str = "whsec_x"):
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret
        self.webhook_url: str | None = None  # where pay() sends the completed event
        self.sessions: dict[str, dict[str, Any]] = {}
        self.line_items: dict[str, list[dict[str, Any]]] = {}
        self.payment_intents: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.requests: list[Request] = []
        self._failures: dict[str, list[Failure]] = {}
        self._lose: dict[str, int] = {}
        self._holds: dict[str, list[Hold]] = {}
        self._kept: dict[str, tuple[str, dict[str, Any], int, dict[str, Any]]] = {}
        self._lock = threading.RLock()

    # ---- running -------------------------------------------------------------------------------

    def start(self) -> FakeStripe:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as requests' pool expects

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                self._serve("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._serve("POST")

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                parts = urlsplit(self.path)
                request = Request(
                    method,
                    parts.path,
                    dict(parse_qsl(parts.query)),
                    {name.lower(): value for name, value in self.headers.items()},
                    decode_form(body),
                )
                fake._wait_if_held(request)
                answered = fake._answer(request)
                if answered is None:  # the work is done, but the answer never reaches the client
                    self.close_connection = True
                    return
                status, answer, headers = answered
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Request-Id", "req_" + secrets.token_hex(7))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self._listen(Handler)
        return self

    # ---- what tests line up and read -------------------------------------------------------------

    def fail(self, route: str, *failures: Failure) -> None:
        """The next requests to `route` ("POST /v1/refunds", "POST /v1/checkout/sessions") fail
        with these errors, one each, before the route works again."""
        with self._lock:
            self._failures.setdefault(route, []).extend(failures)

    def lose_answers(self, route: str, count: int = 1) -> None:
        """Do the next `count` requests to `route`, then drop the connection without answering:
        the client cannot tell whether it happened."""
        with self._lock:
            self._lose[route] = self._lose.get(route, 0) + count

    def hold(self, route: str) -> Hold:
        """The next request to `route` ("GET /v1/checkout/sessions/{id}") waits, unanswered, until
        the test calls release() on what this returns (its `arrived` is set once it waits)."""
        hold = Hold(route)
        with self._lock:
            self._holds.setdefault(route, []).append(hold)
        return hold

    def _wait_if_held(self, request: Request) -> None:
        # Outside the lock: every other request is answered meanwhile.
        with self._lock:
            queued = self._holds.get(_route_name(request))
            hold = queued.pop(0) if queued else None
        if hold is not None:
            hold.arrived.set()
            hold._released.wait(timeout=120)  # a test that forgets to release does not hang

    def requests_to(self, method: str, path: str) -> list[Request]:
        """The requests made to one route; `path` may end in * to match a prefix."""
        with self._lock:
            return [
                r
                for r in self.requests
                if r.method == method
                and (r.path.startswith(path[:-1]) if path.endswith("*") else r.path == path)
            ]

    # ---- the buyer pays, and Stripe tells the app ------------------------------------------------

    def pay(self, session_id: str, *, deliver: bool = True) -> tuple[int, dict[str, Any]] | None:
        """The buyer pays on Stripe's page: the session becomes complete and paid, with a payment
        intent; then (unless deliver=False) Stripe POSTs the signed checkout.session.completed
        event to webhook_url. Returns the app's answer (status, JSON body)."""
        with self._lock:
            checkout = self.sessions[session_id]
            assert checkout["status"] == "open", f"session {session_id} is {checkout['status']}"
            intent = {
                "id": "pi_" + secrets.token_hex(12),
                "object": "payment_intent",
                "amount": checkout["amount_total"],
                "currency": checkout["currency"],
                "status": "succeeded",
            }
            self.payment_intents[intent["id"]] = intent
            checkout.update(status="complete", payment_status="paid", payment_intent=intent["id"])
        if not deliver:
            return None
        return self.deliver(self.event_payload("checkout.session.completed", session_id))

    def event_payload(self, event_type: str, session_id: str) -> bytes:
        """An event about a session as it stands now, serialised as Stripe sends it."""
        with self._lock:
            checkout = dict(self.sessions[session_id])
        event = {
            "id": "evt_" + secrets.token_hex(12),
            "object": "event",
            "api_version": stripe_python.api_version,
            "created": int(time.time()),
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
            "data": {"object": checkout},
        }
        return json.dumps(event).encode()

    def deliver(
        self, payload: bytes, *, secret: str | None = None, timestamp: int | None = None
    ) -> tuple[int, dict[str, Any]]:
        """POST one event to the app, signed like Stripe signs it (or with another secret)."""
        assert self.webhook_url, "set webhook_url to the app's /api/stripe/webhook first"
        signature = sign_payload(
            payload, secret or self.webhook_secret, timestamp or int(time.time())
        )
        request = urllib.request.Request(
            self.webhook_url,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": signature,
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as refused:
            return refused.code, json.loads(refused.read() or b"{}")

    # ---- the API -------------------------------------------------------------------------------

    def _answer(self, request: Request) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        with self._lock:
            self.requests.append(request)
            try:
                answered = 200, self._route(request), {}
            except StripeAnswer as answer:
                answered = answer.status, answer.body, answer.headers
            route = _route_name(request)
            if self._lose.get(route):
                self._lose[route] -= 1
                return None
            return answered

    def _route(self, request: Request) -> dict[str, Any]:
        if request.headers.get("authorization") != f"Bearer {self.secret_key}":
            raise _error(401, "invalid_request_error", "Invalid API Key provided.")
        parts = request.path.strip("/").split("/")
        method = request.method
        if method == "POST" and request.idempotency_key:
            return self._idempotent(request)
        if method == "GET" and parts[:3] == ["v1", "checkout", "sessions"] and len(parts) == 4:
            return self._session(parts[3])
        if method == "GET" and request.path == "/v1/refunds":
            return self._list_refunds(request.query)
        if method == "POST":
            return self._work(request)
        raise _error(404, "invalid_request_error", f"Unrecognized request URL ({request.path}).")

    def _idempotent(self, request: Request) -> dict[str, Any]:
        """Stripe keeps the first answer to a key, errors too, and replays it."""
        key = request.idempotency_key or ""
        if key in self._kept:
            path, form, status, body = self._kept[key]
            if (path, form) != (request.path, request.form):
                raise _error(
                    400,
                    "idempotency_error",
                    "Keys for idempotent requests can only be used with the same parameters "
                    "they were first used with.",
                )
            if status != 200:
                raise StripeAnswer(status, body, {"Idempotent-Replayed": "true"})
            return body
        try:
            body = self._work(request)
        except StripeAnswer as answer:
            if answer.status in (400, 401, 404, 409, 429):
                raise  # refused before it started: nothing is kept, a retry may succeed
            self._kept[key] = (request.path, request.form, answer.status, answer.body)
            raise
        self._kept[key] = (request.path, request.form, 200, body)
        return body

    def _work(self, request: Request) -> dict[str, Any]:
        route = _route_name(request)
        parts = request.path.strip("/").split("/")
        queued = self._failures.get(route)
        if queued:
            failure = queued.pop(0)
            error = _error(failure.status, failure.type, failure.message, failure.code)
            error.headers = failure.headers
            raise error
        if route == "POST /v1/checkout/sessions":
            return self._create_session(request.form)
        if route == "POST /v1/checkout/sessions/{id}/expire":
            return self._expire_session(parts[3])
        if route == "POST /v1/refunds":
            return self._create_refund(request.form)
        raise _error(404, "invalid_request_error", f"Unrecognized request URL ({request.path}).")

    def _create_session(self, form: dict[str, Any]) -> dict[str, Any]:
        now = int(time.time())
        expires_at = int(form.get("expires_at") or now + SESSION_LONGEST)
        if not now + SESSION_SHORTEST <= expires_at <= now + SESSION_LONGEST:
            raise _error(
                400,
                "invalid_request_error",
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from now.",
            )
        items = form.get("line_items") or []
        total = sum(
            int(item.get("quantity", 1)) * int(item.get("price_data", {}).get("unit_amount", 0))
            for item in items
        )
        currencies = {item.get("price_data", {}).get("currency") for item in items} - {None}
        session_id = "cs_test_" + secrets.token_hex(16)
        checkout = {
            "id": session_id,
            "object": "checkout.session",
            "mode": form.get("mode"),
            "status": "open",
            "payment_status": "unpaid",
            "url": f"{self.url}/c/pay/{session_id}",
            "amount_subtotal": total,
            "amount_total": total,
            "currency": currencies.pop() if currencies else None,
            "client_reference_id": form.get("client_reference_id"),
            "customer_email": form.get("customer_email"),
            "metadata": form.get("metadata") or {},
            "payment_intent": None,
            "expires_at": expires_at,
            "created": now,
            "success_url": form.get("success_url"),
            "cancel_url": form.get("cancel_url"),
            "livemode": False,
        }
        self.sessions[session_id] = checkout
        self.line_items[session_id] = items
        return dict(checkout)

    def _session(self, session_id: str) -> dict[str, Any]:
        if session_id not in self.sessions:
            raise _missing("checkout session", session_id)
        return dict(self.sessions[session_id])

    def _expire_session(self, session_id: str) -> dict[str, Any]:
        checkout = self.sessions.get(session_id)
        if checkout is None:
            raise _missing("checkout session", session_id)
        if checkout["status"] != "open":
            raise _error(
                400,
                "invalid_request_error",
                f"Only Checkout Sessions with a status of `open` can be expired. This one is "
                f"`{checkout['status']}`.",
            )
        checkout["status"] = "expired"
        return dict(checkout)

    def _create_refund(self, form: dict[str, Any]) -> dict[str, Any]:
        intent = self.payment_intents.get(form.get("payment_intent", ""))
        if intent is None:
            raise _missing("payment_intent", form.get("payment_intent", ""))
        refunded = sum(
            r["amount"] for r in self.refunds.values() if r["payment_intent"] == intent["id"]
        )
        amount = int(form.get("amount") or intent["amount"] - refunded)
        if refunded >= intent["amount"]:
            raise _error(
                400,
                "invalid_request_error",
                f"Charge for {intent['id']} has already been refunded.",
                code="charge_already_refunded",
            )
        if refunded + amount > intent["amount"]:
            raise _error(
                400,
                "invalid_request_error",
                "Refund amount is greater than the unrefunded amount on the charge.",
                code="amount_too_large",
            )
        refund = {
            "id": "re_" + secrets.token_hex(12),
            "object": "refund",
            "amount": amount,
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "status": "succeeded",
            "created": int(time.time()),
        }
        self.refunds[refund["id"]] = refund
        return dict(refund)

    def _list_refunds(self, query: dict[str, str]) -> dict[str, Any]:
        wanted = query.get("payment_intent")
        found = [
            dict(r)
            for r in sorted(self.refunds.values(), key=lambda r: r["created"], reverse=True)
            if wanted is None or r["payment_intent"] == wanted
        ]
        return {"object": "list", "url": "/v1/refunds", "has_more": False, "data": found}


def _route_name(request: Request) -> str:
    """ "POST /v1/refunds", "POST /v1/checkout/sessions/{id}/expire", ... as fail() names them."""
    parts = request.path.strip("/").split("/")
    if parts[:3] == ["v1", "checkout", "sessions"] and len(parts) >= 4:
        parts[3] = "{id}"
    return f"{request.method} /" + "/".join(parts)


def _missing(kind: str, object_id: str) -> StripeAnswer:
    return _error(
        404, "invalid_request_error", f"No such {kind}: '{object_id}'", code="resource_missing"
    )

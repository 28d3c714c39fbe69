"""Who is signed in: read from the HttpOnly session cookie at every check, never from page data."""

from __future__ import annotations

import json

import reflex as rx
from starlette.requests import cookie_parser

from luckyclub import security
from luckyclub.db import session_scope
from luckyclub.models import User
from luckyclub.services import accounts
from luckyclub.services.errors import NotAllowed
from luckyclub.services.permissions import require_admin

SESSION_COOKIE = "luckyclub_session"


def session_token_from_cookie_header(header: str) -> str | None:
    # Starlette's lenient parser: one odd cookie from another app must not hide ours.
    return cookie_parser(header or "").get(SESSION_COOKIE) or None


class SessionState(rx.State):
    """The signed-in person as the page needs to show them; every page state builds on it."""

    signed_in: bool = False
    checked: bool = False
    user_name: str = ""
    user_email: str = ""
    user_timezone: str = "UTC"
    is_admin: bool = False
    email_verified: bool = False

    def _session_token(self) -> str | None:
        # The websocket handshake carries the cookie; page scripts never see it (HttpOnly).
        return session_token_from_cookie_header(self.router.headers.cookie)

    def _client_ip(self) -> str:
        # The handshake's peer, or behind trusted proxies the address they forwarded.
        return security.client_address(
            self.router.session.client_ip, self.router.headers.raw_headers.get("x-forwarded-for")
        )

    def _current_user(self, session) -> User | None:
        return accounts.user_for_session(session, self._session_token())

    def _require_user(self, session) -> User:
        user = self._current_user(session)
        if user is None:
            raise NotAllowed("Your session has ended. Please sign in again.")
        return user

    def _require_admin(self, session) -> User:
        return require_admin(self._current_user(session))

    def _show(self, user: User | None) -> None:
        self.checked = True
        self.signed_in = user is not None
        self.user_name = user.display_name if user else ""
        self.user_email = user.email if user else ""
        self.user_timezone = user.timezone if user else "UTC"
        self.is_admin = bool(user and user.is_admin)
        self.email_verified = bool(user and user.email_verified_at)

    @rx.event
    def refresh(self):
        """On every page load: who is this? (The session may have been revoked meanwhile.)"""
        with session_scope() as s:
            self._show(self._current_user(s))

    @rx.event
    def require_sign_in(self):
        """On a members' page: send a visitor without a session to the sign-in page, then back."""
        with session_scope() as s:
            user = self._current_user(s)
            self._show(user)
        if user is None:
            return rx.redirect(f"/login?next={self.router.url.path}")

    @rx.event
    def sign_out(self):
        with session_scope() as s:
            accounts.revoke_session(s, self._session_token())
        self._show(None)
        return rx.call_script(
            "fetch('/api/auth/logout', {method: 'POST', credentials: 'same-origin'})"
            ".finally(() => window.location.assign('/'))"
        )


def finish_sign_in(ticket: str, destination: str):
    """Have the browser swap its login ticket for the HttpOnly session cookie, then load the page.

    The full page load reconnects the websocket, so the new cookie reaches the server's handshake.
    """
    body = json.dumps({"ticket": ticket})
    return rx.call_script(
        "fetch('/api/auth/session', {method: 'POST', credentials: 'same-origin', "
        f"headers: {{'Content-Type': 'application/json'}}, body: {json.dumps(body)}}})"
        f".then(r => window.location.assign(r.ok ? {json.dumps(destination)} : '/login?expired=1'))"
    )

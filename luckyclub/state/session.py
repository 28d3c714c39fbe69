"""Who is signed in: read from the HttpOnly session cookie at every check, never from page data."""

from __future__ import annotations

import json
from typing import TypeVar

import reflex as rx
from reflex.middleware import Middleware
from reflex.state import BaseState
from reflex_base.constants import CompileVars
from starlette.requests import cookie_parser

from luckyclub.core import security
from luckyclub.core.db import session_scope
from luckyclub.core.errors import NotAllowed
from luckyclub.models import User
from luckyclub.platform import accounts
from luckyclub.platform.permissions import require_admin
from luckyclub.state.events import event, run_in_thread

SESSION_COOKIE = "luckyclub_session"


def session_token_from_cookie_header(header: str) -> str | None:
    # Starlette's lenient parser: one odd cookie from another app must not hide ours.
    return cookie_parser(header or "").get(SESSION_COOKIE) or None


def viewer_key(token: str | None, user: User | None) -> str:
    """Whom a tab's page data is for: this session of this person in this role ("" for a visitor).

    Page data filled for one key is never shown under another: a tab's state outlives its tab and
    is handed to whichever connection presents the tab's client token.
    """
    if user is None or not token:
        return ""
    role = "admin" if user.is_admin else "member"
    return f"{security.token_digest(token)}:{user.id}:{role}"


def viewer_key_for(token: str | None) -> str:
    with session_scope() as s:
        return viewer_key(token, accounts.user_for_session(s, token))


_State = TypeVar("_State", bound=BaseState)


def ancestor_state(state: BaseState, cls: type[_State]) -> _State:
    """The instance of `cls` among `state` and its parents (the page states' shared base)."""
    current: BaseState | None = state
    while current is not None:
        if isinstance(current, cls) and current.get_full_name() == cls.get_full_name():
            return current
        current = current.parent_state
    raise LookupError(f"{state.get_full_name()} is not under {cls.get_full_name()}")


class SessionState(rx.State):
    """The signed-in person as the page needs to show them; every page state builds on it."""

    signed_in: bool = False
    checked: bool = False
    user_name: str = ""
    user_email: str = ""
    user_timezone: str = "UTC"
    is_admin: bool = False
    email_verified: bool = False
    # A new value each time the server says what this tab's page shows changed (state/live.py).
    live_version: str = ""
    # The viewer_key the page states under this one were filled for.
    _viewer: str = ""
    # The room versions this tab has loaded the page for (state/live.py), the newest last.
    _seen_versions: list[str] = []

    def _session_token(self) -> str | None:
        # The websocket handshake carries the cookie; page scripts never see it (HttpOnly).
        return session_token_from_cookie_header(self.router.headers.cookie)

    def _client_ip(self) -> str:
        return client_ip_of(self)

    def _current_user(self, session) -> User | None:
        return accounts.user_for_session(session, self._session_token())

    def _require_user(self, session) -> User:
        user = self._current_user(session)
        if user is None:
            raise NotAllowed("Your session has ended. Please sign in again.")
        return user

    def _require_admin(self, session) -> User:
        return require_admin(self._current_user(session))

    def _session_state(self) -> SessionState:
        return ancestor_state(self, SessionState)

    def _saw(self, version: str) -> bool:
        """Record a room version as loaded; False when it was already (or is no version at all):
        a page reloads on a version it has not loaded yet."""
        if not version or version in self._seen_versions:
            return False
        self._seen_versions = [*self._seen_versions[-7:], version]
        return True

    def _keep_pages_for(self, key: str) -> None:
        """The one guard of every page's data: when the person behind this connection is not the
        one the pages were filled for, every page's state goes back to its defaults."""
        pages = self._session_state()
        if pages._viewer != key:
            pages.reset()
            pages._viewer = key

    def _show(self, user: User | None) -> None:
        self.checked = True
        self.signed_in = user is not None
        self.user_name = user.display_name if user else ""
        self.user_email = user.email if user else ""
        self.user_timezone = user.timezone if user else "UTC"
        self.is_admin = bool(user and user.is_admin)
        self.email_verified = bool(user and user.email_verified_at)

    def _show_viewer(self, user: User | None) -> None:
        """At every page load: pages filled for someone else are dropped, then who this is shown."""
        self._keep_pages_for(viewer_key(self._session_token(), user))
        self._show(user)

    @event
    def refresh(self):
        """On every page load: who is this? (The session may have been revoked meanwhile.)"""
        with session_scope() as s:
            self._show_viewer(self._current_user(s))

    @event
    def require_sign_in(self):
        """On a members' page: send a visitor without a session to the sign-in page, then back."""
        with session_scope() as s:
            user = self._current_user(s)
        if user is None:
            self._session_state().reset()  # a visitor sent away keeps nothing of any page
        self._show_viewer(user)
        if user is None:
            return rx.redirect(f"/login?next={self.router.url.path}")

    @event
    def sign_out(self):
        with session_scope() as s:
            accounts.revoke_session(s, self._session_token())
        self._session_state().reset()  # the tab keeps nothing loaded for the person signed out
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


HYDRATE_EVENTS = frozenset(
    f"{rx.State.get_full_name()}.{name}"
    for name in (CompileVars.HYDRATE, CompileVars.HYDRATE_AND_LOAD)
)


class ForgetOtherViewersPages(Middleware):
    """Before a (re)connecting tab is sent its whole state, drop the pages filled for someone else.

    The hydrate snapshot goes out before any on_load runs, so the on_load guard alone comes too late
    for a connection that presents another person's (or a signed-out admin's) client token.
    """

    async def preprocess(self, app, state, event):
        if event.name not in HYDRATE_EVENTS:
            return None
        pages = state.substates.get(SessionState.get_name())
        if pages is not None:
            token = session_token_from_cookie_header(state.router.headers.cookie)
            pages._keep_pages_for(await run_in_thread(lambda: viewer_key_for(token)))
        return None


def client_ip_of(state: rx.State) -> str:
    """The address a tab's handshake came from, or behind trusted proxies the one they forwarded:
    what a limit per client address counts, for any page, signed in or not."""
    return security.client_address(
        state.router.session.client_ip, state.router.headers.raw_headers.get("x-forwarded-for")
    )

"""Reflex states under pytest without a browser: a fresh state tree, as one browser tab has it.

Reflex builds `router` from the websocket handshake's router_data; here we hand it the same dict, so
`self.router.headers.cookie` carries the session cookie exactly as in the running app.
"""

from __future__ import annotations

from typing import TypeVar

import reflex as rx
from reflex.istate.data import RouterData

from luckyclub.state.session import SESSION_COOKIE

S = TypeVar("S", bound=rx.State)


def state_for_tab(
    state_cls: type[S],
    *,
    session_token: str | None = None,
    path: str = "/",
    client_ip: str = "127.0.0.1",
    headers: dict[str, str] | None = None,
) -> S:
    """An instance of `state_cls` in a new state tree whose connection carries this cookie (and
    these further handshake headers, e.g. a proxy's x-forwarded-for)."""
    root = rx.State()  # allowed under pytest (Reflex checks PYTEST_CURRENT_TEST)
    connect(root, session_token=session_token, path=path, client_ip=client_ip, headers=headers)
    return root.get_substate(state_cls.get_full_name().split("."))


def connect(
    state: rx.State,
    *,
    session_token: str | None = None,
    path: str = "/",
    client_ip: str = "127.0.0.1",
    headers: dict[str, str] | None = None,
) -> None:
    """A connection to `state`'s tree: a new tab, or one presenting an old tab's client token."""
    root = state._get_root_state()
    headers = {"origin": "http://localhost:3000", "user-agent": "pytest"} | (headers or {})
    if session_token is not None:
        headers["cookie"] = f"theme=dark; {SESSION_COOKIE}={session_token}"
    router_data = {"headers": headers, "pathname": path, "asPath": path, "ip": client_ip}
    root.router_data = router_data
    root.router = RouterData.from_router_data(router_data)

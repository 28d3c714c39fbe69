"""Reflex states under pytest without a browser: a fresh state tree, as one browser tab has it.

Reflex builds `router` from the websocket handshake's router_data; here we hand it the same dict, so
`self.router.headers.cookie` carries the session cookie exactly as in the running app.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, TypeVar

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


def run_busy(handler, state, *args, flag: str = "busy"):
    """Run a handler that shows its button busy (`state.busy.shows_busy`) as the browser sees it:
    the flag is on at its first update and off at the end. Returns what it sent after (or None)."""

    async def drive():
        updates = handler.fn(state, *args)
        first = await anext(updates, "done")
        if first == "done":  # refused at once: a click while another runs
            return None
        assert getattr(state, flag) is True, f"{flag} was not shown while the work ran"
        sent = [event async for event in updates]
        assert getattr(state, flag) is False
        return sent[0] if sent else None

    return asyncio.run(drive())


def finish(handler, state, *args):
    """Run a handler to its end however it is written (plain, async, or yielding updates like a
    busy button's); what it sent last (a redirect…), or None."""

    async def drive():
        result = handler.fn(state, *args)
        if hasattr(result, "__anext__"):
            sent = [event async for event in result if event is not None]
            return sent[-1] if sent else None
        if asyncio.iscoroutine(result):
            return await result
        return result

    return asyncio.run(drive())


class OneTabApp:
    """Stands in for the app when the fan-out writes a room's tabs (state/live.py): `modify_state`
    of any tab yields this tab's tree, and each write's result is recorded for the test."""

    def __init__(self, state: rx.State, *names: str) -> None:
        self.state = state
        self.root = state._get_root_state()
        self.names = names
        self.writes: list[dict[str, Any]] = []

    @contextlib.asynccontextmanager
    async def modify_state(self, token: Any) -> AsyncIterator[rx.State]:
        yield self.root
        self.writes.append({name: getattr(self.state, name) for name in self.names})

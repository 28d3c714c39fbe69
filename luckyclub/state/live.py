"""Pages that change when the server says so: the rooms open pages follow, and the one fan-out per
process that turns the change feed (platform/changes.py) into writes to those rooms.

A page follows topics (`member:12`, `competition:5`, `admin:proofs`, …) by linking to a shared room
(`rx.SharedState`) per topic. When a change of the topic is heard, the fan-out writes the room once,
and Reflex sends the write to every tab linked to it, on this worker or another (Redis relays it).
Two kinds of room:

- **version rooms** (`PageRoom`, `MemberRoom`) hold only a `version`; the page reloads its own data
  when it changes (`components.live.reload_on`). For pages that differ per person: a member's
  dashboard, a competition's page with the member's tickets, the admin queues.
- **data rooms** (the live draw's `DrawRoom`, the competitions list's `ListRoom`) hold what the page
  shows, loaded once per change for every spectator: pages that many people watch at once.

The fan-out refreshes only rooms joined in this process, each at most once a `GAP` seconds (a burst
of purchases is one write), and after a lost feed connection (`changes.EVERYTHING`) all of them.
Nothing runs while nothing changes: an open tab costs the server nothing in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import reflex as rx

from luckyclub.core.db import session_scope
from luckyclub.platform import accounts, changes
from luckyclub.state.events import run_in_thread

if TYPE_CHECKING:
    from luckyclub.state.session import SessionState

log = logging.getLogger(__name__)

GAP = 1.0  # seconds between two writes of one room: a burst of changes becomes one write

Refresh = Callable[[rx.App], Awaitable[None]]
_Room = TypeVar("_Room", bound=rx.SharedState)


def room_token(topic: str) -> str:
    """A room's token for a topic: shared-state tokens may not contain "_" (nor, here, ":")."""
    return topic.replace(":", "-").replace("_", "-")


class PageRoom(rx.SharedState):
    """The topic of the page a tab shows (`admin:proofs`, `competition:5`, `club`): a new version
    each time it changes."""

    version: str = ""


class MemberRoom(rx.SharedState):
    """The signed-in member's own topic (`member:<id>`): a new version each time it changes."""

    version: str = ""


async def write_room(app: rx.App, cls: type[rx.SharedState], token: str, **values: Any) -> None:
    """Set the room's vars that differ from `values`; an unchanged var is not sent to anyone."""
    async with app.modify_state(rx.BaseStateToken(ident=token, cls=cls)) as root:
        room = await root.get_state(cls)
        for name, value in values.items():
            if getattr(room, name) != value:
                setattr(room, name, value)


def _bump(cls: type[rx.SharedState], token: str) -> Refresh:
    async def bump(app: rx.App) -> None:
        await write_room(app, cls, token, version=secrets.token_hex(6))

    return bump


# ---- following topics from a page ----------------------------------------------------------------


async def follow(
    state: SessionState, room_cls: type[PageRoom] | type[MemberRoom], topic: str
) -> None:
    """Link this tab to the version room of `topic` (from an async handler, on the event loop)."""
    token = room_token(topic)
    linked = await link(state, room_cls, token)
    state._session_state()._saw(linked.version)  # the version it loads now is not news
    join(topic, (room_cls, token), _bump(room_cls, token))


async def link(state: rx.State, room_cls: type[_Room], token: str) -> _Room:
    """This tab's room of `room_cls` linked to `token`, shared with every tab linked to it. Where no
    app runs (a script, a state test) there is nothing to share: the tab keeps its own copy."""
    room = await state.get_state(room_cls)
    if _fan_out is None:
        return room
    return await room._link_to(token)


async def follow_member(state: SessionState) -> None:
    """Link this tab to the signed-in member's own room (`member:<id>`); nothing for a visitor.
    The member is the session's, never one the browser names."""
    token = state._session_token()
    user_id = await run_in_thread(lambda: _user_id_of(token)) if token else None
    if user_id is not None:
        await follow(state, MemberRoom, changes.member(user_id))


def _user_id_of(token: str) -> int | None:
    with session_scope() as s:
        user = accounts.user_for_session(s, token)
        return user.id if user is not None else None


def join(topic: str, key: tuple[type, str], refresh: Refresh) -> None:
    """Have this process refresh a room when `topic` changes (a no-op where no app runs; from any
    thread)."""
    if (fan_out := _fan_out) is not None:
        fan_out.call(fan_out.follow, topic, key, refresh)


def refresh_soon(key: tuple[type, str]) -> None:
    """Refresh a joined room now, or once the current gap ends (many asks are one refresh; from
    any thread)."""
    if (fan_out := _fan_out) is not None:
        fan_out.call(fan_out.request, key)


# ---- the fan-out ---------------------------------------------------------------------------------


@dataclass
class _Pacing:
    running: bool = False
    again: bool = False
    last: float = 0.0


@dataclass
class FanOut:
    """One per process: which rooms follow which topic here, and their paced refreshes."""

    app: rx.App
    loop: asyncio.AbstractEventLoop
    gap: float = GAP
    _by_topic: dict[str, dict[tuple[type, str], Refresh]] = field(default_factory=dict)
    _refreshes: dict[tuple[type, str], Refresh] = field(default_factory=dict)
    _pacing: dict[tuple[type, str], _Pacing] = field(default_factory=dict)
    _tasks: set[asyncio.Task] = field(default_factory=set)

    def follow(self, topic: str, key: tuple[type, str], refresh: Refresh) -> None:
        self._by_topic.setdefault(topic, {})[key] = refresh
        self._refreshes[key] = refresh

    def call(self, fn: Callable[..., object], *args: Any) -> None:
        """Run fn(*args) on the event loop, which alone touches the fan-out's tables."""
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(fn, *args)

    def heard(self, topics: frozenset[str]) -> None:
        """The feed's callback, on its own thread."""
        self.call(self.dispatch, topics)

    def dispatch(self, topics: frozenset[str]) -> None:
        if changes.EVERYTHING in topics:
            keys = set(self._refreshes)
        else:
            keys = {key for topic in topics for key in self._by_topic.get(topic, ())}
        for key in keys:
            self.request(key)

    def request(self, key: tuple[type, str]) -> None:
        if key not in self._refreshes:
            return
        pacing = self._pacing.setdefault(key, _Pacing())
        if pacing.running:
            pacing.again = True
            return
        pacing.running = True
        task = self.loop.create_task(self._run(key, pacing))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, key: tuple[type, str], pacing: _Pacing) -> None:
        try:
            while True:
                wait = pacing.last + self.gap - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                pacing.again = False
                pacing.last = time.monotonic()
                try:
                    await self._refreshes[key](self.app)
                except Exception:  # noqa: BLE001 - the page reloads on the next change
                    log.exception("Could not refresh the room %s", key[1])
                if not pacing.again:
                    return
        finally:
            pacing.running = False


_fan_out: FanOut | None = None


@contextlib.asynccontextmanager
async def fan_out_lifespan(app: rx.App) -> AsyncIterator[None]:
    """Lifespan task: this process's listener on the change feed, fanning changes out to rooms."""
    global _fan_out
    fan_out = FanOut(app=app, loop=asyncio.get_running_loop())
    listening = await asyncio.to_thread(changes.listen, fan_out.heard)
    _fan_out = fan_out
    try:
        yield
    finally:
        _fan_out = None
        await asyncio.to_thread(listening.stop)

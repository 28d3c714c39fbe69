"""Pages that change when the server says so: the rooms open tabs follow in this process, and the
one fan-out per process that turns the change feed (platform/changes.py) into writes to those tabs.

A room is a set of open tabs showing the same thing, named by what it shows (`member:12`,
`competition:5`, `draw:7`, `competitions:active`) and following the change topics that may change
it. When one of those topics is heard, the fan-out loads what the room shows once and writes it into
each tab's own state, whose delta Reflex sends to that tab. Two kinds of room:

- **version rooms** (`follow`) write only a new `live_version` into each tab's session state; the
  page reloads its own data when it changes (`components.live.reload_on`): pages that differ per
  person, such as a member's dashboard, a competition's page with the member's tickets, the admin
  queues.
- **data rooms** (`Room` with its own `load`) write the data itself: pages many people watch at
  once, such as the live draw and the competitions list, loaded once per change for everyone.

Rooms live in the process whose websocket holds their tabs: with several workers each worker
hears every change and writes its own tabs. A room is written at most once a `GAP` (a burst of
purchases is one write); after a lost feed connection (`changes.EVERYTHING`) every room is. Tabs
whose websocket closed are dropped at the next write. Nothing runs while nothing changes: an idle
open tab costs the server nothing, and one tab's events never touch another tab.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import reflex as rx

from luckyclub.core.db import session_scope
from luckyclub.platform import accounts, changes
from luckyclub.state.events import run_in_thread

if TYPE_CHECKING:
    from luckyclub.state.session import SessionState

log = logging.getLogger(__name__)

GAP = 1.0  # seconds between two writes of one room: a burst of changes becomes one write

Values = dict[str, Any]


@dataclass
class Room:
    """Tabs of this process that show the same thing, and how to load it.

    `load()` gives the values every tab of the room shows (the names of vars of `state`, the page
    state holding them), written to them all on a change; a room that writes in steps (the live
    draw's reveal) gives `refresh` instead."""

    key: str
    topics: frozenset[str]
    state: type[rx.State]
    load: Callable[[], Awaitable[Values]] | None = None
    refresh: Callable[[rx.App, Room], Awaitable[None]] | None = None
    tabs: set[str] = field(default_factory=set)  # the client tokens of its open tabs
    shown: Values = field(default_factory=dict)  # what it last wrote, for a tab that joins later
    memo: Values = field(default_factory=dict)  # the refresh's own bookkeeping (not shown)


async def write(app: rx.App, room: Room, values: Values) -> None:
    """Set `values` in the page state of every open tab of the room (only the vars that differ:
    an unchanged var is not sent); tabs whose websocket closed leave the room."""
    room.shown.update(values)
    connected = _connected_check(app)
    for token in list(room.tabs):
        if connected is not None and not await connected(token):
            room.tabs.discard(token)
            continue
        try:
            async with app.modify_state(rx.BaseStateToken(ident=token, cls=room.state)) as root:
                show(await root.get_state(room.state), values)
        except Exception:  # noqa: BLE001 - one tab's failure must not keep the others waiting
            log.exception("Could not update a tab of %s", room.key)


def show(page: Any, values: Values) -> None:
    """Set the page state's vars that differ from `values`."""
    for name, value in values.items():
        if getattr(page, name) != value:
            setattr(page, name, value)


def _connected_check(app: rx.App) -> Callable[[str], Awaitable[bool]] | None:
    namespace = getattr(app, "event_namespace", None)
    manager = getattr(namespace, "_token_manager", None)
    return getattr(manager, "is_token_connected", None)


# ---- following from a page ---------------------------------------------------------------------


def client_token(state: rx.State) -> str:
    return state.router.session.client_token


def join(state: rx.State, room: Room) -> Room:
    """Put this tab in `room`, from an async handler (on the event loop); a no-op where no app
    runs (a state test). The room this process has under that key is returned, with what it last
    showed. A tab that joins from another page than before leaves the rooms of that page."""
    token = client_token(state)
    if (fan_out := _fan_out) is None or not token:
        return room
    return fan_out.join(room, token, state.router.url.path)


async def follow(state: SessionState, topic: str) -> None:
    """Have this tab reload its page when `topic` changes (a version room of its own)."""
    from luckyclub.state.session import SessionState

    async def new_version() -> Values:
        return {"live_version": secrets.token_hex(6)}

    room = Room(
        key=f"version:{topic}", topics=frozenset({topic}), state=SessionState, load=new_version
    )
    join(state, room)


async def follow_member(state: SessionState) -> None:
    """Follow the signed-in member's own topic (`member:<id>`); nothing for a visitor. The member
    is the session's, never one the browser names."""
    token = state._session_token()
    user_id = await run_in_thread(lambda: _user_id_of(token)) if token else None
    if user_id is not None:
        await follow(state, changes.member(user_id))


def _user_id_of(token: str) -> int | None:
    with session_scope() as s:
        user = accounts.user_for_session(s, token)
        return user.id if user is not None else None


def leave(state: rx.State, key: str) -> None:
    """Take this tab out of a room (it shows something else now)."""
    if (fan_out := _fan_out) is not None:
        fan_out.call(fan_out.leave, key, client_token(state))


def refresh_soon(key: str) -> None:
    """Refresh a room now, or once the current gap ends (many asks are one refresh; any thread)."""
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
    """One per process: its rooms by key and by topic, and their paced refreshes. Its tables are
    touched on the event loop only."""

    app: rx.App
    loop: asyncio.AbstractEventLoop
    gap: float = GAP
    rooms: dict[str, Room] = field(default_factory=dict)
    _by_topic: dict[str, set[str]] = field(default_factory=dict)
    _pages: dict[str, tuple[str, set[str]]] = field(default_factory=dict)  # token: page, rooms
    _pacing: dict[str, _Pacing] = field(default_factory=dict)
    _tasks: set[asyncio.Task] = field(default_factory=set)

    def join(self, room: Room, token: str, page: str) -> Room:
        shown_on, keys = self._pages.get(token, (page, set()))
        if shown_on != page:  # the tab moved on: what it showed before is not on screen now
            for key in keys:
                if (left := self.rooms.get(key)) is not None:
                    left.tabs.discard(token)
            keys = set()
        kept = self.rooms.setdefault(room.key, room)
        kept.tabs.add(token)
        self._pages[token] = (page, keys | {kept.key})
        for topic in kept.topics:
            self._by_topic.setdefault(topic, set()).add(kept.key)
        return kept

    def leave(self, key: str, token: str) -> None:
        if (room := self.rooms.get(key)) is not None:
            room.tabs.discard(token)

    def call(self, fn: Callable[..., object], *args: Any) -> None:
        """Run fn(*args) on the event loop (from any thread)."""
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(fn, *args)

    def heard(self, topics: frozenset[str]) -> None:
        """The feed's callback, on its own thread."""
        self.call(self.dispatch, topics)

    def dispatch(self, topics: frozenset[str]) -> None:
        if changes.EVERYTHING in topics:
            keys = set(self.rooms)
        else:
            keys = {key for topic in topics for key in self._by_topic.get(topic, ())}
        for key in keys:
            self.request(key)

    def request(self, key: str) -> None:
        if key not in self.rooms:
            return
        pacing = self._pacing.setdefault(key, _Pacing())
        if pacing.running:
            pacing.again = True
            return
        pacing.running = True
        task = self.loop.create_task(self._run(key, pacing))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, key: str, pacing: _Pacing) -> None:
        try:
            while True:
                wait = pacing.last + self.gap - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                pacing.again = False
                pacing.last = time.monotonic()
                room = self.rooms[key]
                try:
                    if room.refresh is not None:
                        await room.refresh(self.app, room)
                    elif room.load is not None:
                        await write(self.app, room, await room.load())
                except Exception:  # noqa: BLE001 - the page reloads on the next change
                    log.exception("Could not refresh the room %s", key)
                if not room.tabs:
                    self._forget(room)  # nobody watches it here any more
                    return
                if not pacing.again:
                    return
        finally:
            pacing.running = False

    def _forget(self, room: Room) -> None:
        self.rooms.pop(room.key, None)
        for token, (_page, keys) in list(self._pages.items()):
            keys.discard(room.key)
            if not keys:
                self._pages.pop(token, None)
        self._pacing.pop(room.key, None)
        for topic in room.topics:
            keys = self._by_topic.get(topic, set())
            keys.discard(room.key)
            if not keys:
                self._by_topic.pop(topic, None)


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

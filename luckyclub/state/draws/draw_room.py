"""The live draw's room: one shared state per draw that every spectator of /live/<id> links to, and
the short reveal the server writes into it once the draw is made, so all see it at the same moment.

Whoever learns of the draw first starts the reveal: the `on_drawn` listener when this process drew
it, or a spectator's page that found it drawn in the database (drawn by `jobs run-due` from cron).
The room itself records that its reveal began, so it runs once however many start it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import reflex as rx

from luckyclub.core import routes
from luckyclub.core.db import session_scope
from luckyclub.platform import draw_public
from luckyclub.state.events import event, run_in_thread

log = logging.getLogger(__name__)

STEP_SECONDS = 1.0
MOST_DIGIT_STEPS = 4  # the winning number appears in at most this many writes


@dataclass
class RevealedWinner:
    position: int
    name: str
    ticket: str


class DrawRoom(rx.SharedState):
    """What every spectator of one draw sees of its reveal; small, as each write goes to all."""

    phase: str = ""  # "" (nothing yet), "drawing", "digits", "done"
    digits: str = ""  # the winning ticket number as revealed so far, e.g. "4 2 • •"
    outcome: str = ""  # "random", "override" or "void", once done
    reason: str = ""  # an override's or a void's
    winners: list[RevealedWinner] = []

    @event
    async def join(self):
        """Link this tab to its draw's room (the draw id comes from the page's address)."""
        draw_id = routes.id_from_path(self.router.url.path)
        if draw_id is not None:
            await self._link_to(room_token(draw_id))


def room_token(draw_id: int) -> str:
    return f"draw{draw_id}"  # shared-state tokens may not contain "_"


# The draw id of /draws/<id> or /live/<id>; the pages import it from here.


# ---- the writer ---------------------------------------------------------------------------------

_app: rx.App | None = None
_loop: asyncio.AbstractEventLoop | None = None
_started: set[int] = set()  # the draws whose reveal this process has started


@contextlib.asynccontextmanager
async def reveals_lifespan(app: rx.App) -> AsyncIterator[None]:
    """Lifespan task: remember the app and its loop, so other threads can start reveals."""
    global _app, _loop
    _app, _loop = app, asyncio.get_running_loop()
    try:
        yield
    finally:
        _app = _loop = None


def start_reveal(draw_id: int) -> bool:
    """Start the room's reveal of a made draw, from any thread; False when no app runs here.

    Registered with `draws.on_drawn`, so it runs in the thread that drew (scheduler or handler).
    """
    app, loop = _app, _loop
    if app is None or loop is None or loop.is_closed():
        return False
    if draw_id not in _started:
        _started.add(draw_id)
        asyncio.run_coroutine_threadsafe(_reveal_logged(app, draw_id), loop)
    return True


async def _reveal_logged(app: rx.App, draw_id: int) -> None:
    try:
        await reveal(app, draw_id)
    except Exception:  # noqa: BLE001 - spectators still get the result from the database
        log.exception("The live reveal of draw %s failed", draw_id)


def load_view(draw_id: int) -> draw_public.DrawView | None:
    with session_scope() as s:
        return draw_public.view(s, draw_id)


async def reveal(app: rx.App, draw_id: int, step_seconds: float = STEP_SECONDS) -> None:
    """Write the scripted reveal into the draw's room: drawing, the digits, then the winners."""
    view = await run_in_thread(lambda: load_view(draw_id))
    if view is None or view.status not in draw_public.REVEALED:
        return
    token = rx.BaseStateToken(ident=room_token(draw_id), cls=DrawRoom)
    async with app.modify_state(token) as root:
        room = await root.get_state(DrawRoom)
        if room.phase:
            return  # another trigger (or process) is revealing it already
        room.phase = "drawing"
    for digits in _digit_steps(view):
        await asyncio.sleep(step_seconds)
        async with app.modify_state(token) as root:
            room = await root.get_state(DrawRoom)
            room.phase, room.digits = "digits", digits
    await asyncio.sleep(step_seconds)
    async with app.modify_state(token) as root:
        room = await root.get_state(DrawRoom)
        room.phase = "done"
        room.outcome = view.outcome
        room.reason = view.reason
        room.winners = [
            RevealedWinner(position=w.position, name=w.name, ticket=w.ticket) for w in view.standing
        ]


def _digit_steps(view: draw_public.DrawView) -> list[str]:
    """The first winner's ticket number appearing from the left in a few steps ("4 2 • •")."""
    first = next((w for w in view.winners if w.ticket_number is not None), None)
    if first is None or view.is_override:
        return []
    digits = str(first.ticket_number).zfill(len(str(view.entry_count)))
    steps = min(len(digits), MOST_DIGIT_STEPS)
    shown = [round(len(digits) * (i + 1) / steps) for i in range(steps)]
    return [" ".join(digits[:n] + "•" * (len(digits) - n)) for n in shown]

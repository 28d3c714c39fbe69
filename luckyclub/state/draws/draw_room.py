"""The live draw's room: one shared state per draw that every spectator of /live/<id> links to. It
holds what the page shows — the draw's counts and status, then the short reveal — written once per
change for all spectators (a data room, see state/live.py).

The room follows the draw's topics (`draw:<id>` and its pool's, e.g. `competition:5`): when one is
announced, whoever drew it (a spectator's admin, `jobs run-due`, another worker), this process
reloads the draw and writes the room. A result the room has not shown yet is revealed step by step,
the same moment for everyone; a tab that arrives later sees the result at once; a reroll or a void
after the reveal is a new result, revealed again.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import reflex as rx

from luckyclub.core.db import session_scope
from luckyclub.platform import draw_public
from luckyclub.state import live
from luckyclub.state.draws.draw_views import DrawSummary, summary
from luckyclub.state.events import run_in_thread

STEP_SECONDS = 1.0
MOST_DIGIT_STEPS = 4  # the winning number appears in at most this many writes
STALE_REVEAL = 30.0  # seconds after which a reveal still under way lost its writer (a worker died)


@dataclass
class RevealedWinner:
    position: int
    name: str
    ticket: str


class DrawRoom(rx.SharedState):
    """What every spectator of one draw sees; small, as each write goes to all of them."""

    draw: DrawSummary = DrawSummary()  # the draw as it stands: counts, status, times
    phase: str = ""  # "" (before the result), "drawing", "digits", "done"
    digits: str = ""  # the winning ticket number as revealed so far, e.g. "4 2 • •"
    outcome: str = ""  # "random", "override" or "void", once done
    reason: str = ""  # an override's or a void's
    winners: list[RevealedWinner] = []
    result: str = ""  # the result shown or being revealed (result_key); another one is revealed
    revealing_at: float = 0.0  # when the reveal under way began (Unix seconds)


def room_token(draw_id: int) -> str:
    return live.room_token(f"draw:{draw_id}")


def room_key(draw_id: int) -> tuple[type, str]:
    return (DrawRoom, room_token(draw_id))


def load_view(draw_id: int) -> draw_public.DrawView | None:
    with session_scope() as s:
        return draw_public.view(s, draw_id)


def load_followed(draw_id: int) -> tuple[draw_public.DrawView, tuple[str, ...]] | None:
    """The draw as the page shows it, and the topics whose changes may change it."""
    with session_scope() as s:
        return draw_public.followed(s, draw_id)


def result_key(view: draw_public.DrawView) -> str:
    """What makes one result another: its outcome, reason and the winners still standing."""
    if view.status not in draw_public.REVEALED:
        return ""
    standing = ",".join(f"{w.position}:{w.ticket}:{w.name}" for w in view.standing)
    return f"{view.outcome}|{view.reason}|{standing}"


def _final(view: draw_public.DrawView) -> dict[str, object]:
    return {
        "phase": "done",
        "outcome": view.outcome,
        "reason": view.reason,
        "winners": [
            RevealedWinner(position=w.position, name=w.name, ticket=w.ticket) for w in view.standing
        ],
    }


async def open_room(room: DrawRoom, view: draw_public.DrawView, topics: tuple[str, ...]) -> None:
    """A tab linked to the room: fill a room nobody filled yet (a made draw shows its result at
    once), and have this process refresh it when one of the draw's topics changes. A reveal whose
    writer stopped halfway (its worker died) is finished here: the result shows at once."""
    stale = room.phase in ("drawing", "digits") and time.time() - room.revealing_at > STALE_REVEAL
    filled_before = bool(room.draw.id) and not stale
    if not filled_before:
        room.draw = summary(view)
        if result := result_key(view):
            room.result = result
            for name, value in _final(view).items():
                setattr(room, name, value)
    for topic in topics:
        live.join(topic, room_key(view.id), refresher(view.id))
    if filled_before:  # it may have missed what no one announces (a time passing): look again
        live.refresh_soon(room_key(view.id))


def refresher(draw_id: int) -> live.Refresh:
    async def refresh(app: rx.App) -> None:
        await refresh_room(app, draw_id)

    return refresh


async def refresh_room(app: rx.App, draw_id: int, step_seconds: float = STEP_SECONDS) -> None:
    """Reload the draw and write what changed; reveal a result the room has not shown yet."""
    view = await run_in_thread(lambda: load_view(draw_id))
    if view is None:
        return
    token = rx.BaseStateToken(ident=room_token(draw_id), cls=DrawRoom)
    key = result_key(view)
    async with app.modify_state(token) as root:
        room = await root.get_state(DrawRoom)
        if room.draw != (shown := summary(view)):
            room.draw = shown
        reveal = bool(key) and key != room.result
        if reveal:  # claimed here, under the room's lock: one reveal however many refresh it
            room.result, room.phase, room.digits = key, "drawing", ""
            room.revealing_at = time.time()
    if reveal:
        await _reveal(app, view, step_seconds)


async def _reveal(app: rx.App, view: draw_public.DrawView, step_seconds: float) -> None:
    """The scripted reveal after "drawing": the digits, then the winners."""
    token = room_token(view.id)
    for digits in _digit_steps(view):
        await asyncio.sleep(step_seconds)
        await live.write_room(app, DrawRoom, token, phase="digits", digits=digits)
    await asyncio.sleep(step_seconds)
    await live.write_room(app, DrawRoom, token, **_final(view))


def _digit_steps(view: draw_public.DrawView) -> list[str]:
    """The first winner's ticket number appearing from the left in a few steps ("4 2 • •")."""
    first = next((w for w in view.standing if w.ticket_number is not None), None)
    if first is None or view.outcome != "random":
        return []
    digits = str(first.ticket_number).zfill(len(str(view.entry_count)))
    steps = min(len(digits), MOST_DIGIT_STEPS)
    shown = [round(len(digits) * (i + 1) / steps) for i in range(steps)]
    return [" ".join(digits[:n] + "•" * (len(digits) - n)) for n in shown]

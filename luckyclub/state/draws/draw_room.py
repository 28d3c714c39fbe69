"""The live draw's room: the spectators of one draw in this process (state/live.py) and what they
see — the draw's counts and status, then the short reveal — loaded once per change and written to
every spectator's tab.

The room follows the draw's topics (`draw:<id>` and its pool's, e.g. `competition:5`): when one is
announced, whoever drew it (an admin, the scheduler, `jobs run-due`, another worker), this process
reloads the draw and writes its spectators. A result the room has not shown yet is revealed step
by step, the same moment for all of them (every worker with spectators hears the change at once and
reveals it to its own); a tab that arrives later sees the result at once, or joins the reveal
where it is; a reroll or a void after the reveal is a new result, revealed again.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import reflex as rx

from luckyclub.core.db import session_scope
from luckyclub.platform import draw_public
from luckyclub.state import live
from luckyclub.state.draws.draw_views import summary
from luckyclub.state.events import run_in_thread

STEP_SECONDS = 1.0
MOST_DIGIT_STEPS = 4  # the winning number appears in at most this many writes


@dataclass
class RevealedWinner:
    position: int
    name: str
    ticket: str


def room_key(draw_id: int) -> str:
    return f"draw:{draw_id}"


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


def _final(view: draw_public.DrawView) -> live.Values:
    return {
        "phase": "done",
        "digits": "",
        "outcome": view.outcome,
        "reason": view.reason,
        "winners": [
            RevealedWinner(position=w.position, name=w.name, ticket=w.ticket) for w in view.standing
        ],
    }


def open_room(state: rx.State, view: draw_public.DrawView, topics: tuple[str, ...]) -> live.Values:
    """Put a spectator's tab in the draw's room; what the tab shows now (a made draw's result at
    once, or the reveal where it is)."""
    fresh = live.Room(
        key=room_key(view.id),
        topics=frozenset(topics),
        state=type(state),
        refresh=_refresher(view.id),
    )
    room = live.join(state, fresh)
    if room is not fresh and room.shown:  # spectators watch it here already
        live.refresh_soon(room.key)  # it may have missed a time passing, announced by no one
        return dict(room.shown)
    shown: live.Values = {"draw": summary(view), "phase": ""}
    if result := result_key(view):
        room.memo["result"] = result
        shown |= _final(view)
    room.shown.update(shown)
    return shown


def _refresher(draw_id: int):
    async def refresh(app: rx.App, room: live.Room) -> None:
        await refresh_room(app, room, draw_id)

    return refresh


async def refresh_room(
    app: rx.App, room: live.Room, draw_id: int, step_seconds: float = STEP_SECONDS
) -> None:
    """Reload the draw and write what changed; reveal a result the room has not shown yet."""
    view = await run_in_thread(lambda: load_view(draw_id))
    if view is None:
        return
    result = result_key(view)
    if not result or result == room.memo.get("result"):
        await live.write(app, room, {"draw": summary(view)})
        return
    room.memo["result"] = result  # claimed: one reveal however many changes arrive meanwhile
    await live.write(app, room, {"draw": summary(view), "phase": "drawing", "digits": ""})
    for digits in _digit_steps(view):
        await asyncio.sleep(step_seconds)
        await live.write(app, room, {"phase": "digits", "digits": digits})
    await asyncio.sleep(step_seconds)
    await live.write(app, room, _final(view))


def _digit_steps(view: draw_public.DrawView) -> list[str]:
    """The first winner's ticket number appearing from the left in a few steps ("4 2 • •")."""
    first = next((w for w in view.standing if w.ticket_number is not None), None)
    if first is None or view.outcome != "random":
        return []
    digits = str(first.ticket_number).zfill(len(str(view.entry_count)))
    steps = min(len(digits), MOST_DIGIT_STEPS)
    shown = [round(len(digits) * (i + 1) / steps) for i in range(steps)]
    return [" ".join(digits[:n] + "•" * (len(digits) - n)) for n in shown]

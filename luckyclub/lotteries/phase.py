"""Where a list stands with its lottery, read from its draw: a first-come list has none; a lottery
list takes entries until its lottery time, is in progress from then until its draw is recorded,
and works first come, first served for what is left after that (it never runs again)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Session

from luckyclub.core.errors import UserError
from luckyclub.models import Draw, DrawStatus, ListStatus, SignupList, id_of, utcnow
from luckyclub.platform import draws

MODE = "lottery"  # the draw lifecycle's mode: a list's lottery is the pool ("lottery", list id)
IN_PROGRESS = "Lottery in progress. Please check back in a few minutes."


class LotteryPhase(StrEnum):
    FIRST_COME = "first_come"  # not a lottery list
    OPEN = "open"  # entries taken until the lottery time
    RUNNING = "running"  # the lottery time has passed and its result is not recorded yet
    DONE = "done"  # drawn (or void: nobody entered); first come, first served from now on


def draw_of(session: Session, signup_list: SignupList) -> Draw | None:
    """The lottery's draw (None for a first-come list)."""
    return draws.draw_of(session, MODE, id_of(signup_list)) if signup_list.is_lottery else None


def phase_of(
    session: Session, signup_list: SignupList, now: datetime | None = None
) -> LotteryPhase:
    if not signup_list.is_lottery:
        return LotteryPhase.FIRST_COME
    draw = draw_of(session, signup_list)
    if draw is None:  # a lottery list always has its draw from creation; be safe anyway
        return LotteryPhase.OPEN
    if draw.status in (DrawStatus.DRAWN, DrawStatus.VOID):
        return LotteryPhase.DONE
    if draw.status == DrawStatus.SCHEDULED and (
        signup_list.status != ListStatus.OPEN or (now or utcnow()) < draw.draw_at
    ):
        return LotteryPhase.OPEN  # a closed or stopped list's lottery waits until it reopens
    return LotteryPhase.RUNNING


def refuse_while_running(
    session: Session, signup_list: SignupList, now: datetime | None = None
) -> LotteryPhase:
    """Refuse any change to the list while its lottery runs (entering, removing, editing); the
    phase otherwise, for the caller's own checks."""
    phase = phase_of(session, signup_list, now)
    if phase == LotteryPhase.RUNNING:
        raise UserError(IN_PROGRESS)
    return phase


def sync_draw(session: Session, signup_list: SignupList) -> Draw | None:
    """Schedule a lottery list's draw at its creation (the commitment is public from then on) and
    carry edits of its title and time to it until it closes. None for a first-come list."""
    if not signup_list.is_lottery or signup_list.lottery_at is None:
        return None
    return draws.sync(
        session,
        MODE,
        id_of(signup_list),
        title=signup_list.title,
        prize=f"the spots on {signup_list.title}"[:200],
        winners_wanted=1,
        draw_at=signup_list.lottery_at,
        distinct_winners=True,
    )

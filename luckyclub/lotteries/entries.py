"""Entering a lottery list's draw: an account enters chosen family members for an element, and may
remove an entry, until the lottery time. From then on the entries are frozen (the lottery runs on
exactly them), so entering and removing are refused with a sentence that says why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from luckyclub.core.errors import UserError
from luckyclub.lotteries import phase
from luckyclub.lotteries.phase import LotteryPhase
from luckyclub.models import (
    Draw,
    FamilyMember,
    ListElement,
    ListStatus,
    LotteryEntry,
    SignupList,
    User,
    id_of,
    utcnow,
)
from luckyclub.platform import changes

HAS_RUN = "The lottery has run: sign up for what is left instead."
NOT_A_LOTTERY = "This list is first come, first served: sign up instead of entering."
CLOSED = "This list is closed: it takes no new entries."
STOPPED = "An admin stopped this list: it takes no entries."


def enter(
    session: Session,
    user: User,
    element_id: int,
    member_ids: list[int],
    now: datetime | None = None,
) -> list[LotteryEntry]:
    """Enter the account's chosen family members in the lottery for one element (each member once
    per element), while the list takes entries."""
    element = session.get(ListElement, element_id)
    if element is None:
        raise UserError("That event or item no longer exists.")
    signup_list = _entered_list(session, element.list_id)
    chosen = sorted(set(member_ids))
    if not chosen:
        raise UserError("Choose who to enter: at least one family member.")
    members = session.exec(
        select(FamilyMember).where(
            col(FamilyMember.id).in_(chosen), FamilyMember.user_id == id_of(user)
        )
    ).all()
    if len(members) != len(chosen):
        raise UserError("You can only enter members of your own family.")
    held = session.exec(
        select(func.count())
        .select_from(LotteryEntry)
        .where(LotteryEntry.element_id == element_id, LotteryEntry.user_id == id_of(user))
    ).one()
    if held + len(chosen) > element.spots:
        raise UserError(
            f"{element.name} has {element.spots} spot{'s' if element.spots != 1 else ''}: "
            "enter at most that many of your family for it."
        )
    entries = [
        LotteryEntry(
            list_id=id_of(signup_list),
            element_id=element_id,
            family_member_id=id_of(member),
            user_id=id_of(user),
        )
        for member in members
    ]
    session.add_all(entries)
    try:
        session.flush()
    except IntegrityError:  # the caller's unit of work rolls back on the error
        raise UserError(
            "One of them is entered for this already: each family member enters once."
        ) from None
    # Checked after the write: a lottery that began meanwhile refuses it (see _takes_entries).
    _takes_entries(session, signup_list, now)
    _announce(session, signup_list, user)
    return entries


def remove(session: Session, user: User, entry_id: int, now: datetime | None = None) -> None:
    """Take one of the account's entries out of the lottery before it runs."""
    entry = session.get(LotteryEntry, entry_id)
    if entry is None or entry.user_id != id_of(user):
        raise UserError("That entry is not yours, or it was removed already.")
    signup_list = _entered_list(session, entry.list_id, closed_ok=True)
    session.delete(entry)
    session.flush()
    _takes_entries(session, signup_list, now)
    _announce(session, signup_list, user)


def _entered_list(session: Session, list_id: int, *, closed_ok: bool = False) -> SignupList:
    signup_list = session.get(SignupList, list_id)
    if signup_list is None:
        raise UserError("That list no longer exists.")
    if not signup_list.is_lottery:
        raise UserError(NOT_A_LOTTERY)
    if signup_list.status == ListStatus.STOPPED:
        raise UserError(STOPPED)
    if signup_list.status == ListStatus.CLOSED and not closed_ok:
        raise UserError(CLOSED)
    return signup_list


def _takes_entries(session: Session, signup_list: SignupList, now: datetime | None) -> None:
    """Refuse unless the lottery still takes entries, read after this unit of work has written.

    The draw's row is read FOR SHARE: on PostgreSQL a lottery closing at this moment either
    closed before (we see it and refuse) or waits for this transaction, and its snapshot then
    holds what we wrote. On SQLite the write above already holds the database's one write lock,
    so the close cannot slip in between either."""
    session.exec(
        select(Draw)
        .where(Draw.mode == phase.MODE, Draw.source_id == id_of(signup_list))
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    ).first()
    current = phase.phase_of(session, signup_list, now or utcnow())
    if current == LotteryPhase.RUNNING:
        raise UserError(phase.IN_PROGRESS)
    if current == LotteryPhase.DONE:
        raise UserError(HAS_RUN)


def _announce(session: Session, signup_list: SignupList, user: User) -> None:
    changes.announce(session, changes.signup_list(id_of(signup_list)), changes.member(id_of(user)))

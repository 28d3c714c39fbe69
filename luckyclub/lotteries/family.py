"""Family members: the people an account signs up on lists and enters in lotteries — the account
holder (created on first use, named by their display name) and anyone in their care."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.models import (
    FamilyMember,
    LotteryEntry,
    Signup,
    User,
    WaitlistEntry,
    id_of,
    utcnow,
)
from luckyclub.platform import changes

MAX_MEMBERS = 20  # people on one account
MAX_NAME = 80


def members_of(session: Session, user: User) -> list[FamilyMember]:
    """The account's family members, the account holder first (made on first use)."""
    _signed_in(user)
    if _self_of(session, user) is None:
        _add_self(session, user)
    rows = session.exec(
        select(FamilyMember)
        .where(FamilyMember.user_id == id_of(user))
        .order_by(
            col(FamilyMember.is_self).desc(), func.lower(FamilyMember.name), col(FamilyMember.id)
        )
    ).all()
    return list(rows)


def member_of(session: Session, user: User, member_id: int) -> FamilyMember:
    """One of the account's own family members; anyone else's is refused."""
    _signed_in(user)
    member = session.get(FamilyMember, member_id) if member_id else None
    if member is None or member.user_id != user.id:
        raise UserError("Choose one of your own family members.", field="member_id")
    return member


def add(session: Session, user: User, name: str) -> FamilyMember:
    members = members_of(session, user)
    if len(members) >= MAX_MEMBERS:
        raise UserError(
            f"An account can have up to {MAX_MEMBERS} family members: remove one you no longer "
            "sign up first."
        )
    name = _checked_name(session, user, name)
    member = FamilyMember(user_id=id_of(user), name=name)
    try:
        with session.begin_nested():
            session.add(member)
    except IntegrityError:  # the same name, added a moment ago in another tab
        raise UserError(_taken(name), field="name") from None
    changes.announce(session, changes.member(id_of(user)))
    return member


def rename(session: Session, user: User, member_id: int, name: str) -> FamilyMember:
    member = member_of(session, user, member_id)
    name = _checked_name(session, user, name, member_id=member_id)
    if name == member.name:
        return member
    member.name = name
    try:
        with session.begin_nested():
            session.add(member)
    except IntegrityError:
        raise UserError(_taken(name), field="name") from None
    # The name shows on every list they are on.
    changes.announce(
        session,
        changes.member(id_of(user)),
        *(changes.signup_list(list_id) for list_id in _lists_of(session, member_id)),
    )
    return member


def remove(
    session: Session, user: User, member_id: int, now: datetime | None = None
) -> FamilyMember:
    """Take someone off the account: their signups, waitlist places and lottery entries go with
    them, quietly (no emails); the spots they held are offered to the next person on each
    waitlist."""
    from luckyclub.lotteries import lists, phase, signups  # they use this module

    now = now or utcnow()
    member = member_of(session, user, member_id)
    if member.is_self:
        raise UserError(
            "You cannot remove yourself: you are the account holder. Rename yourself instead."
        )
    list_ids = sorted(_lists_of(session, member_id))
    # Lock every list they are on, in id order (as every other writer does), before they go.
    touched = [lists.lock_list(session, list_id) for list_id in list_ids]
    for signup_list in touched:
        phase.refuse_while_running(session, signup_list, now)
    freed = session.exec(
        select(Signup.element_id).where(Signup.family_member_id == member_id)
    ).all()
    session.delete(member)
    session.flush()  # the database's cascade removes their signups, places and entries
    for element_id in sorted(set(freed)):
        signups.offer_next(session, element_id, now)
    changes.announce(
        session,
        changes.member(id_of(user)),
        *(changes.signup_list(list_id) for list_id in list_ids),
    )
    return member


def _signed_in(user: User | None) -> User:
    if user is None or user.banned_at is not None:
        raise NotAllowed("Sign in to manage your family members.")
    return user


def _self_of(session: Session, user: User) -> FamilyMember | None:
    return session.exec(
        select(FamilyMember).where(
            FamilyMember.user_id == id_of(user), col(FamilyMember.is_self).is_(True)
        )
    ).first()


def _add_self(session: Session, user: User) -> FamilyMember:
    """The account holder as a family member, named by their display name (or, if someone on the
    account already has that name, "<name> (me)")."""
    for name in (user.display_name, f"{user.display_name} (me)"):
        try:
            with session.begin_nested():
                member = FamilyMember(user_id=id_of(user), name=name[:MAX_NAME], is_self=True)
                session.add(member)
            return member
        except IntegrityError:
            if (made := _self_of(session, user)) is not None:  # another tab, a moment ago
                return made
    raise UserError("Your family members could not be set up just now; try again.")


def _checked_name(session: Session, user: User, name: str, *, member_id: int | None = None) -> str:
    name = " ".join((name or "").split())
    if not 1 <= len(name) <= MAX_NAME:
        raise UserError(f"Give a name of 1 to {MAX_NAME} characters.", field="name")
    same = session.exec(
        select(FamilyMember.id).where(
            FamilyMember.user_id == id_of(user), func.lower(FamilyMember.name) == name.lower()
        )
    ).all()
    if any(other != member_id for other in same):
        raise UserError(_taken(name), field="name")
    return name


def _taken(name: str) -> str:
    return f"You already have a family member called {name}: give each a different name."


def _lists_of(session: Session, member_id: int) -> set[int]:
    """The lists a family member is on: signed up, on a waitlist or entered in the lottery."""
    found: set[int] = set()
    for table in (Signup, WaitlistEntry, LotteryEntry):
        found.update(
            session.exec(
                select(table.list_id).where(table.family_member_id == member_id).distinct()
            ).all()
        )
    return found

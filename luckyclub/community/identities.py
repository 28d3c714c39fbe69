"""Kick identities: a viewer's LuckyClub account linked to one Kick account, keyed by Kick's
immutable user id (a rename follows the id). One Kick id per account and one account per id.
Linking releases the tickets the id earned while unlinked in the current period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from luckyclub.community import periods, tickets
from luckyclub.core import db
from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.models import Community, HeldTicket, KickIdentity, Raffle, User, id_of, utcnow
from luckyclub.platform import changes


@dataclass(frozen=True)
class Linked:
    """A link made (or confirmed): the Kick id, its name, and the held tickets it released."""

    kick_user_id: int
    username: str
    released: int


def link_kick(
    session: Session, user: User, kick_user_id: int, username: str, now: datetime | None = None
) -> Linked:
    """Link the signed-in viewer's account to the Kick account Kick's OAuth answered with. Linking
    again the same pair is harmless (the name is refreshed); another account's id, or a second id
    for this account, is refused as a sentence."""
    if user.banned_at is not None:
        raise NotAllowed("This account is suspended, so it cannot link Kick.")
    if kick_user_id <= 0:
        raise ValueError("Kick user ids are positive")
    now = now or utcnow()
    identity = tickets.lock_identity(session, kick_user_id, username, now)
    if identity.user_id is not None and identity.user_id != user.id:
        raise UserError(
            "That Kick account is linked to another LuckyClub account. If it is yours, ask a "
            "moderator to move it."
        )
    other = kick_of(session, id_of(user))
    if other is not None and other.kick_user_id != kick_user_id:
        raise UserError(
            f"Your account is linked to the Kick account {other.username or other.kick_user_id} "
            "already: one Kick account per LuckyClub account."
        )
    if identity.user_id is None:
        identity.user_id, identity.linked_at = user.id, now
        session.add(identity)
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError:  # this account linked another id at the same moment
            raise UserError(
                "Your account was linked to another Kick account a moment ago; reload."
            ) from None
    released = 0
    for community, period in _periods_holding(session, kick_user_id, now):
        released += tickets.release_held(session, identity, period, now)
        changes.announce(session, changes.community(id_of(community)))
    changes.announce(session, changes.member(id_of(user)))
    return Linked(kick_user_id, identity.username, released)


def _periods_holding(
    session: Session, kick_user_id: int, now: datetime
) -> list[tuple[Community, Raffle]]:
    """The open periods of `now`'s month in which the id has tickets held."""
    rows = session.exec(
        select(Community, Raffle)
        .join(Raffle, col(Raffle.program_id) == col(Community.program_id))
        .where(
            col(Raffle.id).in_(
                select(HeldTicket.raffle_id).where(
                    HeldTicket.kick_user_id == kick_user_id, col(HeldTicket.released_at).is_(None)
                )
            )
        )
    ).all()
    return [
        (community, period)
        for community, period in rows
        if period.id == periods.period_of(session, community, now).id
        and periods.is_open(period, now)
    ]


def seen(session: Session, kick_user_id: int, username: str, now: datetime | None = None) -> None:
    """Kick told us an id's current name (a chat message, the OAuth answer): it follows the id."""
    tickets.lock_identity(session, kick_user_id, username, now)


def kick_of(session: Session, user_id: int) -> KickIdentity | None:
    """The Kick account linked to this LuckyClub account, if any."""
    return session.exec(select(KickIdentity).where(KickIdentity.user_id == user_id)).first()


def account_of(session: Session, kick_user_id: int) -> int | None:
    """The LuckyClub account linked to this Kick id, if any."""
    return session.exec(
        select(KickIdentity.user_id).where(KickIdentity.kick_user_id == kick_user_id)
    ).first()


def account_named(session: Session, username: str) -> int | None:
    """The LuckyClub account linked to the Kick account with this name (as Kick last gave it,
    any case), if any."""
    key = username.strip().lstrip("@").lower()
    if not key:
        return None
    return session.exec(
        select(KickIdentity.user_id).where(
            func.lower(KickIdentity.username) == key, col(KickIdentity.user_id).is_not(None)
        )
    ).first()


def identity(session: Session, kick_user_id: int) -> KickIdentity | None:
    return session.exec(
        select(KickIdentity).where(KickIdentity.kick_user_id == kick_user_id)
    ).first()


def unlink_kick(session: Session, user: User, now: datetime | None = None) -> None:
    """The viewer unlinks their Kick account: tickets already credited stay theirs; from now on
    the id's tickets are held again until an account links it."""
    found = kick_of(session, id_of(user))
    if found is None:
        raise UserError("Your account is not linked to Kick.")
    locked = db.get_existing(session, KickIdentity, id_of(found), for_update=True)
    locked.user_id, locked.linked_at, locked.updated_at = None, None, now or utcnow()
    session.add(locked)
    changes.announce(session, changes.member(id_of(user)))

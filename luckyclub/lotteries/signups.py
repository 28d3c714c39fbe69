"""Signups on a list: first come, first served while spots remain, waitlists, and offers — a
pending signup to accept within 24 hours (a lottery win or a freed spot offered from the waitlist).

A spot is taken by a confirmed or a pending signup; the per-member limit counts both across the
whole list. Every change locks the list's row first (lists.lock_list), so two people racing for
the last spot, or one family member signed up in two tabs at once, can never oversell a spot or
pass a limit.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from luckyclub.core import routes
from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.core.settings import get_settings
from luckyclub.core.words import when_in_full
from luckyclub.lotteries import emails, family, lists, phase  # noqa: F401 - emails: its templates
from luckyclub.lotteries import my_signups as mine
from luckyclub.models import (
    FamilyMember,
    ListElement,
    ListStatus,
    Signup,
    SignupList,
    SignupSource,
    SignupStatus,
    User,
    WaitlistEntry,
    id_of,
    utcnow,
)
from luckyclub.platform import audit, changes, notify

OFFER_FOR = timedelta(hours=24)  # how long a pending signup waits for its Accept
OFFER_GONE = "This offer has ended: it was accepted, declined, or it expired."
SIGNUP_GONE = "That signup is no longer on the list."
PLACE_GONE = "That waitlist place is no longer there."


def new_token() -> str:
    """The secret in an offer's Accept/Decline link (its email and My Signups)."""
    return secrets.token_urlsafe(24)


# ---- counting ----------------------------------------------------------------------------------


def taken(session: Session, element_id: int) -> int:
    """Spots of the element taken: confirmed and pending signups."""
    return session.exec(
        select(func.count()).select_from(Signup).where(Signup.element_id == element_id)
    ).one()


def held(session: Session, list_id: int, family_member_id: int) -> int:
    """Spots a family member holds on the list, confirmed and pending: what its limit counts."""
    return session.exec(
        select(func.count())
        .select_from(Signup)
        .where(Signup.list_id == list_id, Signup.family_member_id == family_member_id)
    ).one()


def at_limit(session: Session, signup_list: SignupList, family_member_id: int) -> bool:
    limit = signup_list.per_member_limit
    return limit is not None and held(session, id_of(signup_list), family_member_id) >= limit


# ---- first come, first served ------------------------------------------------------------------


def sign_up(
    session: Session, user: User, element_id: int, member_id: int, now: datetime | None = None
) -> Signup:
    """Take a spot for one of the account's family members while spots remain and the list's
    limit allows."""
    now = now or utcnow()
    user = _signed_in(user)
    member = family.member_of(session, user, member_id)
    element, signup_list = _locked_element(session, element_id)
    _check_takes_signups(session, signup_list, now)
    label = lists.element_label(signup_list, element)
    if _signup_of(session, element_id, member_id) is not None:
        raise UserError(f"{member.name} is already signed up for {label}.")
    if taken(session, element_id) >= element.spots:
        if signup_list.waitlist:
            raise UserError(f"{label} is full: join its waitlist instead.")
        raise UserError(f"{label} is full.")
    _check_limit(session, signup_list, member)
    signup = Signup(
        list_id=id_of(signup_list),
        element_id=element_id,
        family_member_id=member_id,
        user_id=id_of(user),
        source=SignupSource.DIRECT,
        status=SignupStatus.CONFIRMED,
        created_at=now,
        confirmed_at=now,
    )
    session.add(signup)
    _drop_place(session, element_id, member_id)  # a spot opened to everyone: they took it
    session.flush()
    changes.announce(session, changes.signup_list(id_of(signup_list)), changes.member(id_of(user)))
    return signup


def cancel(session: Session, user: User, signup_id: int, now: datetime | None = None) -> None:
    """Give up a spot (confirmed or offered): it goes to the next person on the waitlist."""
    now = now or utcnow()
    user = _signed_in(user)
    signup = _own(session, user, Signup, signup_id, SIGNUP_GONE, "That signup is not yours.")
    signup_list = lists.lock_list(session, signup.list_id)
    signup = _fresh(session, Signup, signup_id, SIGNUP_GONE)
    phase.refuse_while_running(session, signup_list, now)
    _free(session, signup, now)
    changes.announce(session, changes.signup_list(signup.list_id), changes.member(id_of(user)))


# ---- waitlists ---------------------------------------------------------------------------------


def join_waitlist(
    session: Session, user: User, element_id: int, member_id: int, now: datetime | None = None
) -> WaitlistEntry:
    """Queue a family member for a full element of a list that has a waitlist."""
    now = now or utcnow()
    user = _signed_in(user)
    member = family.member_of(session, user, member_id)
    element, signup_list = _locked_element(session, element_id)
    _check_takes_signups(session, signup_list, now)
    label = lists.element_label(signup_list, element)
    if not signup_list.waitlist:
        raise UserError("This list has no waitlist.")
    if _signup_of(session, element_id, member_id) is not None:
        raise UserError(f"{member.name} already has a spot on {label}.")
    if _place_of(session, element_id, member_id) is not None:
        raise UserError(f"{member.name} is on the waitlist for {label} already.")
    if taken(session, element_id) < element.spots:
        raise UserError(f"{label} has a free spot: sign up instead.")
    place = WaitlistEntry(
        list_id=id_of(signup_list),
        element_id=element_id,
        family_member_id=member_id,
        user_id=id_of(user),
        position=next_position(session, element_id),
        created_at=now,
    )
    session.add(place)
    session.flush()
    changes.announce(session, changes.signup_list(id_of(signup_list)), changes.member(id_of(user)))
    return place


def leave_waitlist(
    session: Session, user: User, place_id: int, now: datetime | None = None
) -> None:
    now = now or utcnow()
    user = _signed_in(user)
    place = _own(session, user, WaitlistEntry, place_id, PLACE_GONE, "That place is not yours.")
    signup_list = lists.lock_list(session, place.list_id)
    place = _fresh(session, WaitlistEntry, place_id, PLACE_GONE)
    phase.refuse_while_running(session, signup_list, now)
    session.delete(place)
    session.flush()
    changes.announce(session, changes.signup_list(place.list_id), changes.member(id_of(user)))


def next_position(session: Session, element_id: int) -> int:
    """The position after the element's last waitlist place (the lottery appends after it too)."""
    last = session.exec(
        select(func.max(WaitlistEntry.position)).where(WaitlistEntry.element_id == element_id)
    ).one()
    return (last or 0) + 1


def positions(session: Session, element_id: int) -> dict[int, int]:
    """Each waitlist place's position as people read it (1 is next), by place id."""
    ids = session.exec(
        select(WaitlistEntry.id)
        .where(WaitlistEntry.element_id == element_id)
        .order_by(col(WaitlistEntry.position), col(WaitlistEntry.id))
    ).all()
    return {place_id: n for n, place_id in enumerate(ids, start=1) if place_id is not None}


# ---- offers ------------------------------------------------------------------------------------


def offer(
    session: Session,
    element: ListElement,
    member: FamilyMember,
    *,
    source: str,
    now: datetime,
) -> Signup:
    """A pending signup for `member` that they accept within OFFER_FOR, emailed to their account
    with its link; their waitlist place for the element goes (they hold the offer instead). The
    caller holds the list's lock and has checked the spot and the limit."""
    element_id, member_id = id_of(element), id_of(member)
    signup_list = lists.get_list(session, element.list_id)
    token = new_token()
    signup = Signup(
        list_id=element.list_id,
        element_id=element_id,
        family_member_id=member_id,
        user_id=member.user_id,
        source=source,
        status=SignupStatus.PENDING,
        expires_at=now + OFFER_FOR,
        accept_token=token,
        created_at=now,
    )
    session.add(signup)
    _drop_place(session, element_id, member_id)
    session.flush()
    account = session.get(User, member.user_id)
    if account is not None:
        notify.notify(
            session,
            account,
            notify.SPOT_OFFERED,
            unique_id=f"spot-offered-{id_of(signup)}-{_digest(token)}",
            email="spot_offered",
            list_title=signup_list.title,
            element=lists.element_label(signup_list, element),
            member=member.name,
            deadline=when_in_full(signup.expires_at, account.timezone),
            link=get_settings().app_url + routes.offer_page(token),
        )
    changes.announce(session, changes.signup_list(element.list_id), changes.member(member.user_id))
    return signup


def offer_next(session: Session, element_id: int, now: datetime | None = None) -> list[Signup]:
    """Offer the element's free spots to the waitlist, in order: people whose family member is at
    the list's limit are skipped and keep their place. With no one left (or no waitlist) a spot
    simply opens to everyone. Nothing is offered on a closed or stopped list, nor before its
    lottery has run. Returns the offers made."""
    now = now or utcnow()
    element = session.get(ListElement, element_id)
    if element is None:
        return []
    signup_list = lists.lock_list(session, element.list_id)
    if signup_list.status != ListStatus.OPEN or not signup_list.waitlist:
        return []
    if phase.phase_of(session, signup_list, now) not in (
        phase.LotteryPhase.FIRST_COME,
        phase.LotteryPhase.DONE,
    ):
        return []
    free = element.spots - taken(session, element_id)
    offers: list[Signup] = []
    if free <= 0:
        return offers
    queue = session.exec(
        select(WaitlistEntry, FamilyMember)
        .join(FamilyMember, col(FamilyMember.id) == col(WaitlistEntry.family_member_id))
        .where(WaitlistEntry.element_id == element_id)
        .order_by(col(WaitlistEntry.position), col(WaitlistEntry.id))
    ).all()
    for _place, member in queue:
        if len(offers) == free:
            break
        if at_limit(session, signup_list, id_of(member)):
            continue  # skipped: they keep their place for when they are under it again
        if _signup_of(session, element_id, id_of(member)) is not None:
            continue
        offers.append(offer(session, element, member, source=SignupSource.WAITLIST, now=now))
    changes.announce(session, changes.signup_list(element.list_id))
    return offers


def accept(session: Session, user: User, token: str, now: datetime | None = None) -> Signup:
    """Take an offered spot: the signed-in account it was offered to, before its deadline."""
    now = now or utcnow()
    signup, signup_list = _live_offer(session, user, token, now)
    if signup_list.status == ListStatus.STOPPED:
        raise UserError(lists.stopped_words(signup_list))
    signup.status = SignupStatus.CONFIRMED
    signup.confirmed_at = now
    signup.expires_at = None
    signup.accept_token = None
    session.add(signup)
    session.flush()
    changes.announce(session, changes.signup_list(signup.list_id), changes.member(signup.user_id))
    return signup


def decline(session: Session, user: User, token: str, now: datetime | None = None) -> None:
    """Turn an offered spot down: it goes to the next person on the waitlist at once."""
    now = now or utcnow()
    signup, _list = _live_offer(session, user, token, now)
    _free(session, signup, now)
    changes.announce(session, changes.signup_list(signup.list_id), changes.member(signup.user_id))


def expire_offers(session: Session, now: datetime | None = None) -> int:
    """The `offers` job: every offer past its deadline is withdrawn (its holder is emailed) and
    its spot offered to the next person. Each list is claimed with FOR UPDATE SKIP LOCKED on
    PostgreSQL (SQLite lets one writer in at a time) and each offer removed by a conditional
    DELETE, so two runners at once expire every offer once. Returns how many expired."""
    now = now or utcnow()
    due_lists = session.exec(
        select(Signup.list_id)
        .where(Signup.status == SignupStatus.PENDING, col(Signup.expires_at) <= now)
        .distinct()
        .order_by(col(Signup.list_id))
    ).all()
    expired = 0
    for list_id in due_lists:  # in id order, as every unit of work locks several lists
        claimed = session.exec(
            select(SignupList.id).where(SignupList.id == list_id).with_for_update(skip_locked=True)
        ).first()
        if claimed is None:
            continue  # another runner is expiring this list's offers right now
        due = session.exec(
            select(Signup)
            .where(
                Signup.list_id == list_id,
                Signup.status == SignupStatus.PENDING,
                col(Signup.expires_at) <= now,
            )
            .order_by(col(Signup.id))
            .execution_options(populate_existing=True)
        ).all()
        for signup in due:
            gone = session.exec(
                delete(Signup).where(
                    col(Signup.id) == signup.id, col(Signup.status) == SignupStatus.PENDING
                )
            ).rowcount
            session.expunge(signup)
            if gone != 1:
                continue
            expired += 1
            _tell_expired(session, signup)
            offer_next(session, signup.element_id, now)
            changes.announce(session, changes.signup_list(list_id), changes.member(signup.user_id))
    return expired


# ---- an editor removes a signup ----------------------------------------------------------------


def remove_by_editor(
    session: Session, editor: User, signup_id: int, reason: str, now: datetime | None = None
) -> None:
    """A list's creator, editor or an admin takes a signup off it: the person is emailed with the
    reason, and the spot goes to the next person on the waitlist."""
    now = now or utcnow()
    signup = session.get(Signup, signup_id) if signup_id else None
    if signup is None:
        raise UserError(SIGNUP_GONE)
    signup_list, editor = lists.editable(session, editor, signup.list_id, now)
    reason = audit.checked_reason(reason, shown="it is emailed to them")
    signup = _fresh(session, Signup, signup_id, SIGNUP_GONE)
    _free(session, signup, now)
    _tell_removed(session, editor, signup_list, signup, reason, now, what="signup")


def remove_place_by_editor(
    session: Session, editor: User, place_id: int, reason: str, now: datetime | None = None
) -> None:
    """A list's creator, editor or an admin takes someone off an element's waitlist: the person
    is emailed with the reason; everyone after them moves up a place."""
    now = now or utcnow()
    place = session.get(WaitlistEntry, place_id) if place_id else None
    if place is None:
        raise UserError(PLACE_GONE)
    signup_list, editor = lists.editable(session, editor, place.list_id, now)
    reason = audit.checked_reason(reason, shown="it is emailed to them")
    place = _fresh(session, WaitlistEntry, place_id, PLACE_GONE)
    session.delete(place)
    session.flush()
    _tell_removed(session, editor, signup_list, place, reason, now, what="place on the waitlist")


def _tell_removed(
    session: Session,
    editor: User,
    signup_list: SignupList,
    held: Signup | WaitlistEntry,
    reason: str,
    now: datetime,
    *,
    what: str,
) -> None:
    """Email the person an editor took off the list, audit it and announce it."""
    element = session.get(ListElement, held.element_id)
    member = session.get(FamilyMember, held.family_member_id)
    account = session.get(User, held.user_id)
    label = lists.element_label(signup_list, element) if element else ""
    name = member.name if member else "someone"
    kind = "signup" if isinstance(held, Signup) else "place"
    if account is not None:
        notify.notify(
            session,
            account,
            notify.SIGNUP_REMOVED,
            unique_id=f"{kind}-removed-{held.id}-{int(now.timestamp())}",
            email="signup_removed",
            list_title=signup_list.title,
            element=label,
            member=name,
            reason=reason,
            link=get_settings().app_url + routes.list_page(held.list_id),
            what=what,
        )
    audit.record(
        session,
        editor,
        f"{kind}.remove",
        "signup_list",
        held.list_id,
        f"{name} from {label}: {reason}",
    )
    changes.announce(session, changes.signup_list(held.list_id), changes.member(held.user_id))


# ---- what the pages show (built in lotteries/views.py) -----------------------------------------


def my_signups(session: Session, user: User, now: datetime | None = None) -> mine.MySignups:
    return mine.my_signups(session, user, now)


def offer_view(
    session: Session, token: str, viewer: User | None, now: datetime | None = None
) -> mine.OfferView | None:
    return mine.offer_view(session, token, viewer, now)


# ---- helpers -----------------------------------------------------------------------------------


def _signed_in(user: User | None) -> User:
    if user is None or user.banned_at is not None:
        raise NotAllowed("Sign in to sign up.")
    return user


def _locked_element(session: Session, element_id: int) -> tuple[ListElement, SignupList]:
    element = session.get(ListElement, element_id) if element_id else None
    if element is None:
        raise UserError("That event or item is no longer on the list.")
    signup_list = lists.lock_list(session, element.list_id)
    return _fresh(
        session, ListElement, element_id, "That event or item is no longer on the list."
    ), signup_list


def _check_takes_signups(session: Session, signup_list: SignupList, now: datetime) -> None:
    if signup_list.status == ListStatus.STOPPED:
        raise UserError(lists.stopped_words(signup_list))
    if signup_list.status == ListStatus.CLOSED:
        raise UserError("This list is closed: it takes no new signups.")
    if phase.refuse_while_running(session, signup_list, now) == phase.LotteryPhase.OPEN:
        moment = when_in_full(signup_list.lottery_at, signup_list.timezone)
        raise UserError(
            f"This list's spots are drawn by lottery on {moment}: enter the lottery instead."
        )


def _check_limit(session: Session, signup_list: SignupList, member: FamilyMember) -> None:
    limit = signup_list.per_member_limit
    if limit is not None and held(session, id_of(signup_list), id_of(member)) >= limit:
        spots = "1 spot" if limit == 1 else f"{limit} spots"
        raise UserError(f"{member.name} already holds {spots} on this list, its limit per person.")


def _signup_of(session: Session, element_id: int, member_id: int) -> Signup | None:
    return session.exec(
        select(Signup).where(Signup.element_id == element_id, Signup.family_member_id == member_id)
    ).first()


def _place_of(session: Session, element_id: int, member_id: int) -> WaitlistEntry | None:
    return session.exec(
        select(WaitlistEntry).where(
            WaitlistEntry.element_id == element_id, WaitlistEntry.family_member_id == member_id
        )
    ).first()


def _drop_place(session: Session, element_id: int, member_id: int) -> None:
    session.exec(
        delete(WaitlistEntry).where(
            col(WaitlistEntry.element_id) == element_id,
            col(WaitlistEntry.family_member_id) == member_id,
        )
    )


def _own(session: Session, user: User, table, row_id: int, gone: str, theirs: str):
    row = session.get(table, row_id) if row_id else None
    if row is None:
        raise UserError(gone)
    if row.user_id != user.id:
        raise NotAllowed(theirs)
    return row


def _fresh(session: Session, table, row_id: int, gone: str):
    """The row read again under the list's lock (it may have gone meanwhile)."""
    row = session.exec(
        select(table).where(table.id == row_id).execution_options(populate_existing=True)
    ).first()
    if row is None:
        raise UserError(gone)
    return row


def _free(session: Session, signup: Signup, now: datetime) -> None:
    """Remove a signup and offer its spot on (the caller holds the list's lock)."""
    session.delete(signup)
    session.flush()
    offer_next(session, signup.element_id, now)


def _live_offer(
    session: Session, user: User | None, token: str, now: datetime
) -> tuple[Signup, SignupList]:
    user = _signed_in(user)
    found = (
        session.exec(select(Signup).where(Signup.accept_token == token)).first() if token else None
    )
    if found is None:
        raise UserError(OFFER_GONE)
    if found.user_id != user.id:
        raise NotAllowed(
            "This offer was made to another account: sign in with the account it was emailed to."
        )
    signup_list = lists.lock_list(session, found.list_id)
    signup = _fresh(session, Signup, id_of(found), OFFER_GONE)
    if signup.status != SignupStatus.PENDING or signup.accept_token != token:
        raise UserError(OFFER_GONE)
    phase.refuse_while_running(session, signup_list, now)
    if signup.expires_at is not None and signup.expires_at <= now:
        raise UserError(
            f"This offer expired on {when_in_full(signup.expires_at, user.timezone)}: the spot "
            "goes to the next person."
        )
    return signup, signup_list


def _tell_expired(session: Session, signup: Signup) -> None:
    account = session.get(User, signup.user_id)
    element = session.get(ListElement, signup.element_id)
    member = session.get(FamilyMember, signup.family_member_id)
    signup_list = session.get(SignupList, signup.list_id)
    if account is None or element is None or member is None or signup_list is None:
        return
    notify.notify(
        session,
        account,
        notify.OFFER_EXPIRED,
        unique_id=f"offer-expired-{signup.id}-{_digest(signup.accept_token or '')}",
        email="offer_expired",
        list_title=signup_list.title,
        element=lists.element_label(signup_list, element),
        member=member.name,
        link=get_settings().app_url + routes.list_page(signup.list_id),
    )


def _digest(token: str) -> str:
    """A short fingerprint of an offer's token: offers get distinct notification ids even when
    SQLite gives a deleted offer's id to the next one, and the token itself stays out of them."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]

"""Signup lists: making and editing them (their elements, options, lottery time and extra
editors), who may, and the order and names of their elements that pages, emails and the lottery
share. What the forms send is checked in lotteries/forms.py; what pages show of a list is built in
lotteries/views.py.

Every unit of work that changes a list's signups, waitlists or spots locks the list's row first
(`lock_list`): spots are counted per element but the per-member limit across the whole list, so
the list is the one thing to hold while either is checked. Several lists are locked in id order.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import delete as sql_delete
from sqlalchemy import func
from sqlmodel import Session, col, select

from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.core.words import count, when_in_full
from luckyclub.lotteries import forms, phase, views
from luckyclub.lotteries.forms import LOTTERY_TOO_SOON as LOTTERY_TOO_SOON  # lists.<name> too
from luckyclub.lotteries.forms import ElementEdit as ElementEdit
from luckyclub.lotteries.forms import ListEdit as ListEdit
from luckyclub.lotteries.forms import NewElement as NewElement
from luckyclub.lotteries.forms import NewList as NewList
from luckyclub.lotteries.forms import lottery_time as lottery_time
from luckyclub.models import (
    DrawStatus,
    ListElement,
    ListKind,
    ListStatus,
    RoleGrant,
    Scope,
    ScopedRole,
    Signup,
    SignupList,
    User,
    WaitlistEntry,
    id_of,
    utcnow,
)
from luckyclub.platform import accounts, audit, changes, draws, roles
from luckyclub.platform.permissions import require_admin

MAX_EDITORS = 20
GONE = "That list no longer exists."


# ---- lottery time ------------------------------------------------------------------------------


def lottery_local(signup_list: SignupList) -> str:
    """The list's lottery time as its edit form shows it: "2027-03-15T15:00" in its zone."""
    if signup_list.lottery_at is None:
        return ""
    local = signup_list.lottery_at.astimezone(ZoneInfo(signup_list.timezone))
    return local.strftime("%Y-%m-%dT%H:%M")


# ---- elements: their order and names -----------------------------------------------------------


def ordered_elements(session: Session, list_id: int) -> list[ListElement]:
    """The list's elements in the order people read them and the lottery draws them: events
    chronologically (a date alone counts as midnight), ties by id; items by id."""
    rows = list(
        session.exec(
            select(ListElement).where(ListElement.list_id == list_id).order_by(col(ListElement.id))
        ).all()
    )
    signup_list = session.get(SignupList, list_id)
    if signup_list is None or signup_list.kind != ListKind.EVENTS:
        return rows
    return sorted(rows, key=_chronological)


def _chronological(element: ListElement) -> tuple[date, time, int]:
    return (element.event_date or date.max, element.event_time or time(0), id_of(element))


def element_label(signup_list: SignupList, element: ListElement) -> str:
    """ "Swimming, Sat 15 Mar 2027 10:00 GMT" (an event, its time in the list's zone), "Sat 15
    Mar 2027" (an event with neither name nor time), "Cake" (an item)."""
    if signup_list.kind != ListKind.EVENTS or element.event_date is None:
        return element.name
    day = element.event_date
    if element.event_time is None:
        moment = f"{day:%a} {day.day} {day:%b %Y}"
    else:
        local = datetime.combine(day, element.event_time, ZoneInfo(signup_list.timezone))
        moment = f"{day:%a} {day.day} {day:%b %Y} {local:%H:%M %Z}"
    return f"{element.name}, {moment}" if element.name else moment


def element_names(signup_list: SignupList, elements: Iterable[ListElement]) -> dict[int, str]:
    """Each element's label, unique within the list: " (#<id>)" is added to labels two elements
    share (the lottery names elements by these)."""
    elements = list(elements)
    labels = {id_of(e): element_label(signup_list, e) for e in elements}
    seen: dict[str, int] = {}
    for label in labels.values():
        seen[label] = seen.get(label, 0) + 1
    return {
        element_id: f"{label} (#{element_id})" if seen[label] > 1 else label
        for element_id, label in labels.items()
    }


# ---- who may edit ------------------------------------------------------------------------------


def get_list(session: Session, list_id: int | None) -> SignupList:
    signup_list = session.get(SignupList, list_id) if list_id else None
    if signup_list is None:
        raise UserError(GONE)
    return signup_list


def lock_list(session: Session, list_id: int) -> SignupList:
    """The list, its row locked until the unit of work ends (PostgreSQL; SQLite lets one writer
    in at a time anyway), read afresh."""
    signup_list = session.exec(
        select(SignupList)
        .where(SignupList.id == list_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if signup_list is None:
        raise UserError(GONE)
    return signup_list


def is_creator(user: User | None, signup_list: SignupList) -> bool:
    return user is not None and user.banned_at is None and user.id == signup_list.creator_id


def can_edit(session: Session, user: User | None, signup_list: SignupList) -> bool:
    """Its creator, its editors and platform admins edit a list (never a banned account)."""
    return is_creator(user, signup_list) or roles.has_role(
        session, user, ScopedRole.EDITOR, Scope.LIST, id_of(signup_list)
    )


def can_manage(user: User | None, signup_list: SignupList) -> bool:
    """Who deletes a list and chooses its editors: its creator and platform admins."""
    return is_creator(user, signup_list) or (
        user is not None and user.is_admin and user.banned_at is None
    )


def require_editor(
    session: Session, user: User | None, list_id: int, *, lock: bool = False
) -> SignupList:
    signup_list = lock_list(session, list_id) if lock else get_list(session, list_id)
    if not can_edit(session, user, signup_list):
        raise NotAllowed("Only this list's creator and its editors can do that.")
    return signup_list


def editable(
    session: Session, user: User | None, list_id: int, now: datetime
) -> tuple[SignupList, User]:
    """The list, locked, for an edit by one of its editors: never while its lottery runs, never
    once an admin stopped it (unless that admin reopens it)."""
    signup_list = require_editor(session, user, list_id, lock=True)
    assert user is not None  # require_editor refused nobody
    phase.refuse_while_running(session, signup_list, now)
    if signup_list.status == ListStatus.STOPPED and not user.is_admin:
        raise UserError(stopped_words(signup_list))
    return signup_list, user


def stopped_words(signup_list: SignupList) -> str:
    reason = f" The reason: {signup_list.stopped_reason}" if signup_list.stopped_reason else ""
    return f"An administrator stopped this list.{reason}"


def _member(user: User | None) -> User:
    if user is None or user.banned_at is not None:
        raise NotAllowed("Sign in to make a list.")
    return user


# ---- making and editing a list -----------------------------------------------------------------


def create(session: Session, user: User, new: NewList, now: datetime | None = None) -> SignupList:
    """A new list with its elements and editors; a lottery list's draw is scheduled at once, so
    its commitment is public before anyone enters."""
    user = _member(user)
    now = now or utcnow()
    kind = new.kind if new.kind in set(ListKind) else None
    if kind is None:
        raise UserError("Choose what the list holds: events or items.", field="kind")
    title, description = forms.checked_text(new.title, new.description)
    if not new.elements:
        raise UserError("Add at least one event or item.", field="elements")
    if len(new.elements) > forms.MAX_ELEMENTS:
        raise UserError(f"A list can hold up to {forms.MAX_ELEMENTS:,} elements.", field="elements")
    elements = [
        forms.checked_element(kind, element, prefix=f"Element {n}: ", field=f"elements.{n - 1}.")
        for n, element in enumerate(new.elements, start=1)
    ]
    limit = forms.checked_limit(new.per_member_limit)
    zone = user.timezone or "UTC"
    lottery_at = forms.lottery_time(new.lottery_local, zone, now) if new.is_lottery else None
    editors = _accounts_by_email(session, new.editors, but=user)
    signup_list = SignupList(
        creator_id=id_of(user),
        title=title,
        description=description,
        kind=kind,
        per_member_limit=limit,
        waitlist=bool(new.waitlist),
        families_together=bool(new.families_together and new.is_lottery),
        is_lottery=bool(new.is_lottery),
        lottery_at=lottery_at,
        timezone=zone,
        created_at=now,
        updated_at=now,
    )
    session.add(signup_list)
    session.flush()
    list_id = id_of(signup_list)
    session.add_all(ListElement(list_id=list_id, created_at=now, **fields) for fields in elements)
    phase.sync_draw(session, signup_list)
    words = "lottery list" if signup_list.is_lottery else "list"
    detail = f"{words} {title!r}: {count(len(elements), 'element')}"
    if lottery_at is not None:
        detail += f", lottery {when_in_full(lottery_at, zone)}"
    audit.record(session, user, "list.create", "signup_list", list_id, detail)
    for editor in editors:
        roles.add_grant(session, user, id_of(editor), ScopedRole.EDITOR, list_id)
    changes.announce(session, changes.signup_list(list_id), changes.member(id_of(user)))
    return signup_list


def update(
    session: Session, user: User, list_id: int, edit: ListEdit, now: datetime | None = None
) -> SignupList:
    """New title, description and options. Turning the waitlist off empties it; a higher limit
    may let people on a waitlist be offered a free spot."""
    from luckyclub.lotteries import signups

    now = now or utcnow()
    signup_list, user = editable(session, user, list_id, now)
    title, description = forms.checked_text(edit.title, edit.description)
    together = bool(edit.families_together) and signup_list.is_lottery
    if (
        together != signup_list.families_together
        and phase.phase_of(session, signup_list, now) != phase.LotteryPhase.OPEN
    ):
        raise UserError(
            "Families drawn together can only change before the lottery runs.",
            field="families_together",
        )
    new = {
        "title": title,
        "description": description,
        "per_member_limit": forms.checked_limit(edit.per_member_limit),
        "waitlist": bool(edit.waitlist),
        "families_together": together,
    }
    changed = {name: value for name, value in new.items() if getattr(signup_list, name) != value}
    if not changed:
        return signup_list
    for name, value in changed.items():
        setattr(signup_list, name, value)
    signup_list.updated_at = now
    session.add(signup_list)
    touched: set[int] = set()
    if changed.get("waitlist") is False:
        touched |= _empty_waitlists(session, list_id)
    if "title" in changed:
        phase.sync_draw(session, signup_list)
    if "per_member_limit" in changed:
        session.flush()
        for element in ordered_elements(session, list_id):
            touched |= {o.user_id for o in signups.offer_next(session, id_of(element), now)}
    detail = ", ".join(f"{name}={value!r}" for name, value in changed.items())
    audit.record(session, user, "list.update", "signup_list", list_id, detail[:1000])
    changes.announce(
        session, changes.signup_list(list_id), *(changes.member(uid) for uid in touched)
    )
    return signup_list


def set_lottery_time(
    session: Session, user: User, list_id: int, local: str, now: datetime | None = None
) -> SignupList:
    """Move the lottery: typed in the list's timezone, at least 1 hour ahead again."""
    now = now or utcnow()
    signup_list, user = editable(session, user, list_id, now)
    if not signup_list.is_lottery:
        raise UserError("This list has no lottery: it is first come, first served.")
    if phase.phase_of(session, signup_list, now) != phase.LotteryPhase.OPEN:
        raise UserError("The lottery has run already: its time cannot change.")
    moment = forms.lottery_time(local, signup_list.timezone, now)
    if moment == signup_list.lottery_at:
        return signup_list
    before = when_in_full(signup_list.lottery_at, signup_list.timezone)
    signup_list.lottery_at = moment
    signup_list.updated_at = now
    session.add(signup_list)
    phase.sync_draw(session, signup_list)
    audit.record(
        session,
        user,
        "list.lottery_time",
        "signup_list",
        list_id,
        f"{before} → {when_in_full(moment, signup_list.timezone)}",
    )
    changes.announce(session, changes.signup_list(list_id), *_people_on(session, list_id))
    return signup_list


def close(session: Session, user: User, list_id: int, now: datetime | None = None) -> SignupList:
    """No new signups, waitlist places or entries; what people hold stays."""
    now = now or utcnow()
    signup_list, user = editable(session, user, list_id, now)
    if signup_list.status != ListStatus.OPEN:
        raise UserError("This list is closed already.")
    return _set_status(session, user, signup_list, ListStatus.CLOSED, "list.close", now)


def reopen(session: Session, user: User, list_id: int, now: datetime | None = None) -> SignupList:
    """Open a closed list again (a stopped one only by an administrator)."""
    now = now or utcnow()
    signup_list, user = editable(session, user, list_id, now)
    if signup_list.status == ListStatus.OPEN:
        raise UserError("This list is open already.")
    signup_list.stopped_reason = None
    return _set_status(session, user, signup_list, ListStatus.OPEN, "list.reopen", now)


def stop(
    session: Session, admin: User, list_id: int, reason: str, now: datetime | None = None
) -> SignupList:
    """A platform admin stops any list, with a reason its page shows: nothing new, and its
    editors cannot reopen it."""
    require_admin(admin)
    reason = audit.checked_reason(reason, shown="the list's page shows it")
    now = now or utcnow()
    signup_list = lock_list(session, list_id)
    if signup_list.status == ListStatus.STOPPED:
        raise UserError("This list is stopped already.")
    signup_list.stopped_reason = reason
    return _set_status(session, admin, signup_list, ListStatus.STOPPED, "list.stop", now, reason)


def _set_status(
    session: Session,
    user: User,
    signup_list: SignupList,
    status: ListStatus,
    action: str,
    now: datetime,
    detail: str = "",
) -> SignupList:
    list_id = id_of(signup_list)
    signup_list.status = status
    signup_list.updated_at = now
    session.add(signup_list)
    audit.record(session, user, action, "signup_list", list_id, detail or signup_list.title)
    changes.announce(session, changes.signup_list(list_id), *_people_on(session, list_id))
    if status == ListStatus.OPEN:
        session.flush()
        _offer_free_spots(session, list_id, now)  # spots freed while it was closed
    return signup_list


def delete(session: Session, user: User, list_id: int, now: datetime | None = None) -> None:
    """Delete a list with everything on it, quietly (no emails). Its creator or an admin."""
    now = now or utcnow()
    signup_list = lock_list(session, list_id)
    if not can_manage(user, signup_list):
        raise NotAllowed("Only this list's creator can delete it.")
    assert user is not None
    phase.refuse_while_running(session, signup_list, now)
    people = _people_on(session, list_id)
    draw = phase.draw_of(session, signup_list)
    if draw is not None and draws.take(
        session,
        id_of(draw),
        now,
        statuses=(DrawStatus.SCHEDULED,),
        status=DrawStatus.VOID,
        reason="Its list was deleted before the lottery ran.",
        drawn_at=now,
        actor_id=user.id,
    ):
        session.refresh(draw)
        draws.announce(session, draw)
    session.exec(
        sql_delete(RoleGrant).where(
            col(RoleGrant.scope) == Scope.LIST, col(RoleGrant.scope_id) == list_id
        )
    )
    title = signup_list.title
    session.delete(signup_list)
    session.flush()  # the database's cascade removes its elements, signups, places and entries
    audit.record(session, user, "list.delete", "signup_list", list_id, title)
    changes.announce(session, changes.signup_list(list_id), *people)


# ---- elements ----------------------------------------------------------------------------------


def add_element(
    session: Session, user: User, list_id: int, new: NewElement, now: datetime | None = None
) -> ListElement:
    now = now or utcnow()
    signup_list, user = editable(session, user, list_id, now)
    held = session.exec(
        select(func.count()).select_from(ListElement).where(ListElement.list_id == list_id)
    ).one()
    if held >= forms.MAX_ELEMENTS:
        raise UserError(f"A list can hold up to {forms.MAX_ELEMENTS:,} elements.")
    fields = forms.checked_element(signup_list.kind, new)
    element = ListElement(list_id=list_id, created_at=now, **fields)
    session.add(element)
    session.flush()
    label = element_label(signup_list, element)
    audit.record(session, user, "list.element_add", "signup_list", list_id, label)
    changes.announce(session, changes.signup_list(list_id))
    return element


def update_element(
    session: Session, user: User, element_id: int, edit: ElementEdit, now: datetime | None = None
) -> ListElement:
    """New details and spots: never fewer spots than are taken; more spots are offered to the
    waitlist first."""
    from luckyclub.lotteries import signups

    now = now or utcnow()
    element = _element(session, element_id)
    signup_list, user = editable(session, user, element.list_id, now)
    fields = forms.checked_element(signup_list.kind, edit)
    taken = signups.taken(session, element_id)
    if fields["spots"] < taken:
        raise UserError(
            f"{count(taken, 'spot')} {'is' if taken == 1 else 'are'} taken: keep at least "
            f"{taken}, or remove signups first.",
            field="spots",
        )
    changed = {name: value for name, value in fields.items() if getattr(element, name) != value}
    if not changed:
        return element
    for name, value in changed.items():
        setattr(element, name, value)
    session.add(element)
    session.flush()
    offers = signups.offer_next(session, element_id, now) if "spots" in changed else []
    detail = f"{element_label(signup_list, element)}: " + ", ".join(
        f"{name}={value}" for name, value in changed.items()
    )
    audit.record(session, user, "list.element_update", "signup_list", element.list_id, detail)
    changes.announce(
        session,
        changes.signup_list(element.list_id),
        *_people_on(session, element.list_id, element_id=element_id),
        *(changes.member(offer.user_id) for offer in offers),
    )
    return element


def delete_element(
    session: Session, user: User, element_id: int, now: datetime | None = None
) -> None:
    """Delete an element with its signups, waitlist and entries, quietly: the spots go with it,
    so nobody is offered one."""
    now = now or utcnow()
    element = _element(session, element_id)
    signup_list, user = editable(session, user, element.list_id, now)
    people = _people_on(session, element.list_id, element_id=element_id)
    label = element_label(signup_list, element)
    session.delete(element)
    session.flush()
    audit.record(session, user, "list.element_delete", "signup_list", element.list_id, label)
    changes.announce(session, changes.signup_list(element.list_id), *people)


def _element(session: Session, element_id: int | None) -> ListElement:
    element = session.get(ListElement, element_id) if element_id else None
    if element is None:
        raise UserError("That event or item is no longer on the list.")
    return element


# ---- extra editors -----------------------------------------------------------------------------


def add_editor(session: Session, user: User, list_id: int, email: str) -> User:
    """Let another account edit the list (its creator or an admin decides)."""
    signup_list = get_list(session, list_id)
    if not can_manage(user, signup_list):
        raise NotAllowed("Only this list's creator can choose its editors.")
    assert user is not None
    creator = session.get(User, signup_list.creator_id)
    found = _accounts_by_email(session, [email], but=None)
    if not found:
        raise UserError("Give the email address of their LuckyClub account.", field="email")
    editor = found[0]
    if editor.id == signup_list.creator_id:
        raise UserError(
            f"{creator.display_name if creator else 'Its creator'} edits this list already.",
            field="email",
        )
    if len(roles.holders(session, ScopedRole.EDITOR, list_id)) >= MAX_EDITORS:
        raise UserError(f"A list can have up to {MAX_EDITORS} editors.", field="email")
    roles.add_grant(session, user, id_of(editor), ScopedRole.EDITOR, list_id)
    changes.announce(session, changes.signup_list(list_id))
    return editor


def remove_editor(session: Session, user: User, list_id: int, editor_id: int) -> None:
    signup_list = get_list(session, list_id)
    if not can_manage(user, signup_list):
        raise NotAllowed("Only this list's creator can choose its editors.")
    assert user is not None
    for grant, _editor in roles.holders(session, ScopedRole.EDITOR, list_id):
        if grant.user_id == editor_id:
            roles.remove_grant(session, user, grant)
            changes.announce(session, changes.signup_list(list_id))
            return
    raise UserError("That person does not edit this list.")


def _accounts_by_email(session: Session, emails: Iterable[str], *, but: User | None) -> list[User]:
    found: dict[int, User] = {}
    for raw in emails:
        email = accounts.normalise_email(raw or "")
        if not email:
            continue
        account = accounts.find_by_email(session, email)
        if account is None or account.banned_at is not None:
            raise UserError(
                f"There is no LuckyClub account with the email {email}: ask them to join "
                "first, then add them.",
                field="editors" if but is not None else "email",
            )
        if but is None or account.id != but.id:
            found[id_of(account)] = account
    if len(found) > MAX_EDITORS:
        raise UserError(f"A list can have up to {MAX_EDITORS} editors.", field="editors")
    return list(found.values())


# ---- what the pages show (built in lotteries/views.py) -----------------------------------------


def visible_lists(session: Session, user: User | None) -> list[views.ListSummary]:
    return views.visible_lists(session, user)


def list_view(
    session: Session, list_id: int, viewer: User | None, now: datetime | None = None
) -> views.ListView:
    return views.list_view(session, list_id, viewer, now)


def editor_view(
    session: Session, editor: User | None, list_id: int, now: datetime | None = None
) -> views.EditorView:
    return views.editor_view(session, editor, list_id, now)


def admin_lists(session: Session, admin: User) -> list[views.AdminListRow]:
    return views.admin_lists(session, admin)


# ---- helpers for the units of work -------------------------------------------------------------


def _people_on(session: Session, list_id: int, *, element_id: int | None = None) -> list[str]:
    """The member topics of everyone with a signup, place or entry on the list (or element):
    their My Signups change with it."""
    from luckyclub.models import LotteryEntry

    users: set[int] = set()
    for table in (Signup, WaitlistEntry, LotteryEntry):
        query = select(table.user_id).where(table.list_id == list_id)
        if element_id is not None:
            query = query.where(table.element_id == element_id)
        users.update(session.exec(query.distinct()).all())
    return [changes.member(uid) for uid in sorted(users)]


def _empty_waitlists(session: Session, list_id: int) -> set[int]:
    users = set(
        session.exec(
            select(WaitlistEntry.user_id).where(WaitlistEntry.list_id == list_id).distinct()
        ).all()
    )
    session.exec(sql_delete(WaitlistEntry).where(col(WaitlistEntry.list_id) == list_id))
    return users


def _offer_free_spots(session: Session, list_id: int, now: datetime) -> None:
    from luckyclub.lotteries import signups

    for element in ordered_elements(session, list_id):
        for offer in signups.offer_next(session, id_of(element), now):
            changes.announce(session, changes.member(offer.user_id))

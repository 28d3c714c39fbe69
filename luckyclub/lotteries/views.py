"""What the signup-list pages show, as frozen plain values (never ORM rows): the lists a member
sees, one list with its elements and what the viewer may do there, its editor's view and the
admin's list of every list. Times are already written for people, in the list's zone. (A
member's own pages: lotteries/my_signups.py.)

(`lists.visible_lists`, `lists.list_view`, `lists.editor_view` and `lists.admin_lists` are these,
under the names the pages call.)"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from luckyclub.core import routes
from luckyclub.core.words import count, when, when_in_full
from luckyclub.lotteries import family, lists, phase
from luckyclub.lotteries.phase import LotteryPhase
from luckyclub.models import (
    FamilyMember,
    ListElement,
    ListStatus,
    LotteryEntry,
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
from luckyclub.platform.permissions import require_admin

RESULT_DELAY = "The result follows within a few minutes of that time."


# ---- the shapes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListSummary:
    """A list on /lists."""

    id: int
    title: str
    kind: str  # events | items
    status: str  # open | closed | stopped
    is_lottery: bool
    phase: str  # LotteryPhase
    lottery_when: str  # "15 March 2027 at 15:00 GMT" (the list's zone), "" for none
    creator_name: str
    elements: int
    spots: int
    taken: int
    role: str  # creator | editor | member (someone of the viewer's family is on it)
    path: str


@dataclass(frozen=True)
class SignupRow:
    id: int
    member_name: str
    account_name: str
    status: str  # confirmed | pending
    source: str  # direct | lottery | waitlist
    deadline: str  # a pending offer's deadline in the list's zone, else ""
    mine: bool  # one of the viewer's family members


@dataclass(frozen=True)
class WaitlistRow:
    id: int
    position: int  # 1 is offered next
    member_name: str
    account_name: str
    mine: bool


@dataclass(frozen=True)
class EntryRow:
    id: int
    member_name: str
    account_name: str
    mine: bool


@dataclass(frozen=True)
class MemberState:
    """One of the viewer's family members on one element, and what the viewer may do for them."""

    member_id: int
    name: str
    signup_id: int | None
    signup_status: str  # "" | confirmed | pending
    accept_token: str  # a pending offer's token (the viewer's own), for Accept/Decline
    waitlist_id: int | None
    position: int  # on the waitlist, 0 if not on it
    entry_id: int | None  # lottery entry
    at_limit: bool
    can_sign_up: bool
    can_join_waitlist: bool
    can_enter: bool  # the lottery (entries.enter)
    can_cancel: bool
    can_leave_waitlist: bool
    can_remove_entry: bool


@dataclass(frozen=True)
class ElementView:
    id: int
    label: str  # "Swimming, Sat 15 Mar 2027 10:00 GMT" / "Cake"
    name: str
    date_words: str  # "Sat 15 Mar 2027", "" for an item
    time_words: str  # "10:00 GMT", "" without a time
    place: str
    spots: int
    taken: int
    free: int
    full: bool
    entries_words: str  # "3 entries"
    signups: tuple[SignupRow, ...]
    waitlist: tuple[WaitlistRow, ...]
    entries: tuple[EntryRow, ...]
    mine: tuple[MemberState, ...]  # the viewer's family members (empty when signed out)


@dataclass(frozen=True)
class ListView:
    id: int
    title: str
    description: str
    kind: str
    status: str
    stopped_reason: str
    creator_name: str
    timezone: str
    per_member_limit: int | None
    limit_words: str  # "Up to 2 spots per person on this list", ""
    waitlist: bool
    families_together: bool
    is_lottery: bool
    phase: str  # LotteryPhase: first_come | open | running | done
    lottery_at: datetime | None  # UTC, for a countdown
    lottery_when: str  # "15 March 2027 at 15:00 GMT"
    banner: str  # the sentence at the top: lottery time, in progress, closed, stopped
    draw_path: str  # the lottery's public draw page and proof, "" for none
    share_path: str
    editor_path: str
    export_path: str
    elements: tuple[ElementView, ...]
    signed_in: bool
    can_edit: bool
    can_manage: bool  # delete the list, choose its editors
    takes_signups: bool  # first-come signups and waitlist joins now
    takes_entries: bool  # lottery entries now


@dataclass(frozen=True)
class ElementForm:
    """An element as the editor's form holds it."""

    id: int
    name: str
    event_date: str  # "2027-03-15"
    event_time: str  # "10:00"
    place: str
    spots: int


@dataclass(frozen=True)
class EditorRow:
    user_id: int
    name: str
    email: str


@dataclass(frozen=True)
class EditorView:
    list: ListView
    elements: tuple[ElementForm, ...]
    editors: tuple[EditorRow, ...]
    lottery_local: str  # "2027-03-15T15:00" in the list's zone, for its edit form
    can_move_lottery: bool


@dataclass(frozen=True)
class AdminListRow:
    id: int
    title: str
    creator: str  # "Ann <ann@example.com>"
    status: str
    stopped_reason: str
    is_lottery: bool
    phase: str
    lottery_when: str
    elements: int
    signups: int
    created: str
    path: str


# ---- /lists ------------------------------------------------------------------------------------


def visible_lists(session: Session, user: User | None) -> list[ListSummary]:
    """The lists a member made, edits, or has someone on (a signup, a waitlist place or a lottery
    entry), newest first. Any other list is reached by its share link."""
    if user is None or user.banned_at is not None:
        return []
    uid = id_of(user)
    edited = set(
        session.exec(
            select(RoleGrant.scope_id).where(
                RoleGrant.user_id == uid,
                RoleGrant.role == ScopedRole.EDITOR,
                RoleGrant.scope == Scope.LIST,
            )
        ).all()
    )
    joined: set[int] = set()
    for table in (Signup, WaitlistEntry, LotteryEntry):
        joined.update(session.exec(select(table.list_id).where(table.user_id == uid)).all())
    made = set(session.exec(select(SignupList.id).where(SignupList.creator_id == uid)).all())
    ids = {i for i in made | edited | joined if i is not None}
    rows = _lists_by_id(session, ids)
    summaries = []
    for signup_list in sorted(rows, key=lambda r: (r.created_at, id_of(r)), reverse=True):
        list_id = id_of(signup_list)
        role = "creator" if list_id in made else "editor" if list_id in edited else "member"
        summaries.append(_summary(session, signup_list, role))
    return summaries


def _summary(session: Session, signup_list: SignupList, role: str) -> ListSummary:
    list_id = id_of(signup_list)
    elements, spots = session.exec(
        select(func.count(), func.coalesce(func.sum(ListElement.spots), 0)).where(
            ListElement.list_id == list_id
        )
    ).one()
    taken = session.exec(
        select(func.count()).select_from(Signup).where(Signup.list_id == list_id)
    ).one()
    creator = session.get(User, signup_list.creator_id)
    return ListSummary(
        id=list_id,
        title=signup_list.title,
        kind=signup_list.kind,
        status=signup_list.status,
        is_lottery=signup_list.is_lottery,
        phase=phase.phase_of(session, signup_list),
        lottery_when=when_in_full(signup_list.lottery_at, signup_list.timezone),
        creator_name=creator.display_name if creator else "",
        elements=elements,
        spots=int(spots),
        taken=taken,
        role=role,
        path=routes.list_page(list_id),
    )


# ---- /lists/<id> -------------------------------------------------------------------------------


def list_view(
    session: Session, list_id: int, viewer: User | None, now: datetime | None = None
) -> ListView:
    """One list as its share link shows it to `viewer` (None: signed out)."""
    now = now or utcnow()
    signup_list = lists.get_list(session, list_id)
    viewer = viewer if viewer is not None and viewer.banned_at is None else None
    current = phase.phase_of(session, signup_list, now)
    is_open = signup_list.status == ListStatus.OPEN
    takes_signups = is_open and current in (LotteryPhase.FIRST_COME, LotteryPhase.DONE)
    takes_entries = is_open and current == LotteryPhase.OPEN
    elements = lists.ordered_elements(session, list_id)
    names = lists.element_names(signup_list, elements)
    mine = family.members_of(session, viewer) if viewer is not None else []
    my_ids = {id_of(m) for m in mine}
    held = _held_by_member(session, list_id)
    limit = signup_list.per_member_limit
    at_limit = {id_of(m): limit is not None and held.get(id_of(m), 0) >= limit for m in mine}
    signups_of = _signups_by_element(session, list_id)
    places_of = _places_by_element(session, list_id)
    entries_of = _entries_by_element(session, list_id)
    zone = signup_list.timezone
    views = []
    for element in elements:
        eid = id_of(element)
        taken = len(signups_of[eid])
        free = max(0, element.spots - taken)
        signup_rows = tuple(
            SignupRow(
                id=id_of(s),
                member_name=member.name,
                account_name=account.display_name,
                status=s.status,
                source=s.source,
                deadline=when_in_full(s.expires_at, zone) if s.expires_at else "",
                mine=id_of(member) in my_ids,
            )
            for s, member, account in signups_of[eid]
        )
        place_rows = tuple(
            WaitlistRow(
                id=id_of(p),
                position=n,
                member_name=member.name,
                account_name=account.display_name,
                mine=id_of(member) in my_ids,
            )
            for n, (p, member, account) in enumerate(places_of[eid], start=1)
        )
        entry_rows = tuple(
            EntryRow(
                id=id_of(e),
                member_name=member.name,
                account_name=account.display_name,
                mine=id_of(member) in my_ids,
            )
            for e, member, account in entries_of[eid]
        )
        states = tuple(
            _member_state(
                member,
                signups_of[eid],
                places_of[eid],
                entries_of[eid],
                at_limit=at_limit[id_of(member)],
                free=free,
                waitlist=signup_list.waitlist,
                takes_signups=takes_signups,
                takes_entries=takes_entries,
                running=current == LotteryPhase.RUNNING,
            )
            for member in mine
        )
        views.append(
            ElementView(
                id=eid,
                label=names[eid],
                name=element.name,
                date_words=_date_words(element),
                time_words=_time_words(signup_list, element),
                place=element.place,
                spots=element.spots,
                taken=taken,
                free=free,
                full=free == 0,
                entries_words=count(len(entry_rows), "entry", "entries"),
                signups=signup_rows,
                waitlist=place_rows,
                entries=entry_rows,
                mine=states,
            )
        )
    creator = session.get(User, signup_list.creator_id)
    draw = phase.draw_of(session, signup_list)
    return ListView(
        id=list_id,
        title=signup_list.title,
        description=signup_list.description,
        kind=signup_list.kind,
        status=signup_list.status,
        stopped_reason=signup_list.stopped_reason or "",
        creator_name=creator.display_name if creator else "",
        timezone=zone,
        per_member_limit=limit,
        limit_words=(
            f"Up to {count(limit, 'spot')} per person on this list" if limit is not None else ""
        ),
        waitlist=signup_list.waitlist,
        families_together=signup_list.families_together,
        is_lottery=signup_list.is_lottery,
        phase=current,
        lottery_at=signup_list.lottery_at,
        lottery_when=when_in_full(signup_list.lottery_at, zone),
        banner=_banner(signup_list, current),
        draw_path=routes.draw_page(id_of(draw)) if draw is not None else "",
        share_path=routes.list_page(list_id),
        editor_path=routes.list_editor(list_id),
        export_path=routes.list_export(list_id),
        elements=tuple(views),
        signed_in=viewer is not None,
        can_edit=lists.can_edit(session, viewer, signup_list),
        can_manage=lists.can_manage(viewer, signup_list),
        takes_signups=takes_signups,
        takes_entries=takes_entries,
    )


def _member_state(
    member: FamilyMember,
    signup_rows: list[tuple[Signup, FamilyMember, User]],
    place_rows: list[tuple[WaitlistEntry, FamilyMember, User]],
    entry_rows: list[tuple[LotteryEntry, FamilyMember, User]],
    *,
    at_limit: bool,
    free: int,
    waitlist: bool,
    takes_signups: bool,
    takes_entries: bool,
    running: bool,
) -> MemberState:
    mid = id_of(member)
    signup = next((s for s, m, _ in signup_rows if id_of(m) == mid), None)
    place, position = next(
        ((p, n) for n, (p, m, _) in enumerate(place_rows, start=1) if id_of(m) == mid),
        (None, 0),
    )
    entry = next((e for e, m, _ in entry_rows if id_of(m) == mid), None)
    return MemberState(
        member_id=mid,
        name=member.name,
        signup_id=id_of(signup) if signup else None,
        signup_status=signup.status if signup else "",
        accept_token=(signup.accept_token or "") if signup else "",
        waitlist_id=id_of(place) if place else None,
        position=position,
        entry_id=id_of(entry) if entry else None,
        at_limit=at_limit,
        can_sign_up=takes_signups and signup is None and free > 0 and not at_limit,
        can_join_waitlist=takes_signups
        and waitlist
        and free == 0
        and signup is None
        and place is None,
        can_enter=takes_entries and entry is None,
        can_cancel=signup is not None and not running,
        can_leave_waitlist=place is not None and not running,
        can_remove_entry=entry is not None and takes_entries,
    )


def _banner(signup_list: SignupList, current: LotteryPhase) -> str:
    if signup_list.status == ListStatus.STOPPED:
        return lists.stopped_words(signup_list)
    moment = when_in_full(signup_list.lottery_at, signup_list.timezone)
    if current == LotteryPhase.RUNNING:
        return phase.IN_PROGRESS
    closed = " This list is closed: it takes no new signups."
    if signup_list.status != ListStatus.CLOSED:
        closed = ""
    if current == LotteryPhase.OPEN:
        return (
            f"This is a lottery list: its spots are drawn on {moment} ({signup_list.timezone}). "
            f"{RESULT_DELAY}{closed}"
        )
    if current == LotteryPhase.DONE:
        return f"The lottery ran on {moment}: spots left are first come, first served.{closed}"
    return closed.strip()


def _date_words(element: ListElement) -> str:
    day = element.event_date
    return f"{day:%a} {day.day} {day:%b %Y}" if day is not None else ""


def _time_words(signup_list: SignupList, element: ListElement) -> str:
    if element.event_date is None or element.event_time is None:
        return ""
    local = datetime.combine(element.event_date, element.event_time, ZoneInfo(signup_list.timezone))
    return local.strftime("%H:%M %Z")  # "10:00 GMT": the zone's abbreviation on that date


# ---- the editor and the admin ------------------------------------------------------------------


def editor_view(
    session: Session, editor: User | None, list_id: int, now: datetime | None = None
) -> EditorView:
    """/lists/<id>/edit: the list as its page shows it, every signup and waitlist place with
    their ids (for removing), the form's values and the editors."""
    signup_list = lists.require_editor(session, editor, list_id)
    now = now or utcnow()
    view = list_view(session, list_id, editor, now)
    elements = lists.ordered_elements(session, list_id)
    return EditorView(
        list=view,
        elements=tuple(
            ElementForm(
                id=id_of(e),
                name=e.name,
                event_date=e.event_date.isoformat() if e.event_date else "",
                event_time=e.event_time.strftime("%H:%M") if e.event_time else "",
                place=e.place,
                spots=e.spots,
            )
            for e in elements
        ),
        editors=tuple(
            EditorRow(user_id=id_of(user), name=user.display_name, email=user.email)
            for _grant, user in _editors(session, list_id)
        ),
        lottery_local=lists.lottery_local(signup_list),
        can_move_lottery=view.phase == LotteryPhase.OPEN,
    )


def admin_lists(session: Session, admin: User) -> list[AdminListRow]:
    """Every list, newest first, for /admin/lists."""
    require_admin(admin)
    element_counts = dict(
        session.exec(
            select(ListElement.list_id, func.count()).group_by(col(ListElement.list_id))
        ).all()
    )
    signup_counts = dict(
        session.exec(select(Signup.list_id, func.count()).group_by(col(Signup.list_id))).all()
    )
    rows = session.exec(
        select(SignupList, User)
        .join(User, col(User.id) == col(SignupList.creator_id))
        .order_by(col(SignupList.id).desc())
    ).all()
    return [
        AdminListRow(
            id=id_of(signup_list),
            title=signup_list.title,
            creator=f"{creator.display_name} <{creator.email}>",
            status=signup_list.status,
            stopped_reason=signup_list.stopped_reason or "",
            is_lottery=signup_list.is_lottery,
            phase=phase.phase_of(session, signup_list),
            lottery_when=when_in_full(signup_list.lottery_at, signup_list.timezone),
            elements=element_counts.get(id_of(signup_list), 0),
            signups=signup_counts.get(id_of(signup_list), 0),
            created=when(signup_list.created_at, admin.timezone),
            path=routes.list_page(id_of(signup_list)),
        )
        for signup_list, creator in rows
    ]


# ---- reading many rows at once -----------------------------------------------------------------


def _lists_by_id(session: Session, ids: set[int]) -> list[SignupList]:
    if not ids:
        return []
    return list(session.exec(select(SignupList).where(col(SignupList.id).in_(ids))).all())


def _editors(session: Session, list_id: int) -> list[tuple[RoleGrant, User]]:
    from luckyclub.platform import roles

    return roles.holders(session, ScopedRole.EDITOR, list_id)


def _held_by_member(session: Session, list_id: int) -> dict[int, int]:
    return dict(
        session.exec(
            select(Signup.family_member_id, func.count())
            .where(Signup.list_id == list_id)
            .group_by(col(Signup.family_member_id))
        ).all()
    )


def _signups_by_element(
    session: Session, list_id: int
) -> defaultdict[int, list[tuple[Signup, FamilyMember, User]]]:
    found: defaultdict[int, list[tuple[Signup, FamilyMember, User]]] = defaultdict(list)
    for signup, member, account in session.exec(
        select(Signup, FamilyMember, User)
        .join(FamilyMember, col(FamilyMember.id) == col(Signup.family_member_id))
        .join(User, col(User.id) == col(Signup.user_id))
        .where(Signup.list_id == list_id)
        .order_by(col(Signup.id))
    ).all():
        found[signup.element_id].append((signup, member, account))
    return found


def _places_by_element(
    session: Session, list_id: int
) -> defaultdict[int, list[tuple[WaitlistEntry, FamilyMember, User]]]:
    found: defaultdict[int, list[tuple[WaitlistEntry, FamilyMember, User]]] = defaultdict(list)
    for place, member, account in session.exec(
        select(WaitlistEntry, FamilyMember, User)
        .join(FamilyMember, col(FamilyMember.id) == col(WaitlistEntry.family_member_id))
        .join(User, col(User.id) == col(WaitlistEntry.user_id))
        .where(WaitlistEntry.list_id == list_id)
        .order_by(col(WaitlistEntry.position), col(WaitlistEntry.id))
    ).all():
        found[place.element_id].append((place, member, account))
    return found


def _entries_by_element(
    session: Session, list_id: int
) -> defaultdict[int, list[tuple[LotteryEntry, FamilyMember, User]]]:
    found: defaultdict[int, list[tuple[LotteryEntry, FamilyMember, User]]] = defaultdict(list)
    for entry, member, account in session.exec(
        select(LotteryEntry, FamilyMember, User)
        .join(FamilyMember, col(FamilyMember.id) == col(LotteryEntry.family_member_id))
        .join(User, col(User.id) == col(LotteryEntry.user_id))
        .where(LotteryEntry.list_id == list_id)
        .order_by(col(LotteryEntry.id))
    ).all():
        found[entry.element_id].append((entry, member, account))
    return found

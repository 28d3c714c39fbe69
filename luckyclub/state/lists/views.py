"""Signup lists as the pages show them: plain values for the browser, built from the services'
read models (lotteries/lists.py, lotteries/signups.py); never a row. Times carry their zone: a
list's lottery and events in the list's zone, a member's deadlines in the member's."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from luckyclub.core import routes
from luckyclub.core.words import count
from luckyclub.lotteries import lists, views

KIND_WORDS = {"events": "Events", "items": "Items"}
SOURCE_WORDS = {"lottery": "won in the lottery", "waitlist": "from the waitlist"}
RELATION_WORDS = {"creator": "Yours", "editor": "You edit it", "member": "You are on it"}


def unix(moment: datetime | None) -> int:
    """Unix seconds, for a countdown that ticks in the browser (0: none)."""
    return int(moment.timestamp()) if moment is not None else 0


@dataclass
class MemberOption:
    """One of the viewer's family members, to choose in a Sign up or Enter lottery form."""

    id: int = 0
    name: str = ""


@dataclass
class RefRow:
    """One of the viewer's entered family members and their entrant ref in the lottery: what
    they type into Check my entry on the draw's page."""

    member: str = ""
    ref: str = ""


@dataclass
class PersonRow:
    """Someone on an element: a signup, a waitlist place or a lottery entry."""

    id: int = 0  # the signup's, the place's or the entry's id (what Cancel/Remove sends)
    member: str = ""  # the family member
    account: str = ""  # the account holder's display name
    words: str = ""  # "pending: accept by …", "won in the lottery"
    pending: bool = False
    mine: bool = False  # the viewer's own family member
    token: str = ""  # the viewer's own pending offer's Accept/Decline secret


@dataclass
class ElementRow:
    id: int = 0
    label: str = ""  # "Swimming, Sat 15 Mar 2027 10:00 GMT" / "Cake"
    spots: int = 0
    taken: int = 0
    spots_words: str = ""  # "3 of 5 spots taken"
    percent: int = 0  # taken of spots, for the bar
    full: bool = False
    signups: list[PersonRow] = field(default_factory=list)
    waitlist: list[PersonRow] = field(default_factory=list)
    # (not `entries`: Reflex's object vars have a method of that name)
    entrants: list[PersonRow] = field(default_factory=list)
    entries_words: str = ""  # "2 entries"
    my_entries_words: str = ""  # "You entered: Ann, Bob"
    # The viewer's family members each action may be taken for now.
    sign_up_for: list[MemberOption] = field(default_factory=list)
    waitlist_for: list[MemberOption] = field(default_factory=list)
    enter_for: list[MemberOption] = field(default_factory=list)


@dataclass
class ListCard:
    """A list in /lists and /admin/lists."""

    id: int = 0
    title: str = ""
    kind: str = ""
    relation: str = ""  # "Yours", "You edit it", "You are on it"
    lottery: str = ""  # "Lottery on 15 March 2027 at 15:00 GMT" ("" for first come)
    status: str = ""
    elements: str = ""  # "3 events"
    creator: str = ""
    url: str = ""
    editor_url: str = ""


def spots_words(taken: int, spots: int) -> str:
    return f"{taken:,} of {count(spots, 'spot')} taken"


def percent(taken: int, spots: int) -> int:
    return min(100, round(100 * taken / spots)) if spots else 100


def person_rows(element: views.ElementView) -> tuple[list[PersonRow], list[PersonRow]]:
    """An element's signups and waitlist as the list's page and its editor show them."""
    tokens = {m.signup_id: m.accept_token for m in element.mine if m.signup_id is not None}
    signed = [
        PersonRow(
            id=s.id,
            member=s.member_name,
            account=s.account_name,
            words=(
                f"pending: accept by {s.deadline}"
                if s.status == "pending"
                else SOURCE_WORDS.get(s.source, "")
            ),
            pending=s.status == "pending",
            mine=s.mine,
            token=tokens.get(s.id, "") if s.status == "pending" else "",
        )
        for s in element.signups
    ]
    waiting = [
        PersonRow(
            id=w.id,
            member=w.member_name,
            account=w.account_name,
            words=f"#{w.position}",
            mine=w.mine,
        )
        for w in element.waitlist
    ]
    return signed, waiting


def element_row(element: views.ElementView) -> ElementRow:
    signed, waiting = person_rows(element)
    mine_entered = [e.member_name for e in element.entries if e.mine]

    def members(can) -> list[MemberOption]:
        return [MemberOption(id=m.member_id, name=m.name) for m in element.mine if can(m)]

    return ElementRow(
        id=element.id,
        label=element.label,
        spots=element.spots,
        taken=element.taken,
        spots_words=spots_words(element.taken, element.spots),
        percent=percent(element.taken, element.spots),
        full=element.full,
        signups=signed,
        waitlist=waiting,
        entrants=[
            PersonRow(id=e.id, member=e.member_name, account=e.account_name, mine=e.mine)
            for e in element.entries
        ],
        entries_words=element.entries_words,
        my_entries_words=("You entered: " + ", ".join(mine_entered)) if mine_entered else "",
        sign_up_for=members(lambda m: m.can_sign_up),
        waitlist_for=members(lambda m: m.can_join_waitlist),
        enter_for=members(lambda m: m.can_enter),
    )


def list_cards(found: Iterable[views.ListSummary]) -> list[ListCard]:
    return [
        ListCard(
            id=v.id,
            title=v.title,
            kind=KIND_WORDS.get(v.kind, v.kind),
            relation=RELATION_WORDS.get(v.role, ""),
            lottery=f"Lottery on {v.lottery_when}" if v.is_lottery else "",
            status=v.status,
            elements=count(v.elements, "event" if v.kind == "events" else "item"),
            creator=v.creator_name,
            url=v.path,
            editor_url=routes.list_editor(v.id),
        )
        for v in found
    ]


def admin_cards(found: Iterable[views.AdminListRow]) -> list[ListCard]:
    return [
        ListCard(
            id=v.id,
            title=v.title,
            lottery=f"Lottery on {v.lottery_when}" if v.is_lottery else "",
            status=v.status,
            elements=f"{count(v.elements, 'element')}, {count(v.signups, 'signup')}",
            creator=v.creator,
            url=v.path,
            editor_url=routes.list_editor(v.id),
        )
        for v in found
    ]


def form_text(form_data: dict, name: str, limit: int) -> str:
    return str(form_data.get(name) or "").strip()[:limit]


def read_elements(form_data: dict, rows: list[int]) -> list[lists.NewElement]:
    """The form's element rows as the service's typed input, text as typed (the service checks
    it and says which row is wrong); a row left wholly empty is skipped."""
    found = []
    for row in rows:
        element = lists.NewElement(
            name=form_text(form_data, f"name_{row}", 200),
            event_date=form_text(form_data, f"date_{row}", 10) or None,
            event_time=form_text(form_data, f"time_{row}", 8) or None,
            place=form_text(form_data, f"place_{row}", 200),
            spots=form_text(form_data, f"spots_{row}", 7),
        )
        if element.name or element.event_date or element.event_time or element.place:
            found.append(element)
    return found

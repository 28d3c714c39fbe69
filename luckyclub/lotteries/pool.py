"""A lottery list's side of its draw: the (element, entrant) snapshot it freezes at the lottery
time with the terms it is drawn by, and what follows the draw in the same transaction — pending
signups for the winners, the waitlists in drawn order, one email per account and one to the
creator. After that the list works first come, first served (lotteries/phase.py)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func
from sqlmodel import Session, col, select

from luckyclub.core import db, routes
from luckyclub.core.errors import UserError
from luckyclub.core.settings import get_settings
from luckyclub.core.words import count, when
from luckyclub.draws import Element, LotteryDraw, encode_lottery
from luckyclub.draws.proof import parameters_from_dict, parameters_to_dict
from luckyclub.draws.snapshot import LOTTERY
from luckyclub.lotteries import emails, lists, phase, signups
from luckyclub.models import (
    Draw,
    DrawWinner,
    FamilyMember,
    LotteryEntry,
    Signup,
    SignupList,
    SignupSource,
    SignupStatus,
    User,
    WaitlistEntry,
    id_of,
    table_of,
)
from luckyclub.platform import changes, draws, notify

NO_REROLL = (
    "A signup lottery cannot be rerolled: a spot its winner does not accept is offered to the "
    "next person on the element's waitlist."
)


class LotteryPool:
    kind = LOTTERY
    title = "Signup lottery"

    def schedule_missing(self, session: Session) -> int:
        return 0  # a lottery list's draw is made with the list (phase.sync_draw)

    def live_counts(self, session: Session, draw: Draw) -> tuple[int, int]:
        """Entrants (family members) and entries so far."""
        members, entries = session.exec(
            select(
                func.count(func.distinct(col(LotteryEntry.family_member_id))), func.count()
            ).where(LotteryEntry.list_id == draw.source_id)
        ).one()
        return members, entries

    def blocked(self, session: Session, draw: Draw, now: datetime) -> str | None:
        if session.get(SignupList, draw.source_id) is None:
            return "The list was deleted, so its lottery has nothing to draw."
        return None

    def freeze(self, session: Session, draw: Draw, now: datetime) -> bytes:
        """Every entry as (element name, the member's ref), and the terms it is drawn by: the
        elements in processing order with their spots, the limit, the waitlist and the groups."""
        signup_list = db.get_existing(session, SignupList, draw.source_id, for_update=True)
        elements = lists.ordered_elements(session, id_of(signup_list))
        names = lists.element_names(signup_list, elements)
        entries = _entries(session, id_of(signup_list))
        refs = _refs(draw, entries)
        taken = dict(
            session.exec(
                select(Signup.element_id, func.count())
                .where(Signup.list_id == signup_list.id)
                .group_by(col(Signup.element_id))
            ).all()
        )
        parameters = LotteryDraw(
            elements=tuple(
                Element(names[id_of(e)], max(e.spots - taken.get(id_of(e), 0), 0)) for e in elements
            ),
            per_member_limit=signup_list.per_member_limit,
            waitlist=signup_list.waitlist,
            groups=_groups(entries, names, refs) if signup_list.families_together else (),
        )
        draw.parameters = json.dumps(parameters_to_dict(parameters))
        draw.entrant_count = len(refs)
        draw.entry_count = len(entries)
        return encode_lottery((names[e.element_id], refs[e.member_id]) for e in entries)

    def parameters(self, draw: Draw, *, reroll: int, earlier: Sequence[DrawWinner]) -> LotteryDraw:
        if reroll:
            raise UserError(NO_REROLL)
        if draw.parameters is None:
            raise ValueError(f"Draw {draw.id} has no parameters: it was not frozen as a lottery.")
        parameters = parameters_from_dict(LOTTERY, json.loads(draw.parameters))
        assert isinstance(parameters, LotteryDraw)
        return parameters

    def owners(
        self, session: Session, draw: Draw, winners: Sequence[draws.Drawn]
    ) -> dict[str, int]:
        """Each winning member's account (a member removed meanwhile has none)."""
        entries = _drawn_entries(session, draw)
        refs = _refs(draw, entries)
        account = {e.member_id: e.user_id for e in entries}
        return {ref: account[member] for member, ref in refs.items()}

    def congratulate(self, session: Session, draw: Draw, winner: DrawWinner, user: User) -> None:
        """Nothing per spot: settle sends each account one email with all its results."""

    def settle(self, session: Session, draw: Draw, now: datetime) -> None:
        """Pending signups for the winners and the waitlists, in the draw's transaction, then one
        email per account that entered and one to the creator (once: by the draw's id)."""
        signup_list = db.get_existing(session, SignupList, draw.source_id, for_update=True)
        results = draws.runs_of(draw)[0]["result"]["elements"]
        outcome = _record(session, signup_list, draw, results, now)
        _email_entrants(session, signup_list, draw, outcome)
        _email_creator(session, signup_list, draw, outcome)
        changes.announce(
            session,
            changes.signup_list(id_of(signup_list)),
            *(changes.member(user_id) for user_id in outcome.accounts),
        )

    def voided(self, session: Session, draw: Draw, now: datetime) -> None:
        """Nothing to undo: the list works first come, first served from now on."""
        changes.announce(session, changes.signup_list(draw.source_id))

    def delivered(self, session: Session, draw: Draw, winner: DrawWinner, user: User) -> None:
        """A spot is not a prize to deliver: the winner accepts it (signups.accept)."""

    def topics(self, session: Session | None, draw: Draw) -> tuple[str, ...]:
        """A lottery's draw shows on its list's page and editor (in progress, results)."""
        return (changes.signup_list(draw.source_id),)


# ---- the entries and their terms ---------------------------------------------------------------


class _Entry(NamedTuple):
    element_id: int
    member_id: int
    user_id: int


def _entries(session: Session, list_id: int) -> list[_Entry]:
    """The list's entries, read as the driver's plain tuples (tens of thousands of them)."""
    query = (
        select(LotteryEntry.element_id, LotteryEntry.family_member_id, LotteryEntry.user_id)
        .where(LotteryEntry.list_id == list_id)
        .order_by(col(LotteryEntry.id))
    )
    return list(map(_Entry._make, db.plain_rows(session, query)))


def _drawn_entries(session: Session, draw: Draw) -> list[_Entry]:
    """The entries a draw's winners are found in: read once for owners and settle, which run in
    the draw's one transaction, where nobody can enter or remove (the lottery is in progress)."""
    key = ("lottery entries", draw.id)
    if key not in session.info:
        session.info[key] = _entries(session, draw.source_id)
    return session.info[key]


def _refs(draw: Draw, entries: Sequence[_Entry]) -> dict[int, str]:
    """Each entered family member's ref in this lottery (one per member, not per account)."""
    members = sorted({e.member_id for e in entries})
    return dict(zip(members, draws.refs_for(draw.pool_id, members), strict=True))


def _groups(
    entries: Sequence[_Entry], names: dict[int, str], refs: dict[int, str]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Families together: an account's members entered for one element win together or not at
    all. Only groups of two or more; in (element, refs) order, so the terms are canonical."""
    family: defaultdict[tuple[int, int], list[str]] = defaultdict(list)
    for e in entries:
        family[e.element_id, e.user_id].append(refs[e.member_id])
    return tuple(
        sorted(
            (names[element_id], tuple(sorted(members)))
            for (element_id, _), members in family.items()
            if len(members) > 1
        )
    )


# ---- what follows the draw -----------------------------------------------------------------------


@dataclass
class _Outcome:
    """What the run gave each family member, per element, for the emails."""

    names: dict[int, str]  # element id → its name in the lottery
    order: list[int]  # element ids in processing order
    rank: dict[int, int]  # element id → its place in that order
    entered: defaultdict[int, list[int]]  # member → elements entered
    expires_at: datetime  # the winners' deadline to accept
    won: dict[tuple[int, int], str]  # (element, member) → the pending signup's accept token
    waiting: dict[tuple[int, int], int]  # (element, member) → waitlist position
    accounts: dict[int, list[int]]  # account → its entered members, in id order
    entries: defaultdict[int, int]  # element → entries
    winners: defaultdict[int, int]  # element → spots won in this run
    waitlisted: defaultdict[int, int]  # element → people added to its waitlist


def _record(
    session: Session, signup_list: SignupList, draw: Draw, results: list[dict], now: datetime
) -> _Outcome:
    list_id = id_of(signup_list)
    elements = lists.ordered_elements(session, list_id)
    names = lists.element_names(signup_list, elements)
    element_of: dict[str, int] = {name: element_id for element_id, name in names.items()}
    entries = _drawn_entries(session, draw)
    member_of = {ref: member for member, ref in _refs(draw, entries).items()}
    account = {e.member_id: e.user_id for e in entries}
    outcome = _Outcome(
        expires_at=now + signups.OFFER_FOR,
        names=names,
        order=[id_of(e) for e in elements],
        rank={id_of(e): n for n, e in enumerate(elements)},
        entered=defaultdict(list),
        won={},
        waiting={},
        accounts={},
        entries=defaultdict(int),
        winners=defaultdict(int),
        waitlisted=defaultdict(int),
    )
    for e in entries:
        outcome.entered[e.member_id].append(e.element_id)
        outcome.entries[e.element_id] += 1
    for user_id, member_id in sorted({(e.user_id, e.member_id) for e in entries}):
        outcome.accounts.setdefault(user_id, []).append(member_id)

    held = set(
        session.exec(
            select(Signup.element_id, Signup.family_member_id).where(Signup.list_id == list_id)
        ).all()
    )
    queued = set(
        session.exec(
            select(WaitlistEntry.element_id, WaitlistEntry.family_member_id).where(
                WaitlistEntry.list_id == list_id
            )
        ).all()
    )
    last = dict(
        session.exec(
            select(WaitlistEntry.element_id, func.max(WaitlistEntry.position))
            .where(WaitlistEntry.list_id == list_id)
            .group_by(col(WaitlistEntry.element_id))
        ).all()
    )
    won_rows: list[dict] = []
    waiting_rows: list[dict] = []
    for result in results:
        element_id = element_of.get(result["name"])
        if element_id is None:
            continue  # deleted since the close (it cascaded its entries)
        for ref in result["winners"]:
            if (member := member_of.get(ref)) is None or (element_id, member) in held:
                continue  # removed from the family since the close; or holds it already
            held.add((element_id, member))
            token = signups.new_token()
            outcome.won[element_id, member] = token
            outcome.winners[element_id] += 1
            won_rows.append(
                {
                    "list_id": list_id,
                    "element_id": element_id,
                    "family_member_id": member,
                    "user_id": account[member],
                    "source": SignupSource.LOTTERY,
                    "status": SignupStatus.PENDING,
                    "expires_at": outcome.expires_at,
                    "accept_token": token,
                    "created_at": now,
                }
            )
        position = last.get(element_id) or 0
        for ref in result["waitlist"]:
            member = member_of.get(ref)
            if member is None or (element_id, member) in queued or (element_id, member) in held:
                continue
            queued.add((element_id, member))
            position += 1
            outcome.waiting[element_id, member] = position
            outcome.waitlisted[element_id] += 1
            waiting_rows.append(
                {
                    "list_id": list_id,
                    "element_id": element_id,
                    "family_member_id": member,
                    "user_id": account[member],
                    "position": position,
                    "created_at": now,
                }
            )
    _insert(session, Signup, won_rows)
    _insert(session, WaitlistEntry, waiting_rows)
    return outcome


def _insert(session: Session, model: type[Signup] | type[WaitlistEntry], rows: list[dict]) -> None:
    """Tens of thousands of rows at once (the ORM's unit of work takes many times longer)."""
    db.insert_rows(session, table_of(model), rows)


def _email_entrants(
    session: Session, signup_list: SignupList, draw: Draw, outcome: _Outcome
) -> None:
    """One email per account: for each of its family members, the spots won (each with its own
    accept link and deadline, in the account's timezone), waitlist places, and what did not win."""
    app_url = get_settings().app_url
    entered = select(LotteryEntry.family_member_id).where(LotteryEntry.list_id == signup_list.id)
    names = dict(
        session.exec(
            select(FamilyMember.id, FamilyMember.name).where(col(FamilyMember.id).in_(entered))
        ).all()
    )
    accounts = select(LotteryEntry.user_id).where(LotteryEntry.list_id == signup_list.id)
    users = {user.id: user for user in session.exec(select(User).where(col(User.id).in_(accounts)))}
    notices = []
    for user_id, member_ids in outcome.accounts.items():
        user = users.get(user_id)
        if user is None:
            continue
        deadline = when(outcome.expires_at, user.timezone)
        lines: list[str] = []
        won = 0
        for member_id in member_ids:
            name = names.get(member_id, "Your family member")
            for element_id in _in_order(outcome, outcome.entered[member_id]):
                element = outcome.names[element_id]
                if token := outcome.won.get((element_id, member_id)):
                    won += 1
                    lines.append(
                        f"{name} won a spot: {element}. Accept it by {deadline}: "
                        f"{app_url}{routes.offer_page(token)}"
                    )
                elif position := outcome.waiting.get((element_id, member_id)):
                    lines.append(f"{name} is number {position} on the waitlist: {element}.")
                else:
                    lines.append(f"{name} did not win a spot: {element}.")
        context = {
            "list_title": signup_list.title,
            "results": "\n".join(lines),
            "won": str(won),
            "link": app_url + routes.MY_SIGNUPS,
        }
        notices.append(notify.Notice(user, f"lottery-{draw.id}-account-{user_id}", context))
    notify.notify_all(session, notify.LOTTERY_RESULT, notices, email=emails.LOTTERY_RESULT)


def _email_creator(
    session: Session, signup_list: SignupList, draw: Draw, outcome: _Outcome
) -> None:
    creator = session.get(User, signup_list.creator_id)
    if creator is None:
        return
    lines = []
    for element_id in outcome.order:
        line = (
            f"{outcome.names[element_id]}: {count(outcome.entries[element_id], 'entry', 'entries')}"
            f", {count(outcome.winners[element_id], 'spot')} filled (pending acceptance)"
        )
        if signup_list.waitlist:
            line += f", {outcome.waitlisted[element_id]:,} on the waitlist"
        lines.append(line + ".")
    notify.notify(
        session,
        creator,
        notify.LOTTERY_RESULT,
        unique_id=f"lottery-{draw.id}-creator",
        email=emails.LOTTERY_CREATOR,
        list_title=signup_list.title,
        results="\n".join(lines),
        link=get_settings().app_url + routes.list_editor(id_of(signup_list)),
    )


def _in_order(outcome: _Outcome, element_ids: list[int]) -> list[int]:
    return sorted((e for e in element_ids if e in outcome.rank), key=outcome.rank.__getitem__)


draws.register_pool(phase.MODE, LotteryPool())

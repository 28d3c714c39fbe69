"""Prize competitions: the admin's lifecycle (draft → active → drawn, or cancelled) and what the
public sees of them. Prize pictures live in pictures.py, the minimum-tickets rule in minimum.py,
tickets and money in checkout.py, fulfilment.py and refunds.py.

A competition's phase is its stored status read against the clock: an active competition is
"upcoming" before it starts, on sale until it ends, then "ended" until its draw; so nothing has to
flip a status at midnight, and a competition can never be on sale after its end date.
"""

from __future__ import annotations

import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from luckyclub.core import security
from luckyclub.core.errors import UserError
from luckyclub.core.money import money  # noqa: F401 - pages and services format prices from here
from luckyclub.core.settings import get_settings
from luckyclub.models import (
    Competition,
    CompetitionStatus,
    Draw,
    DrawStatus,
    Ticket,
    TicketOrder,
    TicketStatus,
    User,
    id_of,
    utcnow,
)
from luckyclub.platform import audit, changes, draw_actions, draws, file_store
from luckyclub.platform.permissions import require_admin


class Phase(StrEnum):
    """Where a competition stands for the public: its status, with an active one split by time.
    Compare phases with Phase and statuses with CompetitionStatus, never one with the other."""

    DRAFT = "draft"
    UPCOMING = "upcoming"
    ON_SALE = "active"
    ENDED = "ended"
    DRAWN = "drawn"
    CANCELLED = "cancelled"


PUBLIC_PHASES = (Phase.ON_SALE, Phase.UPCOMING, Phase.ENDED, Phase.DRAWN)
MODE = "competition"  # a competition's draw is the pool (competition, competition id)
CLOSING_SOON = timedelta(hours=24)
MAX_TICKETS = 1_000_000
EDITABLE = (
    "title",
    "prize",
    "description",
    "ticket_price_pence",
    "max_tickets",
    "per_person_limit",
    "min_tickets",
    "starts_at",
    "ends_at",
    "draw_at",
    "question",
    "choices",
    "answer",
    "winners",
    "distinct_winners",
)
# Changing these once tickets are sold would change what buyers paid for.
FROZEN_AFTER_SALES = ("ticket_price_pence", "question", "choices", "answer", "starts_at")


# ---- reading ---------------------------------------------------------------------------------


def phase(competition: Competition, now: datetime | None = None) -> Phase:
    """draft, upcoming, active (on sale), ended (sales closed, not drawn), drawn or cancelled."""
    now = now or utcnow()
    if competition.status != CompetitionStatus.ACTIVE:
        return Phase(competition.status)
    if now < competition.starts_at:
        return Phase.UPCOMING
    if now < competition.ends_at:
        return Phase.ON_SALE
    return Phase.ENDED


def on_sale(competition: Competition, now: datetime | None = None) -> bool:
    return phase(competition, now) == Phase.ON_SALE and competition.sold < competition.max_tickets


def left(competition: Competition) -> int:
    """Tickets nobody has bought or holds in an open checkout."""
    return max(competition.max_tickets - competition.sold - competition.held, 0)


def closing_soon(competition: Competition, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return phase(competition, now) == Phase.ON_SALE and competition.ends_at - now <= CLOSING_SOON


def choices_of(competition: Competition) -> list[str]:
    return json.loads(competition.choices or "[]")


def images_of(competition: Competition) -> list[str]:
    return json.loads(competition.images or "[]")


def topics(competition_id: int) -> tuple[str, str]:
    """The topics a change to a competition is announced on: its page and the public list."""
    return changes.competition(competition_id), changes.COMPETITIONS


def announce(session: Session, competition_id: int, *buyers: int | None) -> None:
    """Say, in the unit of work that changes it, that a competition changed (its details,
    status, pictures or counts), and so did the own pages of `buyers` (members whose orders or
    tickets changed; None for a postal entrant without an account)."""
    members = [changes.member(user_id) for user_id in buyers if user_id is not None]
    changes.announce(session, *topics(competition_id), *members)


def get(session: Session, competition_id: int) -> Competition:
    competition = session.get(Competition, competition_id)
    if competition is None:
        raise UserError("That competition does not exist.")
    return competition


def find(session: Session, competition_id: int | None) -> Competition | None:
    """The competition with this id, or None (for a page that shows "not found")."""
    return session.get(Competition, competition_id) if competition_id else None


def get_public(session: Session, competition_id: int) -> Competition:
    """A competition the public may see (not a draft); otherwise "does not exist"."""
    competition = session.get(Competition, competition_id)
    if competition is None or competition.status == CompetitionStatus.DRAFT:
        raise UserError("That competition does not exist.")
    return competition


def list_public(
    session: Session, status: str | None = None, now: datetime | None = None, *, limit: int = 100
) -> list[Competition]:
    """Published competitions in one phase (or all): featured first, then the soonest to end;
    ended and drawn ones most recent first."""
    now = now or utcnow()
    query = select(Competition)
    live = Competition.status == CompetitionStatus.ACTIVE
    if status in (None, ""):
        query = query.where(col(Competition.status).in_(PUBLIC_STATUSES))
    elif status == Phase.UPCOMING:
        query = query.where(live, Competition.starts_at > now)
    elif status == Phase.ON_SALE:
        query = query.where(live, Competition.starts_at <= now, Competition.ends_at > now)
    elif status == Phase.ENDED:
        query = query.where(live, Competition.ends_at <= now)
    elif status in (Phase.DRAWN, Phase.CANCELLED):
        query = query.where(Competition.status == CompetitionStatus(status))
    else:
        known = ", ".join((*PUBLIC_PHASES, Phase.CANCELLED))
        raise UserError(f"Unknown status {status!r}: use one of {known}, or none for all.")
    order: tuple[sa.SQLColumnExpression[Any], ...]
    if status in (Phase.ENDED, Phase.DRAWN, Phase.CANCELLED):
        order = (col(Competition.ends_at).desc(), col(Competition.id).desc())
    else:
        order = (col(Competition.featured).desc(), col(Competition.ends_at), col(Competition.id))
    return list(session.exec(query.order_by(*order).limit(limit)))


PUBLIC_STATUSES = (CompetitionStatus.ACTIVE, CompetitionStatus.DRAWN, CompetitionStatus.CANCELLED)


def list_all(session: Session, *, limit: int = 200) -> list[Competition]:
    """Every competition, drafts included, newest first (the admin console)."""
    query = select(Competition).order_by(col(Competition.id).desc()).limit(limit)
    return list(session.exec(query))


def draw_of(session: Session, competition_id: int) -> Draw | None:
    """The competition's draw (every competition has one from its creation)."""
    return draws.draw_of(session, MODE, competition_id)


def draw_status_after_close(session: Session, competition_id: int, *, shared: bool) -> str | None:
    """The status of the competition's draw, read once no close is under way.

    The competition row is locked first: a closing draw holds it while it freezes the tickets
    (CompetitionPool.freeze), so a change to the tickets made under this lock is either in the
    snapshot or refused, never committed beside a snapshot that missed it."""
    session.get(
        Competition,
        competition_id,
        with_for_update={"read": True} if shared else True,
        populate_existing=True,
    )
    return session.exec(
        select(Draw.status).where(Draw.mode == MODE, Draw.source_id == competition_id)
    ).first()


def schedule_draw(session: Session, competition: Competition) -> Draw:
    """The competition's draw, its commitment public from the moment the competition exists;
    while it is scheduled, edits (title, prize, winners, draw date) are carried to it."""
    return draws.sync(
        session,
        MODE,
        id_of(competition),
        title=competition.title,
        prize=competition.prize,
        winners_wanted=competition.winners,
        distinct_winners=competition.distinct_winners,
        draw_at=competition.draw_at,
    )


def active_tickets(session: Session, competition_id: int) -> int:
    query = select(func.count()).where(
        Ticket.competition_id == competition_id, Ticket.status == TicketStatus.ACTIVE
    )
    return session.exec(query).one()


# ---- checking what an admin typed -----------------------------------------------------------


_AMOUNT = re.compile(r"\d{1,9}(?:\.\d+)?")  # up to £999,999,999; longer is no amount anyone means


def parse_money(text: str | int | None, *, field: str = "ticket_price") -> int:
    """ "2.50", "£2.50" or "2" → 250 pence; a sentence if it is not an amount of money."""
    if isinstance(text, int):
        return text
    cleaned = str(text or "").strip().removeprefix("£").replace(",", "")
    if not _AMOUNT.fullmatch(cleaned):  # not "5e3", "NaN" or 5,000 digits: Decimal takes those
        raise UserError("Give the price in pounds, like 2.50.", field=field)
    amount = Decimal(cleaned)
    if amount != amount.quantize(Decimal("0.01")):
        raise UserError("A price has at most two decimal places, like 2.50.", field=field)
    return int(amount * 100)


def _normalise_answer(answer: str) -> str:
    return " ".join(str(answer or "").split()).casefold()


def answer_hash(answer: str) -> str:
    """The stored form of the right answer: keyed, so the database alone does not reveal it."""
    return security.keyed_hash("competition-answer", _normalise_answer(answer))


def is_right_answer(competition: Competition, answer: str) -> bool:
    return hmac.compare_digest(answer_hash(answer), competition.answer_hash)


def _int(value: object, field: str, words: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise UserError(f"{words} must be a whole number.", field=field) from None
    if not low <= number <= high:
        raise UserError(f"{words} must be between {low:,} and {high:,}.", field=field)
    return number


def _checked(fields: dict) -> dict:
    clean = dict(fields)
    for name, low, high in (("title", 3, 120), ("prize", 2, 200), ("question", 5, 300)):
        if name in clean:
            clean[name] = " ".join(str(clean[name] or "").split())
            if not low <= len(clean[name]) <= high:
                raise UserError(f"The {name} needs {low} to {high} characters.", field=name)
    if "description" in clean:
        clean["description"] = str(clean["description"] or "").strip()[:5000]
    if "ticket_price_pence" in clean:
        price = parse_money(clean["ticket_price_pence"])
        if not 0 < price <= 100_000:
            raise UserError("A ticket costs between £0.01 and £1,000.", field="ticket_price")
        clean["ticket_price_pence"] = price
    for name, words, low, high in (
        ("max_tickets", "The number of tickets", 1, MAX_TICKETS),
        ("per_person_limit", "The per-person limit", 1, MAX_TICKETS),
        ("min_tickets", "The minimum number of tickets", 0, MAX_TICKETS),
        ("winners", "The number of winners", 1, 100),
    ):
        if name in clean:
            clean[name] = _int(clean[name], name, words, low, high)
    if "distinct_winners" in clean:
        clean["distinct_winners"] = bool(clean["distinct_winners"])
    if "choices" in clean:
        choices = clean["choices"]
        if isinstance(choices, str):
            choices = choices.splitlines()
        choices = [" ".join(str(c).split()) for c in choices if str(c).strip()]
        if not 2 <= len(choices) <= 6 or len(set(map(str.casefold, choices))) != len(choices):
            raise UserError("Give 2 to 6 different answers to choose from.", field="choices")
        if any(len(choice) > 100 for choice in choices):
            raise UserError(
                "Each answer to choose from has at most 100 characters.", field="choices"
            )
        clean["choices"] = choices
    for name in ("starts_at", "ends_at", "draw_at"):
        if name in clean:
            moment = clean[name]
            if not isinstance(moment, datetime) or moment.tzinfo is None:
                raise UserError("Give a date and a time.", field=name)
            clean[name] = moment.replace(microsecond=0)
    return clean


def _check_whole(competition: Competition, now: datetime) -> None:
    """The rules that tie fields together, checked on the competition as it would be saved."""
    if competition.ends_at <= competition.starts_at:
        raise UserError("The end date must come after the start date.", field="ends_at")
    if competition.draw_at < competition.ends_at:
        raise UserError("The draw date must be at or after the end date.", field="draw_at")
    if competition.min_tickets > competition.max_tickets:
        raise UserError("The minimum cannot exceed the number of tickets.", field="min_tickets")
    if competition.max_tickets < competition.sold + competition.held:
        raise UserError(
            f"{competition.sold + competition.held:,} tickets are sold or in checkouts already; "
            "the number of tickets cannot go below that.",
            field="max_tickets",
        )
    if competition.winners > competition.max_tickets:
        raise UserError("There cannot be more winners than tickets.", field="winners")
    choices = choices_of(competition)
    if not any(is_right_answer(competition, choice) for choice in choices):
        raise UserError(
            "The right answer must be one of the answers to choose from.", field="answer"
        )


def _apply(competition: Competition, clean: dict) -> list[str]:
    changed = []
    for name, value in clean.items():
        if name == "answer":
            if not is_right_answer(competition, value):
                competition.answer_hash = answer_hash(value)
                changed.append(name)
        elif name == "choices":
            if choices_of(competition) != value:
                competition.choices = json.dumps(value)
                changed.append(name)
        elif getattr(competition, name) != value:
            setattr(competition, name, value)
            changed.append(name)
    return changed


# ---- the admin's lifecycle -------------------------------------------------------------------


def create(session: Session, admin: User, *, now: datetime | None = None, **fields) -> Competition:
    """A new competition, as a draft; its draw (and the draw's public commitment) is made now."""
    require_admin(admin)
    now = now or utcnow()
    for name in ("title", "prize", "question", "choices", "answer"):
        fields.setdefault(name, "")  # so a missing field gets its sentence, too
    for name, words in (
        ("ticket_price_pence", "ticket price"),
        ("max_tickets", "number of tickets"),
        ("ends_at", "end date"),
    ):
        if fields.get(name) in (None, ""):
            raise UserError(f"Give the {words}.", field=name)
    fields.setdefault("starts_at", now)
    fields.setdefault("draw_at", fields["ends_at"])
    clean = _checked({k: v for k, v in fields.items() if k in EDITABLE})
    competition = Competition(
        title="",
        prize="",
        ticket_price_pence=1,
        max_tickets=1,
        starts_at=now,
        ends_at=now,
        draw_at=now,
        question="",
        answer_hash="",
    )
    _apply(competition, clean)
    competition.per_person_limit = clean.get("per_person_limit", competition.max_tickets)
    _check_whole(competition, now)
    if competition.ends_at <= now:
        raise UserError("The end date must be in the future.", field="ends_at")
    session.add(competition)
    session.flush()
    announce(session, id_of(competition))
    schedule_draw(session, competition)
    audit.record(
        session, admin, "competition.create", "competition", competition.id, competition.title
    )
    return competition


def update(
    session: Session, admin: User, competition_id: int, *, now: datetime | None = None, **fields
) -> Competition:
    require_admin(admin)
    now = now or utcnow()
    competition = _locked(session, competition_id)
    if competition.status in (CompetitionStatus.DRAWN, CompetitionStatus.CANCELLED):
        raise UserError(f"This competition is {competition.status}: it can no longer be edited.")
    clean = _checked({k: v for k, v in fields.items() if k in EDITABLE})
    # Checked on a detached copy first, so a refused edit leaves nothing half-changed.
    preview = Competition(**competition.model_dump())
    changed = _apply(preview, clean)
    frozen = [name for name in changed if name in FROZEN_AFTER_SALES]
    if frozen and competition.sold + competition.held > 0:
        raise UserError(
            "Tickets are sold already, so the price, start date, question and answers "
            f"can no longer change ({', '.join(frozen)}).",
            field=frozen[0],
        )
    for name in ("ends_at", "draw_at"):
        if name in changed and getattr(preview, name) <= now < getattr(competition, name):
            raise UserError("Dates that are still to come must stay in the future.", field=name)
    _check_whole(preview, now)
    _apply(competition, clean)
    _sync_draw(session, competition, now)
    if changed:
        competition.updated_at = now
        announce(session, competition_id)
        audit.record(
            session, admin, "competition.edit", "competition", competition.id, ", ".join(changed)
        )
    return competition


def _sync_draw(session: Session, competition: Competition, now: datetime) -> None:
    schedule_draw(session, competition)
    if competition.below_minimum_at and competition.ends_at > now:
        competition.below_minimum_at = None  # extended: the minimum is checked again at the end


def duplicate(session: Session, admin: User, competition_id: int, now: datetime | None = None):
    """A draft copy: same prize, question and settings, dates moved to start tomorrow if past."""
    require_admin(admin)
    now = (now or utcnow()).replace(microsecond=0)
    source = get(session, competition_id)
    shift = timedelta(0)
    if source.ends_at <= now:
        shift = now + timedelta(days=1) - source.starts_at
    folder = get_settings().competition_image_dir
    copy = Competition(
        **{
            name: getattr(source, name)
            for name in (
                "prize",
                "description",
                "ticket_price_pence",
                "currency",
                "max_tickets",
                "per_person_limit",
                "min_tickets",
                "question",
                "choices",
                "answer_hash",
                "winners",
                "distinct_winners",
            )
        },
        title=f"{source.title} (copy)"[:120],
        starts_at=source.starts_at + shift,
        ends_at=source.ends_at + shift,
        draw_at=source.draw_at + shift,
        images=json.dumps(
            [
                copied
                for name in images_of(source)
                if (copied := file_store.copy_for(session, folder, name)) is not None
            ]
        ),
    )
    session.add(copy)
    session.flush()
    announce(session, id_of(copy))
    schedule_draw(session, copy)
    audit.record(session, admin, "competition.duplicate", "competition", copy.id, f"of {source.id}")
    return copy


def activate(
    session: Session, admin: User, competition_id: int, now: datetime | None = None
) -> Competition:
    """Publish a draft: visible at once, on sale from its start date."""
    require_admin(admin)
    now = now or utcnow()
    competition = _locked(session, competition_id)
    if competition.status != CompetitionStatus.DRAFT:
        raise UserError(f"Only a draft can be activated; this one is {competition.status}.")
    if competition.ends_at <= now:
        raise UserError("Move the end date into the future before activating.", field="ends_at")
    competition.status, competition.updated_at = CompetitionStatus.ACTIVE, now
    announce(session, competition_id)
    audit.record(session, admin, "competition.activate", "competition", competition.id)
    return competition


def can_deactivate(competition: Competition) -> bool:
    """Active and nobody has bought or holds a ticket: hiding it would strand nobody."""
    return (
        competition.status == CompetitionStatus.ACTIVE
        and not competition.sold
        and not competition.held
    )


def deactivate(
    session: Session, admin: User, competition_id: int, now: datetime | None = None
) -> Competition:
    """Take a published competition back to draft, while nobody has bought or holds a ticket."""
    require_admin(admin)
    competition = _locked(session, competition_id)
    if competition.status != CompetitionStatus.ACTIVE:
        raise UserError(
            f"Only an active competition can be deactivated; this one is {competition.status}."
        )
    if not can_deactivate(competition):
        raise UserError(
            "People have tickets in this competition, so it cannot be hidden. "
            "Cancel it (every order is refunded) or let it run."
        )
    competition.status, competition.updated_at = CompetitionStatus.DRAFT, now or utcnow()
    announce(session, competition_id)
    audit.record(session, admin, "competition.deactivate", "competition", competition.id)
    return competition


def set_featured(session: Session, admin: User, competition_id: int, featured: bool) -> Competition:
    require_admin(admin)
    competition = get(session, competition_id)
    competition.featured = bool(featured)
    announce(session, competition_id)
    action = "competition.feature" if featured else "competition.unfeature"
    audit.record(session, admin, action, "competition", competition.id)
    return competition


def remove(session: Session, admin: User, competition_id: int) -> None:
    """Delete a draft nobody ever ordered from, with its (never used) draw and its images."""
    require_admin(admin)
    competition = _locked(session, competition_id)
    if competition.status != CompetitionStatus.DRAFT:
        raise UserError("Only a draft can be deleted. Cancel a published competition instead.")
    has_orders = session.exec(
        select(TicketOrder.id).where(TicketOrder.competition_id == competition_id).limit(1)
    ).first()
    if has_orders is not None:
        raise UserError("This draft has orders from when it was published, so it is kept.")
    announce(session, competition_id)
    if (draw := draw_of(session, competition_id)) is not None:
        draws.announce(session, draw)  # gone from the admin's draws too
    session.exec(delete(Draw).where(col(Draw.mode) == MODE, col(Draw.source_id) == competition_id))
    images = images_of(competition)
    audit.record(
        session, admin, "competition.delete", "competition", competition_id, competition.title
    )
    session.delete(competition)
    session.flush()
    for name in images:
        file_store.discard_after_commit(session, get_settings().competition_image_dir, name)


def _locked(session: Session, competition_id: int) -> Competition:
    competition = session.get(
        Competition, competition_id, with_for_update=True, populate_existing=True
    )
    if competition is None:
        raise UserError("That competition does not exist.")
    return competition


def extend(
    session: Session,
    admin: User,
    competition_id: int,
    *,
    ends_at: datetime,
    draw_at: datetime | None = None,
    now: datetime | None = None,
) -> Competition:
    """Give a competition more time to sell (its minimum was not reached, or for any reason)."""
    require_admin(admin)
    now = now or utcnow()
    get(session, competition_id)
    if not isinstance(ends_at, datetime) or ends_at <= now:
        raise UserError("The new end date must be in the future.", field="ends_at")
    draw = draw_of(session, competition_id)
    if draw is not None and draw.status != DrawStatus.SCHEDULED:
        raise UserError("The draw has closed its entries already, so the dates are final.")
    return update(
        session,
        admin,
        competition_id,
        ends_at=ends_at,
        draw_at=max(draw_at or ends_at, ends_at),
        now=now,
    )


@dataclass(frozen=True)
class Counts:
    sold: int
    held: int
    left: int
    max_tickets: int

    @property
    def percent(self) -> int:
        return min(100, self.sold * 100 // self.max_tickets) if self.max_tickets else 0


def counts(session: Session, competition: Competition) -> Counts:
    """`sold` is the tickets in the draw: a refunded or void one no longer counts, though its
    number is never handed out again (so `left` still leaves it out)."""
    return Counts(
        active_tickets(session, id_of(competition)),
        competition.held,
        left(competition),
        competition.max_tickets,
    )


def cancel(
    session: Session, admin: User, competition_id: int, reason: str, now: datetime | None = None
) -> Competition:
    """Call a competition off: its draw is void (the seed revealed), open checkouts released and
    every paid order refunded (competitions/pool.py does that when the draw is void)."""
    require_admin(admin)
    draw = draw_of(session, competition_id)
    competition = get(session, competition_id)
    if draw is None or competition.status in (CompetitionStatus.DRAWN, CompetitionStatus.CANCELLED):
        raise UserError(f"This competition is {competition.status}: it cannot be cancelled.")
    if draw.status == DrawStatus.VOID:
        # Closed with nobody to draw by a version whose close did not cancel the competition:
        # the draw is void already, so only the competition's side is left to do.
        reason = audit.checked_reason(reason)
        draws.pool_of(draw).voided(session, draw, now or utcnow())
        audit.record(session, admin, "competition.cancel", "competition", competition_id, reason)
    else:
        draw_actions.void(session, admin, id_of(draw), reason, now)
    session.refresh(competition)
    return competition

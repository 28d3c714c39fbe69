"""Monthly raffles: creating and opening them, the monthly rollover, base entries and carry-over."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from luckyclub.club import ledger
from luckyclub.core import db, routes
from luckyclub.core.errors import UserError
from luckyclub.core.settings import get_settings
from luckyclub.draws import WeightedDraw, encode_weighted
from luckyclub.draws.snapshot import WEIGHTED
from luckyclub.models import (
    Draw,
    EntryLedger,
    LedgerSource,
    Membership,
    MembershipStatus,
    Raffle,
    RaffleStatus,
    User,
    id_of,
    utcnow,
)
from luckyclub.platform import audit, changes, draws, file_store, notify, programs, roles, uploads

MODE = "raffle"  # a raffle's draw is the pool (raffle, raffle id)
_MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
EDITABLE = (
    "title",
    "prize",
    "description",
    "base_entries",
    "carry_over_percent",
    "winners",
    "closes_at",
)


def month_of(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m")


def next_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{year + number // 12}-{number % 12 + 1:02d}"


def month_end(month: str) -> datetime:
    """The last second of a month, UTC: the default closing time."""
    following = next_month(month)
    return datetime(int(following[:4]), int(following[5:]), 1, tzinfo=UTC) - timedelta(seconds=1)


def _of_program(session: Session, program_id: int | None):
    """Raffles of one program: the members' club's unless another is named."""
    return select(Raffle).where(Raffle.program_id == (program_id or programs.club_id(session)))


def month_label(month: str) -> str:
    """ "2026-12" as people say it: "December 2026"."""
    return datetime(int(month[:4]), int(month[5:]), 1, tzinfo=UTC).strftime("%B %Y")


def next_opening(session: Session, now: datetime | None = None) -> datetime | None:
    """When the club's next raffle opens if none is open now: the rollover job opens next month's
    on the 1st at 00:00 UTC, copying the last one. None when that is up to an admin: no raffle to
    copy yet, or this or next month's raffle is waiting as a draft."""
    month = month_of(now or utcnow())
    club = _of_program(session, None)
    waiting = session.exec(
        club.where(
            col(Raffle.month).in_([month, next_month(month)]),
            Raffle.status == RaffleStatus.DRAFT,
        )
    ).first()
    earlier = session.exec(club.where(Raffle.month <= month)).first()
    if waiting is not None or earlier is None:
        return None
    return month_end(month) + timedelta(seconds=1)


def raffle_for_month(session: Session, month: str, program_id: int | None = None) -> Raffle | None:
    return session.exec(_of_program(session, program_id).where(Raffle.month == month)).first()


def current_raffle(
    session: Session, now: datetime | None = None, program_id: int | None = None
) -> Raffle | None:
    """The open raffle members earn entries in now: this month's, else the latest still open."""
    now = now or utcnow()
    open_now = _of_program(session, program_id).where(
        Raffle.status == RaffleStatus.OPEN, Raffle.closes_at > now
    )
    return (
        session.exec(open_now.where(Raffle.month == month_of(now))).first()
        or session.exec(open_now.order_by(col(Raffle.month).desc())).first()
    )


def list_raffles(
    session: Session, *, limit: int = 24, program_id: int | None = None
) -> list[Raffle]:
    query = _of_program(session, program_id).order_by(col(Raffle.month).desc()).limit(limit)
    return list(session.exec(query))


def draw_of(session: Session, raffle_id: int) -> Draw | None:
    """The raffle's draw (every raffle has one from its creation)."""
    return draws.draw_of(session, MODE, raffle_id)


def schedule_draw(session: Session, raffle: Raffle) -> Draw:
    """The raffle's draw, made with its commitment the first time; while it is scheduled, the
    raffle's edits (title, prize, winners, closing time) are carried to it."""
    return draws.sync(
        session,
        MODE,
        id_of(raffle),
        title=raffle.title,
        prize=raffle.prize,
        winners_wanted=raffle.winners,
        draw_at=raffle.closes_at,
    )


def member_ref(session: Session, raffle_id: int, user_id: int) -> tuple[str, int | None]:
    """A member's entrant ref in a raffle's pool, and the pool's draw id (None if none yet)."""
    draw = draw_of(session, raffle_id)
    return draws.ref_for(draws.pool_name(MODE, raffle_id), user_id), (draw.id if draw else None)


def winners_of(session: Session, raffle_id: int) -> frozenset[int] | None:
    """The members who won the raffle; None while it is not drawn."""
    return draws.winners_of(session, MODE, raffle_id)


def last_closed_raffle(session: Session, now: datetime | None = None) -> Raffle | None:
    """The club raffle that closed most recently (drawn or waiting for its draw): what members
    see until the next one opens."""
    now = now or utcnow()
    return session.exec(
        _of_program(session, None)
        .where(Raffle.status != RaffleStatus.DRAFT, Raffle.closes_at <= now)
        .order_by(col(Raffle.closes_at).desc())
    ).first()


# ---- admin: create, edit, open -------------------------------------------------------------


def _checked(fields: dict, *, now: datetime) -> dict:
    clean = dict(fields)
    for name, low, high in (("title", 3, 120), ("prize", 2, 200)):
        if name in clean:
            clean[name] = " ".join(str(clean[name] or "").split())
            if not low <= len(clean[name]) <= high:
                raise UserError(f"The {name} needs {low} to {high} characters.", field=name)
    if "description" in clean:
        clean["description"] = str(clean["description"] or "").strip()[:5000]
    for name, low, high, words in (
        ("base_entries", 0, 1000, "Base entries"),
        ("carry_over_percent", 0, 100, "The carry-over percentage"),
        ("winners", 1, 100, "The number of winners"),
    ):
        if name in clean:
            try:
                clean[name] = int(clean[name])
            except (TypeError, ValueError):
                raise UserError(f"{words} must be a whole number.", field=name) from None
            if not low <= clean[name] <= high:
                raise UserError(f"{words} must be between {low} and {high}.", field=name)
    if "closes_at" in clean:
        closes_at = clean["closes_at"]
        if not isinstance(closes_at, datetime) or closes_at.tzinfo is None:
            raise UserError("Give the closing time as a date and time.", field="closes_at")
        if closes_at <= now:
            raise UserError("The closing time must be in the future.", field="closes_at")
    return clean


def create(
    session: Session,
    admin: User,
    *,
    month: str,
    now: datetime | None = None,
    program_id: int | None = None,
    **fields,
) -> Raffle:
    """A draft raffle of a program (the club's unless named): its platform admins or moderators."""
    program_id = program_id or programs.club_id(session)
    roles.require_program_moderator(session, admin, program_id)
    now = now or utcnow()
    month = (month or "").strip()
    if not _MONTH_RE.match(month):
        raise UserError("Choose the raffle's month, like 2026-12.", field="month")
    if month < month_of(now):
        raise UserError("That month has passed; choose this month or a later one.", field="month")
    fields.setdefault("closes_at", month_end(month))
    fields.setdefault("title", "")  # so a missing title or prize gets its sentence, too
    fields.setdefault("prize", "")
    clean = _checked(fields, now=now)
    if raffle_for_month(session, month, program_id):
        raise UserError(f"There is already a raffle for {month}; edit that one.", field="month")
    raffle = Raffle(program_id=program_id, month=month, **clean)
    session.add(raffle)
    session.flush()
    changes.announce(session, changes.CLUB)
    schedule_draw(session, raffle)  # its commitment is public before any entry
    audit.record(session, admin, "raffle.create", "raffle", raffle.id, f"{month}: {raffle.title}")
    return raffle


def update(
    session: Session, admin: User, raffle_id: int, *, now: datetime | None = None, **fields
) -> Raffle:
    raffle = _get(session, raffle_id)
    roles.require_program_moderator(session, admin, raffle.program_id)
    if raffle.status == RaffleStatus.CLOSED:
        raise UserError("A closed raffle cannot be edited: its entries are final.")
    clean = _checked({k: v for k, v in fields.items() if k in EDITABLE}, now=now or utcnow())
    changed = [name for name, value in clean.items() if getattr(raffle, name) != value]
    for name in changed:
        setattr(raffle, name, clean[name])
    schedule_draw(session, raffle)
    if changed:
        changes.announce(session, changes.CLUB)
        audit.record(session, admin, "raffle.edit", "raffle", raffle.id, ", ".join(changed))
    return raffle


def set_image(
    session: Session, admin: User, raffle_id: int, *, filename: str, data: bytes, claimed_type: str
) -> Raffle:
    """Give a raffle its prize picture: checked and re-encoded like a proof, stored privately."""
    raffle = _get(session, raffle_id)
    roles.require_program_moderator(session, admin, raffle.program_id)
    checked = uploads.check_upload(
        filename,
        data,
        claimed_type,
        allowed=uploads.IMAGE_TYPES,
        refusal=uploads.NOT_A_PICTURE,
    )
    folder = get_settings().raffle_image_dir
    old_name, raffle.image_name = (
        raffle.image_name,
        file_store.store_for(session, folder, checked.data, checked.file_type.extension),
    )
    changes.announce(session, changes.CLUB)
    audit.record(session, admin, "raffle.image", "raffle", raffle.id, filename[:200])
    if old_name:
        file_store.discard_after_commit(session, folder, old_name)
    return raffle


def image_file(session: Session, raffle_id: int) -> tuple[Path, str] | None:
    """The prize picture of a raffle members can see: (path, content type), or None."""
    raffle = session.get(Raffle, raffle_id)
    if raffle is None or raffle.status == RaffleStatus.DRAFT or not raffle.image_name:
        return None
    path = file_store.path_for(get_settings().raffle_image_dir, raffle.image_name)
    return (path, file_store.content_type(path)) if path.exists() else None


def open_raffle(
    session: Session, admin: User, raffle_id: int, *, now: datetime | None = None
) -> tuple[Raffle, int]:
    """Open a draft raffle to entries, crediting base entries to every active member."""
    raffle = _get(session, raffle_id)
    roles.require_program_moderator(session, admin, raffle.program_id)
    now = now or utcnow()
    if raffle.status == RaffleStatus.CLOSED:
        raise UserError("This raffle has closed; it cannot be opened again.")
    if raffle.closes_at <= now:
        raise UserError("Move the closing time into the future before opening the raffle.")
    raffle.status = RaffleStatus.OPEN
    session.flush()
    changes.announce(session, changes.CLUB)
    schedule_draw(session, raffle)
    credited = credit_active_members(session, raffle, now=now)
    audit.record(session, admin, "raffle.open", "raffle", raffle.id, f"{credited} members credited")
    return raffle, credited


def get(session: Session, raffle_id: int) -> Raffle:
    """The raffle with this id; refused as a sentence when it no longer exists."""
    return _get(session, raffle_id)


def _get(session: Session, raffle_id: int) -> Raffle:
    raffle = session.get(Raffle, raffle_id)
    if raffle is None:
        raise UserError("That raffle no longer exists.")
    return raffle


# ---- base entries, rollover, carry-over --------------------------------------------------


BASE_REASON = "Monthly membership"  # what the member reads in their ledger, whoever credits it


def credit_base_entries(
    session: Session,
    raffle: Raffle | None,
    user_id: int,
    *,
    now: datetime | None = None,
) -> EntryLedger | None:
    """A member's base entries for a raffle: once per member per raffle, whatever asks twice."""
    if raffle is None or raffle.status != RaffleStatus.OPEN or raffle.base_entries <= 0:
        return None
    now = now or utcnow()
    if raffle.closes_at <= now:
        return None
    return ledger.credit(
        session,
        raffle_id=id_of(raffle),
        user_id=user_id,
        source=LedgerSource.BASE,
        amount=raffle.base_entries,
        key=f"base:{raffle.id}:{user_id}",
        reason=BASE_REASON,
        now=now,
    )


def credit_active_members(session: Session, raffle: Raffle, *, now: datetime | None = None) -> int:
    members = session.exec(
        select(Membership.user_id)
        .join(User, col(User.id) == col(Membership.user_id))
        .where(Membership.status == MembershipStatus.ACTIVE, col(User.banned_at).is_(None))
    ).all()
    return sum(1 for user_id in members if credit_base_entries(session, raffle, user_id, now=now))


def carry_over(
    session: Session,
    source: Raffle,
    target: Raffle,
    *,
    winners: frozenset[int] = frozenset(),
    now: datetime | None = None,
) -> int:
    """Carry source.carry_over_percent of each non-winner's entries into target, once each."""
    if source.carry_over_percent <= 0 or target.status != RaffleStatus.OPEN:
        return 0
    carried = 0
    for user_id, held in ledger.holders(session, id_of(source)):
        amount = held * source.carry_over_percent // 100
        if user_id in winners or amount <= 0:
            continue
        done = ledger.credit(
            session,
            raffle_id=id_of(target),
            user_id=user_id,
            source=LedgerSource.CARRY_OVER,
            amount=amount,
            key=f"carry:{source.id}:{user_id}",
            reason=f"{source.carry_over_percent}% of your {held} entries in {source.title}",
            now=now,
        )
        carried += bool(done)
    return carried


def close_due(session: Session, now: datetime | None = None) -> list[Raffle]:
    """Close every open club raffle whose closing time has passed (a community's periods are
    closed by its own reset: community/periods.py)."""
    now = now or utcnow()
    due = session.exec(
        _of_program(session, None).where(
            Raffle.status == RaffleStatus.OPEN, Raffle.closes_at <= now
        )
    ).all()
    for raffle in due:
        raffle.status = RaffleStatus.CLOSED
    if due:
        changes.announce(session, changes.CLUB)
    return list(due)


def rollover(session: Session, now: datetime | None = None) -> str:
    """Open this month's club raffle from the previous one (if nobody has), and credit its members.

    Safe to run in several processes at once: the month is UNIQUE in the program, so one creates
    it and the others find it; every credit is keyed, so each member is credited once.
    """
    now = now or utcnow()
    month = month_of(now)
    close_due(session, now)
    program_id = programs.club_id(session)
    raffle = raffle_for_month(session, month, program_id)
    previous = session.exec(
        _of_program(session, program_id)
        .where(Raffle.month < month)
        .order_by(col(Raffle.month).desc())
    ).first()
    if raffle is None:
        if previous is None:
            return f"no raffle to copy for {month}"
        copy = Raffle(
            program_id=program_id,
            month=month,
            title=previous.title,
            prize=previous.prize,
            description=previous.description,
            image_name=previous.image_name,
            base_entries=previous.base_entries,
            carry_over_percent=previous.carry_over_percent,
            winners=previous.winners,
            closes_at=month_end(month),
            status=RaffleStatus.OPEN,
        )
        try:
            with session.begin_nested():
                session.add(copy)
            changes.announce(session, changes.CLUB)
        except IntegrityError:
            pass  # another process opened it a moment ago
        raffle = raffle_for_month(session, month, program_id)
        if raffle is None:
            raise LookupError(f"The {month} raffle was neither opened here nor by another process.")
    schedule_draw(session, raffle)
    if raffle.status != RaffleStatus.OPEN:
        return f"{month}: raffle #{raffle.id} is {raffle.status}; nothing credited"
    credited = credit_active_members(session, raffle, now=now)
    # Winners carry nothing over, so carry-over waits for the previous draw (which does it too).
    carried = 0
    if previous is not None:
        winners = winners_of(session, id_of(previous))
        if winners is not None:
            carried = carry_over(session, previous, raffle, winners=winners, now=now)
    return f"{month}: raffle #{raffle.id} open, {credited} members credited, {carried} carried over"


# ---- the raffle's side of its draw ---------------------------------------------------------


class RafflePool:
    """A raffle's draw: members weighted by the entries they hold when it closes."""

    kind = WEIGHTED
    title = "Club raffle"

    def schedule_missing(self, session: Session) -> int:
        """Club raffles made before draws existed get theirs (other programs' raffles, such as a
        community's periods, are drawn by their own pool)."""
        drawn = select(Draw.source_id).where(Draw.mode == MODE)
        raffles = session.exec(_of_program(session, None).where(~col(Raffle.id).in_(drawn))).all()
        for raffle in raffles:
            schedule_draw(session, raffle)
        return len(raffles)

    def live_counts(self, session: Session, draw: Draw) -> tuple[int, int]:
        totals = ledger.totals(session, draw.source_id)
        return totals.entrants, totals.entries

    def blocked(self, session: Session, draw: Draw, now: datetime) -> str | None:
        # An admin may close an open raffle early; a draft keeps its draw until it is opened.
        if db.get_existing(session, Raffle, draw.source_id).status == RaffleStatus.DRAFT:
            return "This raffle is a draft: open it before it can be drawn."
        return None

    def freeze(self, session: Session, draw: Draw, now: datetime) -> bytes:
        raffle = db.get_existing(session, Raffle, draw.source_id, for_update=True)
        raffle.status = RaffleStatus.CLOSED
        if raffle.closes_at > now:
            raffle.closes_at = now  # closed early by an admin: the dashboard says so
        holders = ledger.holders(session, id_of(raffle))
        user_ids = [user_id for user_id, _ in holders]
        weights = [held for _, held in holders]
        draw.entrant_count, draw.entry_count = len(holders), sum(weights)
        return encode_weighted(zip(draws.refs_for(draw.pool_id, user_ids), weights, strict=True))

    def parameters(self, draw: Draw, *, reroll: int, earlier) -> WeightedDraw:
        if not reroll:
            return WeightedDraw(winners=draw.winners_wanted)
        refs = tuple(sorted({winner.entrant_ref for winner in earlier}))
        return WeightedDraw(winners=1, exclude=refs, reroll=reroll)

    def owners(self, session: Session, draw: Draw, winners) -> dict[str, int]:
        """Recomputed from the pool's holders, as only the server can."""
        wanted = {winner.entrant for winner in winners}
        found = {}
        user_ids = [user_id for user_id, _held in ledger.holders(session, draw.source_id)]
        for user_id, ref in zip(user_ids, draws.refs_for(draw.pool_id, user_ids), strict=True):
            if ref in wanted:
                found[ref] = user_id
                if len(found) == len(wanted):
                    break
        return found

    def congratulate(self, session: Session, draw: Draw, winner, user: User) -> None:
        notify.notify(
            session,
            user,
            notify.WINNER_ANNOUNCEMENT,
            unique_id=f"winner-{winner.id}",
            email="draw_won",
            sms=f"LuckyClub: you won {draw.prize} in {draw.title}! Check your email.",
            title=draw.title,
            prize=draw.prize,
            link=get_settings().app_url + routes.draw_page(id_of(draw)),
        )

    def settle(self, session: Session, draw: Draw, now: datetime) -> None:
        """The drawn raffle's carry-over goes to the next open raffle, winners excluded."""
        source = session.get(Raffle, draw.source_id)
        target = current_raffle(session, now)
        if source is None or target is None or target.id == source.id:
            return
        winners = winners_of(session, id_of(source)) or frozenset()
        carry_over(session, source, target, winners=winners, now=now)

    def voided(self, session: Session, draw: Draw, now: datetime) -> None:
        raffle = db.get_existing(session, Raffle, draw.source_id, for_update=True)
        raffle.status = RaffleStatus.CLOSED  # a cancelled raffle takes no more entries

    def delivered(self, session: Session, draw: Draw, winner, user: User) -> None:
        """Raffle winners are thanked in person; nothing is sent."""

    def topics(self, session: Session | None, draw: Draw) -> tuple[str, ...]:
        """A raffle's draw shows wherever the club's raffles do."""
        return (changes.CLUB,)


draws.register_pool(MODE, RafflePool())

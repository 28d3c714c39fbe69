"""Draws in the app: a Draw per pool, from its commitment to its winners, run exactly once.

The life of a draw (docs/draws.md): scheduled (the seed's commitment is public) → closed (the
snapshot is frozen and published, a drand round is bound) → waiting_for_beacon (the round is due but
no relay gave it yet; retried) → drawn (winners chosen, the seed revealed), or void. The engine in
luckyclub.draws does the arithmetic; this module keeps the records and makes sure that whatever
triggers a draw — the scheduler in any process, an admin's double click, `jobs run-due` — it runs
once: a trigger first claims the draw with a conditional UPDATE, and only the claimant draws.
What admins do to a draw (draw now, override, void, reroll, the winner queue) is in
platform/draw_actions.py, built on `take` and `add_winner` here. Every change to a draw is
announced on the change feed (`announce`, docs/changes.md) in the unit of work that makes it.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NotRequired, Protocol, TypedDict, Unpack

from sqlalchemy import ColumnElement, insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from luckyclub.core import db
from luckyclub.core.errors import UserError
from luckyclub.core.settings import get_settings
from luckyclub.core.words import when
from luckyclub.draws import (
    BeaconError,
    BeaconRound,
    commitment,
    draw_key,
    entrant_ref,
    entrant_refs,
    merkle_root,
    new_seed,
    round_for_close,
    round_time,
    snapshot_digest,
    snapshot_lines,
)
from luckyclub.draws.proof import (
    DrawResult,
    LotteryResult,
    parameters_to_dict,
    result_to_dict,
    run_draw,
)
from luckyclub.integrations import drand
from luckyclub.models import (
    Draw,
    DrawSnapshot,
    DrawStatus,
    DrawTrigger,
    DrawWinner,
    User,
    id_of,
    table_of,
    utcnow,
)
from luckyclub.platform import changes

log = logging.getLogger(__name__)

CLAIM_FOR = timedelta(minutes=10)  # longer than any draw takes; a crashed claimant's lapses
FIRST_RETRY_AFTER = timedelta(seconds=15)
LONGEST_RETRY_AFTER = timedelta(minutes=10)
OPEN_STATUSES = (DrawStatus.CLOSED, DrawStatus.WAITING_FOR_BEACON)  # frozen, not yet drawn
UNDRAWN = (DrawStatus.SCHEDULED, *OPEN_STATUSES)

# ---- pools: what each mode gives a draw -------------------------------------------------------


class Pool(Protocol):
    """A mode's side of its draws (raffles: club/raffles.py; competitions:
    competitions/pool.py; signup lotteries: lotteries/pool.py). Registered by mode; the draw
    itself is the same for all.
    A pool is named by (mode, source id): its source is the raffle, competition, … it draws from."""

    kind: str  # the engine's pool kind its snapshots are: weighted, tickets or lottery
    title: str  # what the mode is called for people: "Club raffle", "Prize competition"

    def schedule_missing(self, session: Session) -> int:
        """Give sources made before they had draws their draw; how many it scheduled."""

    def live_counts(self, session: Session, draw: Draw) -> tuple[int, int]:
        """Entrants and entries (or tickets) in the pool now, before it is frozen."""

    def blocked(self, session: Session, draw: Draw, now: datetime) -> str | None:
        """Why the pool must not close yet (None: it may)."""

    def freeze(self, session: Session, draw: Draw, now: datetime) -> bytes:
        """Close the source to new entries and return its canonical snapshot; sets the draw's
        entrant_count and entry_count."""

    def parameters(self, draw: Draw, *, reroll: int, earlier: Sequence[DrawWinner]):
        """The engine's parameters: the draw (reroll 0), or a reroll that skips earlier winners."""

    def owners(self, session: Session, draw: Draw, winners: Sequence[Drawn]) -> dict[str, int]:
        """The members behind the winning refs (ref → user id); only the server can say."""

    def congratulate(self, session: Session, draw: Draw, winner: DrawWinner, user: User) -> None:
        """Tell a winner, in the draw's transaction (the outbox sends it if it commits)."""

    def settle(self, session: Session, draw: Draw, now: datetime) -> None:
        """What follows a draw (or a manual override) in the same transaction."""

    def voided(self, session: Session, draw: Draw, now: datetime) -> None:
        """What follows cancelling the draw."""

    def delivered(self, session: Session, draw: Draw, winner: DrawWinner, user: User) -> None:
        """What follows an admin marking a winner's prize delivered (in the same transaction)."""

    def topics(self, session: Session | None, draw: Draw) -> tuple[str, ...]:
        """The change feed's topics of the draw's source (platform/changes.py): what else shows
        the draw, so changes when it does."""


_pools: dict[str, Pool] = {}


def register_pool(mode: str, pool: Pool) -> Pool:
    _pools[mode] = pool
    return pool


def pool_of(draw: Draw) -> Pool:
    return _pools[draw.mode]


def mode_title(mode: str) -> str:
    """What a mode is called for people ("Club raffle"), as its pool says."""
    pool = _pools.get(mode)
    return pool.title if pool else mode


def pool_name(mode: str, source_id: int) -> str:
    """The pool id entrant refs are keyed with: raffle-12, competition-5 (docs/fairness.md)."""
    return f"{mode}-{source_id}"


def topics_of(session: Session | None, draw: Draw) -> tuple[str, ...]:
    """The topics a change to this draw is announced on, and a page showing it follows: the
    draw's own (`draw:<id>`) and its source's (the club's raffles; a competition's page and the
    list). A page may ask without a session."""
    return (changes.draw(id_of(draw)), *pool_of(draw).topics(session, draw))


def announce(session: Session, draw: Draw, winners: Sequence[DrawWinner] = ()) -> None:
    """Say, in the unit of work that changed the draw, that it changed: on its topics and the
    admin's draw queue; with `winners` (drawn, replaced, or moved on a step) also on the winner
    queue and each winner's own pages."""
    topics = [*topics_of(session, draw), changes.ADMIN_DRAWS]
    members = [changes.member(w.user_id) for w in winners if w.user_id is not None]
    if winners:
        topics.append(changes.ADMIN_WINNERS)
    changes.announce(session, *topics, *members)


class DrawTerms(TypedDict):
    """What a pool's source says about its draw, carried to it while it is scheduled."""

    title: str
    prize: str
    winners_wanted: int
    draw_at: datetime
    distinct_winners: NotRequired[bool]


class NewDraw(DrawTerms):
    """A new draw's pool and terms: everything but the seed and the beacon settings."""

    mode: str
    source_id: int
    pool_id: str
    kind: str


def new_draw(**fields: Unpack[NewDraw]) -> Draw:
    """A draw with a fresh secret seed and its public commitment, bound to the beacon by default."""
    settings = get_settings()
    seed = new_seed()
    return Draw(
        seed=seed.hex(),
        commitment=commitment(seed),
        use_beacon=settings.draw_beacon,
        beacon_margin_seconds=settings.draw_beacon_margin_seconds,
        **fields,
    )


# ---- entrant refs --------------------------------------------------------------------------


def ref_for(pool_id: str, user_id: int) -> str:
    """A member's pseudonym in one pool, keyed with the app's secret key."""
    return entrant_ref(get_settings().secret_key, pool_id, user_id)


def refs_for(pool_id: str, user_ids: Iterable[int]) -> Iterator[str]:
    """ref_for of many members, in their order, made as they are read."""
    return entrant_refs(get_settings().secret_key, pool_id, user_ids)


def draw_of(session: Session, mode: str, source_id: int) -> Draw | None:
    """The draw of one pool: the raffle's, the competition's, … (None before it is scheduled)."""
    return session.exec(select(Draw).where(Draw.mode == mode, Draw.source_id == source_id)).first()


def get(session: Session, draw_id: int) -> Draw:
    draw = session.get(Draw, draw_id)
    if draw is None:
        raise UserError("That draw does not exist.")
    return draw


# ---- scheduling: the commitment, published before any entry ------------------------------------


def schedule(session: Session, mode: str, source_id: int, **terms: Unpack[DrawTerms]) -> Draw:
    """A pool's draw, created with a fresh secret seed the first time it is asked for (or the one
    another process stored a moment ago: (mode, source id) is unique). `terms` are what the source
    says about it: title, prize, winners_wanted, draw_at, distinct_winners."""
    if existing := draw_of(session, mode, source_id):
        return existing
    draw = new_draw(
        mode=mode,
        source_id=source_id,
        pool_id=pool_name(mode, source_id),
        kind=_pools[mode].kind,
        **terms,
    )
    try:
        with session.begin_nested():
            session.add(draw)
    except IntegrityError:
        stored = draw_of(session, mode, source_id)
        if stored is None:
            raise  # not another process's draw for this pool: a different constraint failed
        return stored
    announce(session, draw)
    return draw


def sync(session: Session, mode: str, source_id: int, **terms: Unpack[DrawTerms]) -> Draw:
    """Schedule the pool's draw if need be, and carry the source's edits to it while it is
    scheduled; after that they are final."""
    draw = schedule(session, mode, source_id, **terms)
    if draw.status == DrawStatus.SCHEDULED:
        edited = {name: value for name, value in terms.items() if getattr(draw, name) != value}
        for name, value in edited.items():
            setattr(draw, name, value)
        if edited:
            announce(session, draw)
    return draw


def schedule_missing(session: Session) -> int:
    """Give every source without a draw its draw (raffles made before draws existed)."""
    return sum(pool.schedule_missing(session) for pool in _pools.values())


# ---- closing: the frozen snapshot --------------------------------------------------------------


def close(session: Session, draw_id: int, now: datetime | None = None) -> bool:
    """Freeze the pool's entries into the published snapshot; False if it was not scheduled.

    The status change comes first: on PostgreSQL a second closer waits on the row and then finds
    nothing to update, so the snapshot is written once. The raffle closes in the same transaction.
    """
    now = (now or utcnow()).replace(microsecond=0)
    draw = session.get(Draw, draw_id)
    if draw is None or pool_of(draw).blocked(session, draw, now):
        return False
    closing = update(Draw).where(col(Draw.id) == draw_id, col(Draw.status) == DrawStatus.SCHEDULED)
    if session.exec(closing.values(status=DrawStatus.CLOSED, closed_at=now)).rowcount != 1:
        return False
    session.refresh(draw)
    snapshot = pool_of(draw).freeze(session, draw, now)
    lines = snapshot_lines(snapshot)
    draw.snapshot_digest = snapshot_digest(snapshot)
    draw.merkle_root = merkle_root(lines)
    session.add(DrawSnapshot(draw_id=id_of(draw), body=snapshot))
    if not lines:
        _void(draw, "Nobody held entries when the pool closed, so there was nobody to draw.", now)
        pool_of(draw).voided(session, draw, now)  # the source follows, as after an admin's void
    elif draw.use_beacon:
        draw.beacon_round = round_for_close(now, draw.beacon_margin_seconds)
        draw.next_attempt_at = datetime.fromtimestamp(round_time(draw.beacon_round), UTC)
    else:
        draw.no_beacon_reason = draw.no_beacon_reason or "Drawn without a public beacon (setting)."
        draw.next_attempt_at = now
    announce(session, draw)
    return True


def close_due(session: Session, now: datetime | None = None) -> int:
    """Close every scheduled draw whose time has come; returns how many this call closed."""
    now = now or utcnow()
    due = session.exec(
        select(Draw.id).where(Draw.status == DrawStatus.SCHEDULED, Draw.draw_at <= now)
    ).all()
    return sum(close(session, draw_id, now) for draw_id in due if draw_id is not None)


# ---- drawing, exactly once -----------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one trigger did: drawn, waiting (for the beacon), not_due, or taken (someone else)."""

    status: str
    message: str


def perform(
    draw_id: int,
    *,
    trigger: str = DrawTrigger.SCHEDULED,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Draw a closed pool if this call can claim it; any other trigger meanwhile is told so."""
    now = now or utcnow()
    token = _claim(draw_id, now)
    if token is None:
        return Outcome("taken", "This draw is already drawn or being drawn right now.")
    try:
        with db.session_scope() as session:
            draw = db.get_existing(session, Draw, draw_id)
        beacon, waiting = _beacon_for(draw, now)  # relays may be slow: no transaction held open
        if waiting:
            _release(draw_id, token, **waiting)
            status = waiting.get("status", draw.status)
            if status == DrawStatus.WAITING_FOR_BEACON:
                return Outcome("waiting", waiting_words(draw.beacon_round, waiting))
            return Outcome("not_due", f"Waiting for drand round {draw.beacon_round}.")
        with db.session_scope() as session:
            draw = db.get_existing(session, Draw, draw_id)
            if draw.claim_token != token:
                return Outcome("taken", "This draw's claim lapsed; another process drew it.")
            count = _draw(session, draw, beacon, trigger=trigger, actor_id=actor_id, now=now)
    except BaseException:
        _release(draw_id, token)
        raise
    return Outcome("drawn", f"Drawn: {count} winner{'s' if count != 1 else ''}.")


def waiting_words(beacon_round: int | None, waiting: dict) -> str:
    """Why a draw waits, for an admin: in words (the relay's own error stays in the record)."""
    retry = waiting.get("next_attempt_at")
    at = f" at {when(retry)}" if retry else ""
    return (
        f"No drand relay has given round {beacon_round} yet. The app tries again{at} by "
        "itself; if the relays stay down, use Draw without beacon (with a reason)."
    )


def run_due(now: datetime | None = None) -> list[Outcome]:
    """The scheduler's work: close what is due, then draw every frozen pool whose time has come."""
    now = now or utcnow()
    with db.session_scope() as session:
        schedule_missing(session)
    with db.session_scope() as session:
        close_due(session, now)
    with db.session_scope() as session:
        due = session.exec(
            select(Draw.id).where(
                col(Draw.status).in_(OPEN_STATUSES),
                or_(col(Draw.next_attempt_at).is_(None), col(Draw.next_attempt_at) <= now),
            )
        ).all()
    return [perform(draw_id, now=now) for draw_id in due if draw_id is not None]


def take(
    session: Session,
    draw_id: int,
    now: datetime,
    *,
    statuses: tuple[str, ...] = OPEN_STATUSES,
    also: ColumnElement[bool] | None = None,
    **values: object,
) -> bool:
    """The one way to change a draw that might be running: a conditional UPDATE that succeeds only
    while the draw is in `statuses` and nobody holds a live claim on it. True if it changed."""
    conditions = [
        col(Draw.id) == draw_id,
        col(Draw.status).in_(statuses),
        or_(col(Draw.claimed_until).is_(None), col(Draw.claimed_until) < now),
    ]
    if also is not None:
        conditions.append(also)
    return session.exec(update(Draw).where(*conditions).values(**values)).rowcount == 1


def _claim(draw_id: int, now: datetime) -> str | None:
    token = secrets.token_hex(16)
    with db.session_scope() as session:
        claimed = take(session, draw_id, now, claim_token=token, claimed_until=now + CLAIM_FOR)
    return token if claimed else None


def _release(draw_id: int, token: str, **values: object) -> None:
    """End this trigger's claim; `values` record why the draw waits (shown to admins)."""
    with db.session_scope() as session:
        released = session.exec(
            update(Draw)
            .where(col(Draw.id) == draw_id, col(Draw.claim_token) == token)
            .values(claim_token=None, claimed_until=None, **values)
        ).rowcount
        if released and values:
            announce(session, db.get_existing(session, Draw, draw_id))


def _beacon_for(draw: Draw, now: datetime) -> tuple[BeaconRound | None, dict]:
    """The verified beacon round, or the changes that record why the draw has to wait."""
    if not draw.use_beacon:
        return None, {}
    beacon_round = bound_round(draw)
    if draw.beacon_randomness and draw.beacon_signature:  # stored together, when it was drawn
        return BeaconRound(beacon_round, draw.beacon_randomness, draw.beacon_signature), {}
    published_at = datetime.fromtimestamp(round_time(beacon_round), UTC)
    if published_at > now:
        return None, {"next_attempt_at": published_at}
    try:
        return drand.fetch_round(beacon_round), {}
    except BeaconError as error:
        delay = min(FIRST_RETRY_AFTER * 2 ** min(draw.attempts, 10), LONGEST_RETRY_AFTER)
        return None, {
            "status": DrawStatus.WAITING_FOR_BEACON,
            "attempts": draw.attempts + 1,
            "next_attempt_at": now + delay,
            "last_problem": str(error)[:500],
        }


def bound_round(draw: Draw) -> int:
    """The drand round a draw that uses the beacon was bound to when it closed."""
    if draw.beacon_round is None:
        raise ValueError(f"Draw {draw.id} has no beacon round: it is not closed with the beacon.")
    return draw.beacon_round


@dataclass(frozen=True)
class Drawn:
    """A winner as the lifecycle records it (one DrawWinner): the entrant, the engine's winning
    ticket (None for a spot in a signup lottery), and the lottery element the spot is on."""

    entrant: str
    ticket: int | None = None
    element: str | None = None


def drawn_winners(result: DrawResult) -> tuple[Drawn, ...]:
    """The winners a draw records, in order: a weighted or ticket draw's as drawn; a signup
    lottery's element by element, in the elements' order, each element's winners as drawn."""
    if isinstance(result, LotteryResult):
        return tuple(
            Drawn(ref, element=element.name)
            for element in result.elements
            for ref in element.winners
        )
    return tuple(Drawn(winner.entrant, winner.ticket) for winner in result.winners)


def runs_of(draw: Draw) -> list[dict]:
    """A drawn draw's recorded runs: the draw and then each reroll, or the manual override."""
    if draw.result is None:
        raise ValueError(f"Draw {draw.id} has no result: it is not drawn.")
    return json.loads(draw.result)


def _draw(
    session: Session,
    draw: Draw,
    beacon: BeaconRound | None,
    *,
    trigger: str,
    actor_id: int | None,
    now: datetime,
) -> int:
    """Run the draw on the frozen snapshot and record it; returns the number of winners."""
    snapshot = db.get_existing(session, DrawSnapshot, draw.id).body
    pool = pool_of(draw)
    parameters = pool.parameters(draw, reroll=0, earlier=())
    randomness = bytes.fromhex(beacon.randomness) if beacon else None
    result = run_draw(draw_key(bytes.fromhex(draw.seed), randomness), snapshot, parameters)
    if beacon:
        draw.beacon_randomness, draw.beacon_signature = beacon.randomness, beacon.signature
    draw.result = json.dumps(
        [{"parameters": parameters_to_dict(parameters), "result": result_to_dict(result)}]
    )
    draw.status, draw.drawn_at, draw.trigger, draw.actor_id = (
        DrawStatus.DRAWN,
        now,
        trigger,
        actor_id,
    )
    draw.claim_token = draw.claimed_until = draw.last_problem = None
    winners = drawn_winners(result)
    added = add_winners(session, draw, winners, pool.owners(session, draw, winners))
    pool.settle(session, draw, now)
    announce(session, draw, added)
    return len(winners)


def add_winner(
    session: Session,
    draw: Draw,
    position: int,
    reroll: int,
    ticket: int | None,
    ref: str,
    users: dict[str, int],
) -> DrawWinner:
    """Record one winner (an override's, a reroll's) as add_winners does."""
    [winner] = add_winners(
        session, draw, [Drawn(ref, ticket)], users, reroll=reroll, first_position=position
    )
    return winner


def add_winners(
    session: Session,
    draw: Draw,
    winners: Sequence[Drawn],
    users: dict[str, int],
    *,
    reroll: int = 0,
    first_position: int = 1,
) -> list[DrawWinner]:
    """Record winners in places from `first_position` on and congratulate each member through the
    pool: the draw, an override and a reroll all add their winners this way (and each announces
    them with the draw). One INSERT and one read of the members, however many winners (a signup
    lottery has thousands)."""
    # Column values, from one row's defaults: an ORM object per winner costs more than its insert.
    columns = [column.name for column in table_of(DrawWinner).columns if column.name != "id"]
    blank = DrawWinner(draw_id=id_of(draw), reroll=reroll, entrant_ref="")
    defaults = {name: getattr(blank, name) for name in columns}
    values = [
        defaults
        | {
            "position": position,
            "ticket": winner.ticket,
            "entrant_ref": winner.entrant,
            "user_id": users.get(winner.entrant),
            "element": winner.element,
        }
        for position, winner in enumerate(winners, start=first_position)
    ]
    if not values:
        return []
    # One executemany, then the rows read back in order with their ids: as fast as it gets for
    # thousands of rows (an INSERT … RETURNING of that many costs twice as much in the driver).
    session.execute(insert(table_of(DrawWinner)), values)
    last = first_position + len(values) - 1
    rows = list(
        session.exec(
            select(DrawWinner)
            .where(
                DrawWinner.draw_id == draw.id,
                DrawWinner.reroll == reroll,
                col(DrawWinner.position).between(first_position, last),
            )
            .order_by(col(DrawWinner.position))
        )
    )
    members = _members(session, {row.user_id for row in rows if row.user_id is not None})
    pool = pool_of(draw)
    for row in rows:
        if (user := members.get(row.user_id)) is not None:
            pool.congratulate(session, draw, row, user)
    return rows


def _members(session: Session, user_ids: set[int]) -> dict[int | None, User]:
    found: dict[int | None, User] = {}
    ordered = sorted(user_ids)
    for start in range(0, len(ordered), 1000):  # SQLite takes a limited number of parameters
        chunk = ordered[start : start + 1000]
        found.update(
            (user.id, user) for user in session.exec(select(User).where(col(User.id).in_(chunk)))
        )
    return found


def winners_of(session: Session, mode: str, source_id: int) -> frozenset[int] | None:
    """The members who won a pool's draw; None while it is not drawn (or void: nobody)."""
    draw = draw_of(session, mode, source_id)
    if draw is None or draw.status in UNDRAWN:
        return None
    return frozenset(
        user_id
        for user_id in session.exec(
            select(DrawWinner.user_id).where(DrawWinner.draw_id == draw.id)
        ).all()
        if user_id is not None
    )


def _void(draw: Draw, reason: str, now: datetime) -> None:
    """Mark a draw void (nobody to draw at its close); an admin's void is draw_actions.void."""
    draw.status, draw.reason, draw.drawn_at, draw.next_attempt_at = (
        DrawStatus.VOID,
        reason,
        now,
        None,
    )

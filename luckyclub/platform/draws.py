"""Draws in the app: a Draw per pool, from its commitment to its winners, run exactly once.

The life of a draw (docs/draws.md): scheduled (the seed's commitment is public) → closed (the
snapshot is frozen and published, a drand round is bound) → waiting_for_beacon (the round is due but
no relay gave it yet; retried) → drawn (winners chosen, the seed revealed), or void. The engine in
luckyclub.draws does the arithmetic; this module keeps the records and makes sure that whatever
triggers a draw — the scheduler in any process, an admin's double click, `jobs run-due` — it runs
once: a trigger first claims the draw with a conditional UPDATE, and only the claimant draws.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from luckyclub.core import db
from luckyclub.core.errors import UserError
from luckyclub.core.settings import get_settings
from luckyclub.core.words import when
from luckyclub.draws import (
    BeaconError,
    BeaconRound,
    Winner,
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
from luckyclub.draws.proof import parameters_to_dict, result_to_dict, run_draw
from luckyclub.draws.snapshot import TICKETS, line_of
from luckyclub.integrations import drand
from luckyclub.models import (
    Draw,
    DrawSnapshot,
    DrawStatus,
    DrawTrigger,
    DrawWinner,
    User,
    WinnerStatus,
    utcnow,
)
from luckyclub.platform import accounts, audit
from luckyclub.platform.permissions import require_admin

log = logging.getLogger(__name__)

CLAIM_FOR = timedelta(minutes=10)  # longer than any draw takes; a crashed claimant's lapses
FIRST_RETRY_AFTER = timedelta(seconds=15)
LONGEST_RETRY_AFTER = timedelta(minutes=10)
OPEN_STATUSES = (DrawStatus.CLOSED, DrawStatus.WAITING_FOR_BEACON)  # frozen, not yet drawn
UNDRAWN = (DrawStatus.SCHEDULED, *OPEN_STATUSES)

# Called with a draw's id after its result is committed (the live page's room listens here).
_listeners: list[Callable[[int], None]] = []


def on_drawn(listener: Callable[[int], None]) -> Callable[[int], None]:
    _listeners.append(listener)
    return listener


def _announce(draw_id: int) -> None:
    for listener in _listeners:
        try:
            listener(draw_id)
        except Exception:  # noqa: BLE001 - a spectator page must never undo a draw
            log.exception("A draw listener failed for draw %s", draw_id)


# ---- pools: what each mode gives a draw -------------------------------------------------------


class Pool(Protocol):
    """A mode's side of its draws (raffles: club/raffles.py; competitions:
    competitions/pool.py). Registered by mode; the draw itself is the same for all.
    A pool is named by (mode, source id): its source is the raffle, competition, … it draws from."""

    kind: str  # the engine's pool kind its snapshots are: weighted, tickets or lottery

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

    def owners(self, session: Session, draw: Draw, winners: Sequence[Winner]) -> dict[str, int]:
        """The members behind the winning refs (ref → user id); only the server can say."""

    def congratulate(self, session: Session, draw: Draw, winner: DrawWinner, user: User) -> None:
        """Tell a winner, in the draw's transaction (the outbox sends it if it commits)."""

    def settle(self, session: Session, draw: Draw, now: datetime) -> None:
        """What follows a draw (or a manual override) in the same transaction."""

    def voided(self, session: Session, draw: Draw, now: datetime) -> None:
        """What follows cancelling the draw."""

    def delivered(self, session: Session, draw: Draw, winner: DrawWinner, user: User) -> None:
        """What follows an admin marking a winner's prize delivered (in the same transaction)."""


_pools: dict[str, Pool] = {}


def register_pool(mode: str, pool: Pool) -> Pool:
    _pools[mode] = pool
    return pool


def pool_of(draw: Draw) -> Pool:
    return _pools[draw.mode]


def pool_name(mode: str, source_id: int) -> str:
    """The pool id entrant refs are keyed with: raffle-12, competition-5 (docs/fairness.md)."""
    return f"{mode}-{source_id}"


def new_draw(**fields: object) -> Draw:
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


def schedule(session: Session, mode: str, source_id: int, **terms: object) -> Draw:
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
        return draw_of(session, mode, source_id)
    return draw


def sync(session: Session, mode: str, source_id: int, **terms: object) -> Draw:
    """Schedule the pool's draw if need be, and carry the source's edits to it while it is
    scheduled; after that they are final."""
    draw = schedule(session, mode, source_id, **terms)
    if draw.status == DrawStatus.SCHEDULED:
        for name, value in terms.items():
            setattr(draw, name, value)
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
    closing = update(Draw).where(Draw.id == draw_id, Draw.status == DrawStatus.SCHEDULED)
    if session.exec(closing.values(status=DrawStatus.CLOSED, closed_at=now)).rowcount != 1:
        return False
    session.refresh(draw)
    snapshot = pool_of(draw).freeze(session, draw, now)
    lines = snapshot_lines(snapshot)
    draw.snapshot_digest = snapshot_digest(snapshot)
    draw.merkle_root = merkle_root(lines)
    session.add(DrawSnapshot(draw_id=draw.id, body=snapshot))
    if not lines:
        _void(draw, "Nobody held entries when the pool closed, so there was nobody to draw.", now)
        pool_of(draw).voided(session, draw, now)  # the source follows, as after an admin's void
    elif draw.use_beacon:
        draw.beacon_round = round_for_close(now, draw.beacon_margin_seconds)
        draw.next_attempt_at = datetime.fromtimestamp(round_time(draw.beacon_round), UTC)
    else:
        draw.no_beacon_reason = draw.no_beacon_reason or "Drawn without a public beacon (setting)."
        draw.next_attempt_at = now
    return True


def close_due(session: Session, now: datetime | None = None) -> int:
    """Close every scheduled draw whose time has come; returns how many this call closed."""
    now = now or utcnow()
    due = session.exec(
        select(Draw.id).where(Draw.status == DrawStatus.SCHEDULED, Draw.draw_at <= now)
    ).all()
    return sum(close(session, draw_id, now) for draw_id in due)


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
            draw = session.get(Draw, draw_id)
        beacon, waiting = _beacon_for(draw, now)  # relays may be slow: no transaction held open
        if waiting:
            _release(draw_id, token, **waiting)
            status = waiting.get("status", draw.status)
            if status == DrawStatus.WAITING_FOR_BEACON:
                return Outcome("waiting", waiting_words(draw.beacon_round, waiting))
            return Outcome("not_due", f"Waiting for drand round {draw.beacon_round}.")
        with db.session_scope() as session:
            draw = session.get(Draw, draw_id)
            if draw.claim_token != token:
                return Outcome("taken", "This draw's claim lapsed; another process drew it.")
            count = _draw(session, draw, beacon, trigger=trigger, actor_id=actor_id, now=now)
    except BaseException:
        _release(draw_id, token)
        raise
    _announce(draw_id)
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
                or_(Draw.next_attempt_at.is_(None), Draw.next_attempt_at <= now),
            )
        ).all()
    return [perform(draw_id, now=now) for draw_id in due]


def _take(
    session: Session,
    draw_id: int,
    now: datetime,
    *,
    statuses: tuple[str, ...] = OPEN_STATUSES,
    also=None,
    **values: object,
) -> bool:
    """The one way to change a draw that might be running: a conditional UPDATE that succeeds only
    while the draw is in `statuses` and nobody holds a live claim on it. True if it changed."""
    conditions = [
        Draw.id == draw_id,
        col(Draw.status).in_(statuses),
        or_(Draw.claimed_until.is_(None), Draw.claimed_until < now),
    ]
    if also is not None:
        conditions.append(also)
    return session.exec(update(Draw).where(*conditions).values(**values)).rowcount == 1


def _claim(draw_id: int, now: datetime) -> str | None:
    token = secrets.token_hex(16)
    with db.session_scope() as session:
        claimed = _take(session, draw_id, now, claim_token=token, claimed_until=now + CLAIM_FOR)
    return token if claimed else None


def _release(draw_id: int, token: str, **values: object) -> None:
    with db.session_scope() as session:
        session.exec(
            update(Draw)
            .where(Draw.id == draw_id, Draw.claim_token == token)
            .values(claim_token=None, claimed_until=None, **values)
        )


def _beacon_for(draw: Draw, now: datetime) -> tuple[BeaconRound | None, dict]:
    """The verified beacon round, or the changes that record why the draw has to wait."""
    if not draw.use_beacon:
        return None, {}
    if draw.beacon_randomness:
        return BeaconRound(draw.beacon_round, draw.beacon_randomness, draw.beacon_signature), {}
    published_at = datetime.fromtimestamp(round_time(draw.beacon_round), UTC)
    if published_at > now:
        return None, {"next_attempt_at": published_at}
    try:
        return drand.fetch_round(draw.beacon_round), {}
    except BeaconError as error:
        delay = min(FIRST_RETRY_AFTER * 2 ** min(draw.attempts, 10), LONGEST_RETRY_AFTER)
        return None, {
            "status": DrawStatus.WAITING_FOR_BEACON,
            "attempts": draw.attempts + 1,
            "next_attempt_at": now + delay,
            "last_problem": str(error)[:500],
        }


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
    snapshot = session.get(DrawSnapshot, draw.id).body
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
    users = pool.owners(session, draw, result.winners)
    for position, winner in enumerate(result.winners, start=1):
        _add_winner(session, draw, position, 0, winner.ticket, winner.entrant, users)
    pool.settle(session, draw, now)
    return len(result.winners)


def _add_winner(
    session: Session,
    draw: Draw,
    position: int,
    reroll: int,
    ticket: int | None,
    ref: str,
    users: dict[str, int],
) -> DrawWinner:
    winner = DrawWinner(
        draw_id=draw.id,
        position=position,
        reroll=reroll,
        ticket=ticket,
        entrant_ref=ref,
        user_id=users.get(ref),
    )
    session.add(winner)
    user = session.get(User, winner.user_id) if winner.user_id else None
    if user is not None:
        session.flush()  # the winner's id, for anything that names it
        pool_of(draw).congratulate(session, draw, winner, user)
    return winner


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


# ---- admin actions -----------------------------------------------------------------------------


CLOSE_EARLY_NEEDS_REASON = (
    "This pool is open for entries until {until:%d %b %Y %H:%M} UTC. To end it early, confirm "
    "Draw now with a reason of at least 5 characters: it is recorded in the audit log."
)


def closes_early(draw: Draw, now: datetime) -> bool:
    """Would Draw now end this pool before its own close (so it needs a confirmed reason)?"""
    return draw.status == DrawStatus.SCHEDULED and now < draw.draw_at


def draw_now(
    admin_id: int, draw_id: int, now: datetime | None = None, *, reason: str = ""
) -> Outcome:
    """An admin's "Draw now": close the pool if it is still open, then draw if its round is out.
    Ending an open pool before its close needs the admin's reason, which the audit log keeps."""
    now = now or utcnow()
    with db.session_scope() as session:
        admin = session.get(User, admin_id)
        require_admin(admin)
        draw = get(session, draw_id)
        if draw.status in (DrawStatus.DRAWN, DrawStatus.VOID):
            return Outcome("taken", f"This draw is {draw.status} already.")
        if draw.status == DrawStatus.SCHEDULED and (
            why := pool_of(draw).blocked(session, draw, now)
        ):
            return Outcome("blocked", why)
        early = closes_early(draw, now)
        if early and len(" ".join(reason.split())) < 5:
            return Outcome("blocked", CLOSE_EARLY_NEEDS_REASON.format(until=draw.draw_at))
        if draw.status == DrawStatus.SCHEDULED and close(session, draw_id, now):
            detail = f"closed early: Draw now — {audit.checked_reason(reason)}" if early else ""
            audit.record(session, admin, "draw.close", "draw", draw_id, detail or "Draw now")
    outcome = perform(draw_id, trigger=DrawTrigger.ADMIN, actor_id=admin_id, now=now)
    with db.session_scope() as session:
        if outcome.status == "drawn":
            audit.record(session, session.get(User, admin_id), "draw.draw", "draw", draw_id)
        draw = session.get(Draw, draw_id)
        if outcome.status == "not_due":
            moment = datetime.fromtimestamp(round_time(draw.beacon_round), UTC)
            return Outcome(
                "not_due",
                f"Closed. The draw waits for drand round {draw.beacon_round}, published at "
                f"{moment:%H:%M:%S} UTC; it runs by itself within seconds of that.",
            )
        if draw.status == DrawStatus.VOID:
            return Outcome("void", draw.reason or "The draw is void.")
    return outcome


def skip_beacon(
    session: Session, admin: User, draw_id: int, reason: str, now: datetime | None = None
) -> Draw:
    """Switch one frozen draw to no beacon (no relay answers), with the reason its proof shows."""
    require_admin(admin)
    reason = audit.checked_reason(reason)
    now = now or utcnow()
    switched = _take(
        session,
        draw_id,
        now,
        also=Draw.use_beacon.is_(True),
        use_beacon=False,
        no_beacon_reason=reason,
        beacon_round=None,
        status=DrawStatus.CLOSED,
        next_attempt_at=now,
        last_problem=None,
    )
    draw = get(session, draw_id)
    if not switched:
        raise UserError(_cannot(draw, "switch to no beacon"))
    audit.record(session, admin, "draw.no_beacon", "draw", draw_id, reason)
    return draw


def draw_without_beacon(
    admin_id: int, draw_id: int, reason: str, now: datetime | None = None
) -> Outcome:
    """An admin's "Draw without beacon": switch the waiting draw off drand, then Draw now."""
    now = now or utcnow()
    with db.session_scope() as session:
        skip_beacon(session, session.get(User, admin_id), draw_id, reason, now)
    return draw_now(admin_id, draw_id, now)


def override(
    session: Session,
    admin: User,
    draw_id: int,
    *,
    reason: str,
    email: str = "",
    ticket: int | str | None = None,
    now: datetime | None = None,
) -> Draw:
    """A manual override: the admin names the winner (a member by email, or for a ticket pool the
    ticket an external live draw picked); recorded and published as an override, never as random."""
    require_admin(admin)
    reason = audit.checked_reason(reason)
    now = now or utcnow()
    draw = get(session, draw_id)
    pool = pool_of(draw)
    if draw.status == DrawStatus.SCHEDULED and (why := pool.blocked(session, draw, now)):
        raise UserError(why)
    user = None
    if ticket in (None, ""):
        user = accounts.find_by_email(session, email or "")
        if user is None:
            field = "email" if draw.kind != TICKETS or email else "ticket"
            raise UserError("No member has that email address.", field=field)
    elif draw.kind != TICKETS:
        raise UserError("This pool has no numbered tickets; name the winner by email.")
    if draw.status == DrawStatus.SCHEDULED:
        close(session, draw_id, now)
    taken = _take(session, draw_id, now, status=DrawStatus.DRAWN)
    session.refresh(draw)
    if not taken:
        raise UserError(_cannot(draw, "override"))
    snapshot = session.get(DrawSnapshot, draw_id).body
    chosen = _overridden(draw, snapshot, user, ticket)
    draw.result = json.dumps([{"manual_override": {"reason": reason, "winners": [chosen.entrant]}}])
    draw.trigger, draw.actor_id, draw.reason, draw.drawn_at = (
        DrawTrigger.OVERRIDE,
        admin.id,
        reason,
        now,
    )
    draw.next_attempt_at = None
    users = {chosen.entrant: user.id} if user else pool.owners(session, draw, [chosen])
    _add_winner(session, draw, 1, 0, chosen.ticket, chosen.entrant, users)
    pool.settle(session, draw, now)
    who = user.email if user else f"ticket {chosen.ticket}"
    audit.record(session, admin, "draw.override", "draw", draw_id, f"{who}: {reason}")
    session.flush()
    return draw


def _overridden(draw: Draw, snapshot: bytes, user: User | None, ticket: int | str | None) -> Winner:
    """The entrant the override names, found in the frozen snapshot (only an entrant can win)."""
    if user is None:
        try:
            number = int(str(ticket).strip().lstrip("#"))
        except ValueError:
            raise UserError("Give the winning ticket's number, like 42.", field="ticket") from None
        fields = line_of(snapshot, str(number))
        if fields is None:
            raise UserError(
                f"Ticket {number} was not in the draw (not sold, or refunded).", field="ticket"
            )
        return Winner(ticket=number, entrant=fields[1])
    ref = ref_for(draw.pool_id, user.id)
    marker = f"\t{ref}\n" if draw.kind == TICKETS else f"{ref}\t"
    if marker.encode() not in snapshot:
        raise UserError(
            f"{user.email} held no entries when the pool closed; only an entrant can win.",
            field="email",
        )
    return Winner(ticket=None, entrant=ref)


def reroll(session: Session, admin: User, winner_id: int, reason: str) -> DrawWinner:
    """Replace an unreachable or disqualified winner with one drawn from the same stream."""
    require_admin(admin)
    reason = audit.checked_reason(reason)
    winner = session.get(DrawWinner, winner_id)
    if winner is None:
        raise UserError("That winner no longer exists.")
    # One reroll at a time, on the row as it is now, even if this session read the draw before.
    draw = session.get(Draw, winner.draw_id, with_for_update=True, populate_existing=True)
    session.refresh(winner)
    if draw.trigger == DrawTrigger.OVERRIDE:
        raise UserError("This draw was a manual override, so it has no random stream to reroll.")
    if winner.status == WinnerStatus.REPLACED:
        raise UserError("This winner was replaced already; reload to see who replaced them.")
    runs = json.loads(draw.result)
    number = len(runs)
    earlier = session.exec(select(DrawWinner).where(DrawWinner.draw_id == draw.id)).all()
    pool = pool_of(draw)
    parameters = pool.parameters(draw, reroll=number, earlier=earlier)
    randomness = bytes.fromhex(draw.beacon_randomness) if draw.beacon_randomness else None
    snapshot = session.get(DrawSnapshot, draw.id).body
    result = run_draw(draw_key(bytes.fromhex(draw.seed), randomness), snapshot, parameters)
    if not result.winners:
        raise UserError("Everyone who held entries has won already: nobody is left to draw.")
    drawn = result.winners[0]
    runs.append({"parameters": parameters_to_dict(parameters), "result": result_to_dict(result)})
    draw.result = json.dumps(runs)
    winner.status, winner.replaced_reason = WinnerStatus.REPLACED, reason
    users = pool.owners(session, draw, [drawn])
    replacement = _add_winner(
        session, draw, winner.position, number, drawn.ticket, drawn.entrant, users
    )
    audit.record(session, admin, "draw.reroll", "draw", draw.id, f"reroll {number}: {reason}")
    session.flush()
    return replacement


def void(
    session: Session, admin: User, draw_id: int, reason: str, now: datetime | None = None
) -> Draw:
    """Cancel a draw not yet drawn; its seed is revealed so the commitment can be checked."""
    require_admin(admin)
    reason = audit.checked_reason(reason)
    now = now or utcnow()
    draw = get(session, draw_id)
    voided = _take(
        session,
        draw_id,
        now,
        statuses=UNDRAWN,
        status=DrawStatus.VOID,
        reason=reason,
        drawn_at=now,
        actor_id=admin.id,
    )
    session.refresh(draw)
    if not voided:
        raise UserError(_cannot(draw, "void"))
    pool_of(draw).voided(session, draw, now)
    audit.record(session, admin, "draw.void", "draw", draw_id, reason)
    return draw


def _void(draw: Draw, reason: str, now: datetime) -> None:
    draw.status, draw.reason, draw.drawn_at, draw.next_attempt_at = (
        DrawStatus.VOID,
        reason,
        now,
        None,
    )


def _cannot(draw: Draw, action: str) -> str:
    if draw.status in (DrawStatus.DRAWN, DrawStatus.VOID):
        return f"Cannot {action}: this draw is {draw.status} already."
    if draw.claimed_until is not None:
        return f"Cannot {action}: the draw is running right now. Reload in a few seconds."
    return f"Cannot {action} a draw that is {draw.status.replace('_', ' ')}."


# ---- the winner queue --------------------------------------------------------------------------


def set_winner_status(
    session: Session, admin: User, winner_id: int, action: str, now: datetime | None = None
) -> DrawWinner:
    """contacted, delivered, publish or unpublish a winner; recorded in the audit log."""
    require_admin(admin)
    now = now or utcnow()
    winner = session.get(DrawWinner, winner_id)
    if winner is None:
        raise UserError("That winner no longer exists.")
    if winner.status == WinnerStatus.REPLACED:
        raise UserError("This winner was replaced; act on their replacement instead.")
    if action == "contacted":
        winner.status, winner.contacted_at = WinnerStatus.CONTACTED, winner.contacted_at or now
    elif action == "delivered":
        winner.status, winner.delivered_at = WinnerStatus.DELIVERED, now
        winner.contacted_at = winner.contacted_at or now
        draw = session.get(Draw, winner.draw_id)
        user = session.get(User, winner.user_id) if winner.user_id else None
        if user is not None:
            pool_of(draw).delivered(session, draw, winner, user)
    elif action == "publish":
        winner.published_at = winner.published_at or now
    elif action == "unpublish":
        winner.published_at = None
    else:
        raise UserError(f"Unknown winner action {action!r}.")
    audit.record(session, admin, f"winner.{action}", "draw_winner", winner.id)
    return winner

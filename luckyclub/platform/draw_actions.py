"""What admins do to draws: draw now, draw without the beacon, name a winner (override), void,
reroll a winner, and move winners through the queue (contacted, delivered, published).

Every action is authorised, recorded in the audit log, and changes a draw only through the
lifecycle's conditional update (draws.take), so it cannot race a trigger that is drawing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from luckyclub.core import db
from luckyclub.core.errors import UserError
from luckyclub.draws import draw_key, round_time
from luckyclub.draws.proof import parameters_to_dict, result_to_dict, run_draw
from luckyclub.draws.snapshot import line_of
from luckyclub.models import (
    Draw,
    DrawSnapshot,
    DrawStatus,
    DrawTrigger,
    DrawWinner,
    User,
    WinnerStatus,
    id_of,
    utcnow,
)
from luckyclub.platform import accounts, audit, draw_kinds, draws
from luckyclub.platform.permissions import require_admin

CLOSE_EARLY_NEEDS_REASON = (
    "This pool is open for entries until {until:%d %b %Y %H:%M} UTC. To end it early, confirm "
    "Draw now with a reason of at least 5 characters: it is recorded in the audit log."
)


def closes_early(draw: Draw, now: datetime) -> bool:
    """Would Draw now end this pool before its own close (so it needs a confirmed reason)?"""
    return draw.status == DrawStatus.SCHEDULED and now < draw.draw_at


def draw_now(
    admin_id: int, draw_id: int, now: datetime | None = None, *, reason: str = ""
) -> draws.Outcome:
    """An admin's "Draw now": close the pool if it is still open, then draw if its round is out.
    Ending an open pool before its close needs the admin's reason, which the audit log keeps."""
    now = now or utcnow()
    with db.session_scope() as session:
        admin = require_admin(session.get(User, admin_id))
        draw = draws.get(session, draw_id)
        if draw.status in (DrawStatus.DRAWN, DrawStatus.VOID):
            return draws.Outcome("taken", f"This draw is {draw.status} already.")
        if draw.status == DrawStatus.SCHEDULED and (
            why := draws.pool_of(draw).blocked(session, draw, now)
        ):
            return draws.Outcome("blocked", why)
        early = closes_early(draw, now)
        if early and len(" ".join(reason.split())) < 5:
            return draws.Outcome("blocked", CLOSE_EARLY_NEEDS_REASON.format(until=draw.draw_at))
        if draw.status == DrawStatus.SCHEDULED and draws.close(session, draw_id, now):
            detail = f"closed early: Draw now — {audit.checked_reason(reason)}" if early else ""
            audit.record(session, admin, "draw.close", "draw", draw_id, detail or "Draw now")
    outcome = draws.perform(draw_id, trigger=DrawTrigger.ADMIN, actor_id=admin_id, now=now)
    with db.session_scope() as session:
        if outcome.status == "drawn":
            admin = db.get_existing(session, User, admin_id)
            audit.record(session, admin, "draw.draw", "draw", draw_id)
        draw = db.get_existing(session, Draw, draw_id)
        if outcome.status == "not_due":
            moment = datetime.fromtimestamp(round_time(draws.bound_round(draw)), UTC)
            return draws.Outcome(
                "not_due",
                f"Closed. The draw waits for drand round {draw.beacon_round}, published at "
                f"{moment:%H:%M:%S} UTC; it runs by itself within seconds of that.",
            )
        if draw.status == DrawStatus.VOID:
            return draws.Outcome("void", draw.reason or "The draw is void.")
    return outcome


def skip_beacon(
    session: Session, admin: User, draw_id: int, reason: str, now: datetime | None = None
) -> Draw:
    """Switch one frozen draw to no beacon (no relay answers), with the reason its proof shows."""
    require_admin(admin)
    reason = audit.checked_reason(reason)
    now = now or utcnow()
    switched = draws.take(
        session,
        draw_id,
        now,
        also=col(Draw.use_beacon).is_(True),
        use_beacon=False,
        no_beacon_reason=reason,
        beacon_round=None,
        status=DrawStatus.CLOSED,
        next_attempt_at=now,
        last_problem=None,
    )
    draw = draws.get(session, draw_id)
    if not switched:
        raise UserError(_cannot(draw, "switch to no beacon"))
    draws.announce(session, draw)
    audit.record(session, admin, "draw.no_beacon", "draw", draw_id, reason)
    return draw


def draw_without_beacon(
    admin_id: int, draw_id: int, reason: str, now: datetime | None = None
) -> draws.Outcome:
    """An admin's "Draw without beacon": switch the waiting draw off drand, then Draw now."""
    now = now or utcnow()
    with db.session_scope() as session:
        skip_beacon(session, require_admin(session.get(User, admin_id)), draw_id, reason, now)
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
    draw = draws.get(session, draw_id)
    pool = draws.pool_of(draw)
    if refused := draw_kinds.for_draw(draw).no_manual_winners:
        raise UserError(refused)
    if draw.status == DrawStatus.SCHEDULED and (why := pool.blocked(session, draw, now)):
        raise UserError(why)
    numbered = draw_kinds.for_draw(draw).numbered
    user = None
    if ticket in (None, ""):
        user = accounts.find_by_email(session, email or "")
        if user is None:
            field = "email" if not numbered or email else "ticket"
            raise UserError("No member has that email address.", field=field)
    elif not numbered:
        raise UserError("This pool has no numbered tickets; name the winner by email.")
    if draw.status == DrawStatus.SCHEDULED:
        draws.close(session, draw_id, now)
    taken = draws.take(session, draw_id, now, status=DrawStatus.DRAWN)
    session.refresh(draw)
    if not taken:
        raise UserError(_cannot(draw, "override"))
    snapshot = db.get_existing(session, DrawSnapshot, draw_id).body
    chosen_ticket: int | None  # None: the admin named a member, not a ticket
    if user is None:
        named = _named_ticket(snapshot, ticket)
        chosen_ticket, ref = named.ticket, named.entrant
        users = pool.owners(session, draw, [named])
    else:
        chosen_ticket, ref = None, _named_member(draw, snapshot, user)
        users = {ref: id_of(user)}
    draw.result = json.dumps([{"manual_override": {"reason": reason, "winners": [ref]}}])
    draw.trigger, draw.actor_id, draw.reason, draw.drawn_at = (
        DrawTrigger.OVERRIDE,
        admin.id,
        reason,
        now,
    )
    draw.next_attempt_at = None
    winner = draws.add_winner(session, draw, 1, 0, chosen_ticket, ref, users)
    pool.settle(session, draw, now)
    draws.announce(session, draw, [winner])
    who = user.email if user else f"ticket {chosen_ticket}"
    audit.record(session, admin, "draw.override", "draw", draw_id, f"{who}: {reason}")
    session.flush()
    return draw


def _named_ticket(snapshot: bytes, ticket: int | str | None) -> draws.Drawn:
    """The ticket an override names, found in the frozen snapshot (only an entrant can win)."""
    try:
        number = int(str(ticket).strip().lstrip("#"))
    except ValueError:
        raise UserError("Give the winning ticket's number, like 42.", field="ticket") from None
    fields = line_of(snapshot, str(number))
    if fields is None:
        raise UserError(
            f"Ticket {number} was not in the draw (not sold, or refunded).", field="ticket"
        )
    return draws.Drawn(fields[1], number)


def _named_member(draw: Draw, snapshot: bytes, user: User) -> str:
    """The entrant ref of the member an override names, who must be in the frozen snapshot."""
    ref = draws.ref_for(draw.pool_id, id_of(user))
    if not draw_kinds.for_draw(draw).holds(snapshot, ref):
        raise UserError(
            f"{user.email} held no entries when the pool closed; only an entrant can win.",
            field="email",
        )
    return ref


def reroll(session: Session, admin: User, winner_id: int, reason: str) -> DrawWinner:
    """Replace an unreachable or disqualified winner with one drawn from the same stream."""
    require_admin(admin)
    reason = audit.checked_reason(reason)
    winner = session.get(DrawWinner, winner_id)
    if winner is None:
        raise UserError("That winner no longer exists.")
    # One reroll at a time, on the row as it is now, even if this session read the draw before.
    draw = session.get(Draw, winner.draw_id, with_for_update=True, populate_existing=True)
    if draw is None:
        raise LookupError(f"Draw {winner.draw_id} does not exist.")
    session.refresh(winner)
    if refused := draw_kinds.for_draw(draw).no_manual_winners:
        raise UserError(refused)
    if draw.trigger == DrawTrigger.OVERRIDE:
        raise UserError("This draw was a manual override, so it has no random stream to reroll.")
    if winner.status == WinnerStatus.REPLACED:
        raise UserError("This winner was replaced already; reload to see who replaced them.")
    runs = draws.runs_of(draw)
    number = len(runs)
    earlier = session.exec(select(DrawWinner).where(DrawWinner.draw_id == draw.id)).all()
    pool = draws.pool_of(draw)
    parameters = pool.parameters(draw, reroll=number, earlier=earlier)
    randomness = bytes.fromhex(draw.beacon_randomness) if draw.beacon_randomness else None
    snapshot = db.get_existing(session, DrawSnapshot, draw.id).body
    result = run_draw(draw_key(bytes.fromhex(draw.seed), randomness), snapshot, parameters)
    winners = draws.drawn_winners(result)
    if not winners:
        raise UserError("Everyone who held entries has won already: nobody is left to draw.")
    drawn = winners[0]
    runs.append({"parameters": parameters_to_dict(parameters), "result": result_to_dict(result)})
    draw.result = json.dumps(runs)
    winner.status, winner.replaced_reason = WinnerStatus.REPLACED, reason
    users = pool.owners(session, draw, [drawn])
    replacement = draws.add_winner(
        session, draw, winner.position, number, drawn.ticket, drawn.entrant, users
    )
    draws.announce(session, draw, [winner, replacement])
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
    draw = draws.get(session, draw_id)
    voided = draws.take(
        session,
        draw_id,
        now,
        statuses=draws.UNDRAWN,
        status=DrawStatus.VOID,
        reason=reason,
        drawn_at=now,
        actor_id=admin.id,
    )
    session.refresh(draw)
    if not voided:
        raise UserError(_cannot(draw, "void"))
    draws.pool_of(draw).voided(session, draw, now)
    draws.announce(session, draw)
    audit.record(session, admin, "draw.void", "draw", draw_id, reason)
    return draw


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
    draw = db.get_existing(session, Draw, winner.draw_id)
    if action == "contacted":
        winner.status, winner.contacted_at = WinnerStatus.CONTACTED, winner.contacted_at or now
    elif action == "delivered":
        winner.status, winner.delivered_at = WinnerStatus.DELIVERED, now
        winner.contacted_at = winner.contacted_at or now
        user = session.get(User, winner.user_id) if winner.user_id else None
        if user is not None:
            draws.pool_of(draw).delivered(session, draw, winner, user)
    elif action == "publish":
        winner.published_at = winner.published_at or now
    elif action == "unpublish":
        winner.published_at = None
    else:
        raise UserError(f"Unknown winner action {action!r}.")
    draws.announce(session, draw, [winner])
    audit.record(session, admin, f"winner.{action}", "draw_winner", winner.id)
    return winner


def winner_user_id(session: Session, winner_id: int) -> int | None:
    """The member a winner row names (None for no such row, or a winner with no account)."""
    winner = session.get(DrawWinner, winner_id)
    return winner.user_id if winner else None

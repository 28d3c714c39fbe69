"""The moderators' console of a community, as frozen dataclasses of plain values: the link
queue, gifts log, wager polls, chat time, exclusions, the period's stats and draw, and the audit
rows. Only the community's moderators (and platform admins) may read it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from luckyclub.club import ledger
from luckyclub.club.raffles import month_label, month_of
from luckyclub.community import claims, communities, periods
from luckyclub.community.views import (
    PeriodDraw,
    SourceTotal,
    find_period,
    period_draw,
    totals_by_source,
)
from luckyclub.models import (
    ChatCarry,
    ChatMinute,
    Community,
    Draw,
    ExcludedViewer,
    HeldTicket,
    KickGift,
    KickIdentity,
    Raffle,
    User,
    WagerPoll,
    id_of,
    utcnow,
)
from luckyclub.platform import audit, roles

# ---- the moderators' console --------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimRow:
    id: int
    user_id: int
    viewer: str  # "Ann <ann@example.com>"
    username: str
    created_at: datetime


@dataclass(frozen=True)
class GiftRow:
    id: int
    gifter: str
    gifter_kick_id: int | None
    giftees: int
    tickets: int
    gifted_at: datetime
    reversed: bool
    reversed_reason: str


@dataclass(frozen=True)
class PollRow:
    started_at: datetime
    ok: bool
    rows: int
    credited: int
    detail: str


@dataclass(frozen=True)
class ChatRow:
    kick_user_id: int
    username: str
    minutes: int  # chat-active minutes this period
    carried: int  # minutes not yet worth a whole block
    linked: bool


@dataclass(frozen=True)
class ExclusionRow:
    kick_user_id: int
    username: str
    reason: str
    created_at: datetime


@dataclass(frozen=True)
class PeriodStats:
    period_label: str
    period_ends_at: datetime
    total_tickets: int
    participants: int
    by_source: tuple[SourceTotal, ...]
    held_tickets: int  # earned by Kick ids nobody has linked yet
    held_viewers: int
    chat_minutes: int


@dataclass(frozen=True)
class AuditRow:
    created_at: datetime
    actor: str
    action: str
    detail: str


@dataclass(frozen=True)
class ModeratorView:
    grant_id: int
    name: str


@dataclass(frozen=True)
class ModeratorConsole:
    community_id: int
    slug: str
    name: str
    is_live: bool
    live_since: datetime | None
    link_queue: tuple[ClaimRow, ...]
    gifts: tuple[GiftRow, ...]
    polls: tuple[PollRow, ...]
    chat: tuple[ChatRow, ...]
    exclusions: tuple[ExclusionRow, ...]
    stats: PeriodStats
    draws: tuple[PeriodDraw, ...]  # the latest periods' draws, newest first
    moderators: tuple[ModeratorView, ...]
    audit: tuple[AuditRow, ...]


def moderator_console(
    session: Session, moderator: User | None, community: Community, now: datetime | None = None
) -> ModeratorConsole:
    """Everything the console shows; only for the community's moderators (and admins)."""
    roles.require_program_moderator(session, moderator, community.program_id)
    now = now or utcnow()
    month = month_of(now)
    period = find_period(session, community, now)
    names = _kick_names(session, community)
    return ModeratorConsole(
        community_id=id_of(community),
        slug=communities.slug_of(session, community),
        name=communities.name_of(session, community),
        is_live=community.is_live,
        live_since=community.live_since,
        link_queue=_link_queue(session, community),
        gifts=_gifts(session, community),
        polls=_polls(session, community),
        chat=_chat(session, community, period, month, names),
        exclusions=tuple(
            ExclusionRow(
                row.kick_user_id, names.get(row.kick_user_id, ""), row.reason, row.created_at
            )
            for row in session.exec(
                select(ExcludedViewer)
                .where(ExcludedViewer.community_id == community.id)
                .order_by(col(ExcludedViewer.id).desc())
            )
        ),
        stats=_stats(session, community, period, month),
        draws=tuple(
            period_draw(session, p, now) for p in periods.periods(session, community, limit=3)
        ),
        moderators=tuple(
            ModeratorView(id_of(grant), f"{user.display_name} <{user.email}>")
            for grant, user in communities.moderators(session, community)
        ),
        audit=_audit(session, community),
    )


def _kick_names(session: Session, community: Community) -> dict[int, str]:
    """Usernames of the Kick ids this console names (excluded, chatting, gifting)."""
    ids = select(ExcludedViewer.kick_user_id).where(ExcludedViewer.community_id == community.id)
    chatting = select(ChatMinute.kick_user_id).where(ChatMinute.community_id == community.id)
    rows = session.exec(
        select(KickIdentity.kick_user_id, KickIdentity.username).where(
            col(KickIdentity.kick_user_id).in_(ids) | col(KickIdentity.kick_user_id).in_(chatting)
        )
    ).all()
    return dict(rows)


def _link_queue(session: Session, community: Community) -> tuple[ClaimRow, ...]:
    queue = claims.pending(session, community)
    users = {
        user.id: user
        for user in session.exec(select(User).where(col(User.id).in_([c.user_id for c in queue])))
    }
    return tuple(
        ClaimRow(
            id=id_of(c),
            user_id=c.user_id,
            viewer=f"{users[c.user_id].display_name} <{users[c.user_id].email}>"
            if c.user_id in users
            else f"#{c.user_id}",
            username=c.username,
            created_at=c.created_at,
        )
        for c in queue
    )


def _gifts(session: Session, community: Community, limit: int = 100) -> tuple[GiftRow, ...]:
    rows = session.exec(
        select(KickGift)
        .where(KickGift.community_id == community.id)
        .order_by(col(KickGift.id).desc())
        .limit(limit)
    )
    return tuple(
        GiftRow(
            id=id_of(g),
            gifter=g.gifter_name or "anonymous",
            gifter_kick_id=g.gifter_kick_id,
            giftees=g.giftees,
            tickets=g.tickets,
            gifted_at=g.gifted_at,
            reversed=g.reversed_at is not None,
            reversed_reason=g.reversed_reason or "",
        )
        for g in rows
    )


def _polls(session: Session, community: Community, limit: int = 20) -> tuple[PollRow, ...]:
    rows = session.exec(
        select(WagerPoll)
        .where(WagerPoll.community_id == community.id)
        .order_by(col(WagerPoll.id).desc())
        .limit(limit)
    )
    return tuple(PollRow(p.started_at, p.ok, p.rows, p.credited, p.detail) for p in rows)


def _chat(
    session: Session,
    community: Community,
    period: Raffle | None,
    month: str,
    names: dict[int, str],
    limit: int = 100,
) -> tuple[ChatRow, ...]:
    minutes = func.count()
    rows = session.exec(
        select(ChatMinute.kick_user_id, minutes)
        .where(
            ChatMinute.community_id == community.id,
            col(ChatMinute.minute) >= periods.period_start(month),
            col(ChatMinute.minute) < periods.period_end(month),
        )
        .group_by(col(ChatMinute.kick_user_id))
        .order_by(minutes.desc())
        .limit(limit)
    ).all()
    ids = [kick_id for kick_id, _ in rows]
    carried: dict[int, int] = {}
    if period is not None and ids:
        carried = dict(
            session.exec(
                select(ChatCarry.kick_user_id, ChatCarry.minutes).where(
                    ChatCarry.raffle_id == period.id, col(ChatCarry.kick_user_id).in_(ids)
                )
            ).all()
        )
    linked = set(
        session.exec(
            select(KickIdentity.kick_user_id).where(
                col(KickIdentity.kick_user_id).in_(ids), col(KickIdentity.user_id).is_not(None)
            )
        ).all()
    )
    return tuple(
        ChatRow(kick_id, names.get(kick_id, ""), int(n), carried.get(kick_id, 0), kick_id in linked)
        for kick_id, n in rows
    )


def _stats(
    session: Session, community: Community, period: Raffle | None, month: str
) -> PeriodStats:
    counts = ledger.totals(session, id_of(period)) if period else ledger.RaffleTotals(0, 0)
    held_tickets, held_viewers = 0, 0
    if period is not None:
        held_tickets, held_viewers = session.exec(
            select(
                func.coalesce(func.sum(HeldTicket.amount), 0),
                func.count(func.distinct(HeldTicket.kick_user_id)),
            ).where(HeldTicket.raffle_id == period.id, col(HeldTicket.released_at).is_(None))
        ).one()
    chat_minutes = session.exec(
        select(func.count()).where(
            ChatMinute.community_id == community.id,
            col(ChatMinute.minute) >= periods.period_start(month),
            col(ChatMinute.minute) < periods.period_end(month),
        )
    ).one()
    return PeriodStats(
        period_label=month_label(month),
        period_ends_at=periods.period_end(month),
        total_tickets=counts.entries,
        participants=counts.entrants,
        by_source=totals_by_source(session, id_of(period)) if period else (),
        held_tickets=int(held_tickets),
        held_viewers=int(held_viewers),
        chat_minutes=int(chat_minutes),
    )


def _audit(session: Session, community: Community, limit: int = 100) -> tuple[AuditRow, ...]:
    """What moderators and admins did in this community, and to its periods' draws."""
    period_ids = select(Raffle.id).where(Raffle.program_id == community.program_id)
    draw_ids = [
        str(draw_id)
        for draw_id in session.exec(
            select(Draw.id).where(Draw.mode == periods.MODE, col(Draw.source_id).in_(period_ids))
        ).all()
    ]
    targets: list[tuple[str, object]] = [("community", id_of(community))]
    targets += [("draw", draw_id) for draw_id in draw_ids]
    rows = audit.for_targets(session, targets, limit=limit)
    actors = {
        user.id: user.email
        for user in session.exec(
            select(User).where(col(User.id).in_({row.actor_id for row in rows}))
        )
    }
    return tuple(
        AuditRow(
            created_at=row.created_at,
            actor=actors.get(row.actor_id, "the system"),
            action=row.action,
            detail=row.detail,
        )
        for row in reversed(rows)
    )

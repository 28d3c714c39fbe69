"""Read models of a community's pages, as frozen dataclasses of plain values (no ORM rows): the
public page and a viewer's own page (the moderators' console is console.py). Reading never
writes: a period nobody has earned in yet is shown empty."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from luckyclub.club import ledger
from luckyclub.club.raffles import month_label, month_of
from luckyclub.community import claims, communities, discord_link, periods
from luckyclub.community.tickets import SOURCE_WORDS
from luckyclub.core import routes
from luckyclub.models import (
    Community,
    Draw,
    DrawStatus,
    DrawWinner,
    EntryBalance,
    EntryLedger,
    KickIdentity,
    Raffle,
    User,
    WinnerStatus,
    id_of,
    utcnow,
)
from luckyclub.platform import draws

LEADERBOARD_SIZE = 25


def public_name(user: User) -> str:
    """How a viewer appears to others: their display name if they chose so, else Viewer #id."""
    return user.display_name if user.show_on_leaderboard else f"Viewer #{user.id}"


# ---- shared pieces ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceTotal:
    source: str  # a LedgerSource
    words: str  # "Chat time", "Gifted subs"…
    tickets: int


@dataclass(frozen=True)
class LeaderRow:
    rank: int
    name: str  # display name or "Viewer #n", by the viewer's choice
    tickets: int


@dataclass(frozen=True)
class Rates:
    """How to earn, in the community's numbers and in words."""

    chat_minutes: int
    chat_tickets: int
    gift_tickets: int
    wager_unit: int
    wager_tickets: int
    has_wagers: bool
    lines: tuple[str, ...]


CHAT_TIME_MEANS = (
    "Kick tells nobody who is watching, so chat time counts chat-active minutes: while the "
    "stream is live, each minute counts for every viewer who chatted in the last 5 minutes, "
    "as long as at least 2 different viewers chatted in those 5 minutes; at most 60 minutes an "
    "hour. Minutes turn into tickets every hour; what is left over carries to the next hour "
    "within the month."
)


@dataclass(frozen=True)
class PeriodDraw:
    """A period's draw as the pages show it."""

    period_id: int
    label: str  # "December 2026"
    ended: bool  # the period is over (or drawn early)
    draw_id: int | None
    status: str  # scheduled, closed, waiting_for_beacon, drawn, void, or "" (no draw yet)
    commitment: str
    draw_url: str  # the public draw page with its proof ("" without a draw)
    live_url: str
    tickets: int
    participants: int


@dataclass(frozen=True)
class PastWinner:
    label: str  # the period, "November 2026"
    name: str
    tickets: int  # the winner's tickets in the period
    total_tickets: int
    participants: int
    winning_ticket: int | None  # counted from 1; None for a manual override
    draw_id: int
    proof_url: str


@dataclass(frozen=True)
class CommunityPage:
    """The public page /community/<slug>."""

    community_id: int
    slug: str
    name: str
    prize: str
    is_live: bool
    period_id: int | None  # None until something was earned this month
    period_label: str
    period_starts_at: datetime
    period_ends_at: datetime  # the countdown's deadline (the browser ticks)
    total_tickets: int
    participants: int
    by_source: tuple[SourceTotal, ...]
    leaderboard: tuple[LeaderRow, ...]
    rates: Rates
    chat_time_means: str
    past_winners: tuple[PastWinner, ...]
    draw: PeriodDraw | None


def _rates(community: Community) -> Rates:
    lines = [
        f"{community.chat_minutes} chat-active minutes = {community.chat_tickets} tickets",
    ]
    if community.gift_tickets:
        lines.append(f"1 gifted sub = {community.gift_tickets} tickets (to the gifter)")
    has_wagers = bool(community.affiliate_source and community.wager_tickets)
    if has_wagers:
        lines.append(
            f"${community.wager_unit:,} wagered = {community.wager_tickets} tickets "
            "(verified affiliate username)"
        )
    return Rates(
        chat_minutes=community.chat_minutes,
        chat_tickets=community.chat_tickets,
        gift_tickets=community.gift_tickets,
        wager_unit=community.wager_unit,
        wager_tickets=community.wager_tickets,
        has_wagers=has_wagers,
        lines=tuple(lines),
    )


def find_period(session: Session, community: Community, now: datetime) -> Raffle | None:
    return session.exec(
        select(Raffle).where(
            Raffle.program_id == community.program_id, Raffle.month == month_of(now)
        )
    ).first()


def totals_by_source(session: Session, period_id: int) -> tuple[SourceTotal, ...]:
    rows = session.exec(
        select(EntryLedger.source, func.sum(EntryLedger.amount))
        .where(EntryLedger.raffle_id == period_id)
        .group_by(col(EntryLedger.source))
    ).all()
    sums = {source: int(total) for source, total in rows}
    return tuple(
        SourceTotal(source, words, sums[source])
        for source, words in SOURCE_WORDS.items()
        if sums.get(source)
    )


def leaderboard(
    session: Session, period_id: int, *, limit: int = LEADERBOARD_SIZE
) -> tuple[LeaderRow, ...]:
    """The top holders of a period, most tickets first: read backwards along EntryBalance's
    (raffle_id, held, user_id) index, so it costs the rows shown, not the viewers."""
    rows = session.exec(
        select(EntryBalance.held, User)
        .join(User, col(User.id) == col(EntryBalance.user_id))
        .where(EntryBalance.raffle_id == period_id, EntryBalance.held > 0)
        .order_by(col(EntryBalance.held).desc(), col(EntryBalance.user_id).desc())
        .limit(limit)
    ).all()
    return tuple(
        LeaderRow(rank=n, name=public_name(user), tickets=int(held))
        for n, (held, user) in enumerate(rows, start=1)
    )


def period_draw(session: Session, period: Raffle, now: datetime) -> PeriodDraw:
    draw = periods.draw_of(session, id_of(period))
    counts = ledger.totals(session, id_of(period))
    drawn = draw is not None and draw.status != DrawStatus.SCHEDULED
    return PeriodDraw(
        period_id=id_of(period),
        label=month_label(period.month),
        ended=not periods.is_open(period, now),
        draw_id=draw.id if draw else None,
        status=draw.status if draw else "",
        commitment=draw.commitment if draw else "",
        draw_url=routes.draw_page(id_of(draw)) if draw else "",
        live_url=routes.live_page(id_of(draw)) if draw else "",
        tickets=draw.entry_count if drawn and draw else counts.entries,
        participants=draw.entrant_count if drawn and draw else counts.entrants,
    )


def past_winners(session: Session, community: Community, *, limit: int = 12) -> list[PastWinner]:
    rows = session.exec(
        select(Raffle, Draw, DrawWinner, User)
        .join(Draw, (col(Draw.source_id) == col(Raffle.id)) & (col(Draw.mode) == periods.MODE))
        .join(DrawWinner, col(DrawWinner.draw_id) == col(Draw.id))
        .outerjoin(User, col(User.id) == col(DrawWinner.user_id))
        .where(
            Raffle.program_id == community.program_id,
            Draw.status == DrawStatus.DRAWN,
            DrawWinner.status != WinnerStatus.REPLACED,
        )
        .order_by(col(Raffle.month).desc(), col(DrawWinner.position))
        .limit(limit)
    ).all()
    return [
        PastWinner(
            label=month_label(period.month),
            name=public_name(user) if user else "An entrant",
            tickets=ledger.balance(session, id_of(period), id_of(user)) if user else 0,
            total_tickets=draw.entry_count,
            participants=draw.entrant_count,
            winning_ticket=None if winner.ticket is None else winner.ticket + 1,
            draw_id=id_of(draw),
            proof_url=routes.draw_page(id_of(draw)),
        )
        for period, draw, winner, user in rows
    ]


def public_page(
    session: Session, slug: str, now: datetime | None = None, *, top: int = LEADERBOARD_SIZE
) -> CommunityPage | None:
    """The public community page; None for an unknown address."""
    community = communities.by_slug(session, slug)
    if community is None:
        return None
    now = now or utcnow()
    month = month_of(now)
    period = find_period(session, community, now)
    counts = ledger.totals(session, id_of(period)) if period else ledger.RaffleTotals(0, 0)
    return CommunityPage(
        community_id=id_of(community),
        slug=communities.slug_of(session, community),
        name=communities.name_of(session, community),
        prize=community.prize,
        is_live=community.is_live,
        period_id=period.id if period else None,
        period_label=month_label(month),
        period_starts_at=periods.period_start(month),
        period_ends_at=periods.period_end(month),
        total_tickets=counts.entries,
        participants=counts.entrants,
        by_source=totals_by_source(session, id_of(period)) if period else (),
        leaderboard=leaderboard(session, id_of(period), limit=top) if period else (),
        rates=_rates(community),
        chat_time_means=CHAT_TIME_MEANS,
        past_winners=tuple(past_winners(session, community)),
        draw=period_draw(session, period, now) if period else None,
    )


# ---- a viewer's page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerRowView:
    created_at: datetime
    source: str
    words: str
    amount: int  # negative for removals and reversals
    reason: str


@dataclass(frozen=True)
class KickLinkView:
    linked: bool
    username: str
    kick_user_id: int | None
    linked_at: datetime | None


@dataclass(frozen=True)
class ClaimView:
    username: str
    status: str  # pending, verified, rejected
    reason: str  # a rejection's reason
    created_at: datetime
    next_claim_at: datetime | None  # when a new claim is allowed (rejected claims only)


@dataclass(frozen=True)
class ViewerPage:
    community_id: int
    slug: str
    name: str
    period_label: str
    period_ends_at: datetime
    tickets: int
    total_tickets: int
    odds_percent: float
    by_source: tuple[SourceTotal, ...]
    rows: tuple[LedgerRowView, ...]
    kick: KickLinkView
    claim: ClaimView | None
    can_claim: bool
    has_wagers: bool
    public_name: str  # how the leaderboard shows this viewer
    shows_name: bool
    entrant_ref: str = ""  # the viewer's pseudonym in the period's draw: what Check my entry takes
    discord_username: str = ""  # the linked Discord account's name; "" when none is linked


def _entrant_ref(session: Session, period: Raffle | None, user_id: int) -> str:
    draw = periods.draw_of(session, id_of(period)) if period is not None else None
    return draws.ref_for(draw.pool_id, user_id) if draw is not None else ""


def viewer_page(
    session: Session, community: Community, viewer: User, now: datetime | None = None
) -> ViewerPage:
    """The signed-in viewer's own page in a community: tickets, every ledger row, links."""
    now = now or utcnow()
    month = month_of(now)
    period = find_period(session, community, now)
    user_id = id_of(viewer)
    mine = ledger.balance(session, id_of(period), user_id) if period else 0
    total = ledger.totals(session, id_of(period)).entries if period else 0
    by_source = ledger.breakdown(session, id_of(period), user_id) if period else {}
    rows = (
        ledger.member_rows(session, user_id, raffle_id=id_of(period), limit=500) if period else []
    )
    identity = session.exec(select(KickIdentity).where(KickIdentity.user_id == user_id)).first()
    discord = discord_link.discord_of(session, user_id)
    latest = claims.latest_claim(session, community, user_id)
    claim = None
    if latest is not None:
        again = latest.created_at + claims.CLAIM_EVERY
        claim = ClaimView(
            username=latest.username,
            status=latest.status,
            reason=latest.reason,
            created_at=latest.created_at,
            next_claim_at=again if latest.status == "rejected" and again > now else None,
        )
    can_claim = latest is None or (
        latest.status == "rejected" and latest.created_at + claims.CLAIM_EVERY <= now
    )
    return ViewerPage(
        community_id=id_of(community),
        slug=communities.slug_of(session, community),
        name=communities.name_of(session, community),
        period_label=month_label(month),
        period_ends_at=periods.period_end(month),
        tickets=mine,
        total_tickets=total,
        odds_percent=100.0 * mine / total if total else 0.0,
        by_source=tuple(
            SourceTotal(source, words, by_source[source])
            for source, words in SOURCE_WORDS.items()
            if by_source.get(source)
        ),
        rows=tuple(
            LedgerRowView(
                created_at=row.created_at,
                source=row.source,
                words=SOURCE_WORDS.get(row.source, row.source),
                amount=row.amount,
                reason=row.reason,
            )
            for row in rows
        ),
        kick=KickLinkView(
            linked=identity is not None,
            username=identity.username if identity else "",
            kick_user_id=identity.kick_user_id if identity else None,
            linked_at=identity.linked_at if identity else None,
        ),
        claim=claim,
        can_claim=can_claim,
        has_wagers=bool(community.affiliate_source),
        public_name=public_name(viewer),
        entrant_ref=_entrant_ref(session, period, user_id),
        shows_name=viewer.show_on_leaderboard,
        discord_username=(discord.username or str(discord.discord_user_id)) if discord else "",
    )

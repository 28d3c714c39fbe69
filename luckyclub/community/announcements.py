"""What a community's Discord channel hears, in the seed's words: a new period (with last month's
winner), a period's winner with its proof link, and a gift or a wager poll that earned a viewer at
least the community's threshold at once; and an admin's test message. Each is queued through the
outbox (platform/notify.announce) in the transaction of what it tells, once, and only while the
community has a webhook set; people are named as the community's public pages name them."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlmodel import Session, col, select

from luckyclub.club import ledger
from luckyclub.club.raffles import month_label, month_of
from luckyclub.community import communities, periods
from luckyclub.core import db, routes
from luckyclub.core.errors import UserError
from luckyclub.core.settings import get_settings
from luckyclub.integrations import discord
from luckyclub.models import (
    Community,
    Draw,
    DrawStatus,
    DrawWinner,
    Raffle,
    User,
    WinnerStatus,
    id_of,
)
from luckyclub.platform import audit, mail, notify
from luckyclub.platform.permissions import require_admin

LAST_PERIOD = "community_last_period"  # the filler of a new period's line about the last one


def public_name(user: User) -> str:
    """A viewer as the community's pages show them, written so Discord shows it as typed."""
    from luckyclub.community.views import public_name as shown

    return discord.plain(shown(user))


# ---- a new period --------------------------------------------------------------------------------


def new_period(session: Session, community: Community, period: Raffle) -> bool:
    """ "🎟️ NEW RAFFLE PERIOD STARTED!", with the last period's winner when there was a last
    period. That line is written when the post is sent (a filler): the reset queues the post
    before an automatic draw of the last period runs, so by then the winner is usually known."""
    last = _period_before(session, community, period)
    lines = ["🎟️ NEW RAFFLE PERIOD STARTED!"]
    if last is not None:
        lines.append(mail.blank("last_period"))
    lines.append("Start earning tickets for this month!")
    return notify.announce(
        session,
        community,
        notify.NEW_PERIOD,
        unique_id=f"period:{id_of(period)}",
        text="\n".join(lines),
        fill=mail.fill_of(LAST_PERIOD, id_of(period)) if last is not None else None,
    )


def _period_before(session: Session, community: Community, period: Raffle) -> Raffle | None:
    return session.exec(
        select(Raffle)
        .where(Raffle.program_id == community.program_id, col(Raffle.month) < period.month)
        .order_by(col(Raffle.month).desc())
    ).first()


def last_period_line(session: Session, period: Raffle) -> str:
    """ "Last month's winner: Ann (1,234 tickets)", or where that period's draw stands."""
    community = periods.community_of_program(session, period.program_id)
    last = _period_before(session, community, period) if community is not None else None
    if last is None:
        return ""
    before = month_of(periods.period_start(period.month) - timedelta(seconds=1))
    whose = "Last month's" if last.month == before else f"{month_label(last.month)}'s"
    draw = periods.draw_of(session, id_of(last))
    if draw is None or draw.status not in (DrawStatus.DRAWN, DrawStatus.VOID):
        return f"{whose} draw is still to come: watch this channel for the winner."
    if draw.status == DrawStatus.VOID:
        return f"{whose} draw was cancelled, so it has no winner."
    found = session.exec(
        select(DrawWinner, User)
        .outerjoin(User, col(User.id) == col(DrawWinner.user_id))
        .where(DrawWinner.draw_id == draw.id, DrawWinner.status != WinnerStatus.REPLACED)
        .order_by(col(DrawWinner.position))
    ).first()
    if found is None:
        return f"{whose} draw has no winner."
    _, user = found
    if user is None:
        return f"{whose} winner: an entrant"
    held = ledger.balance(session, id_of(last), id_of(user))
    return f"{whose} winner: {public_name(user)} ({held:,} ticket{'s' if held != 1 else ''})"


def _fill_last_period(session: Session, ref: str) -> dict[str, str]:
    period = db.get_existing(session, Raffle, int(ref))
    return {"last_period": last_period_line(session, period)}


mail.register_filler(LAST_PERIOD, _fill_last_period)


# ---- a period's winner ---------------------------------------------------------------------------


def period_winner(session: Session, draw: Draw) -> bool:
    """The winner announcement of a drawn period (pool.announcement: the seed's format and the
    proof link), once per draw, whichever trigger drew it."""
    from luckyclub.community import pool

    period = session.get(Raffle, draw.source_id)
    community = periods.community_of_program(session, period.program_id) if period else None
    if community is None or not community.discord_webhook_url:
        return False
    text = pool.announcement(session, id_of(draw), name=public_name)
    if not text:
        return False
    return notify.announce(
        session, community, notify.PERIOD_WINNER, unique_id=f"draw:{draw.id}", text=text
    )


# ---- tickets earned at once ----------------------------------------------------------------------


def gift_earned(
    session: Session, community: Community, user: User | None, tickets: int, subs: int, key: str
) -> bool:
    """ "🎁 Ann earned 45 tickets for gifting 3 subs!" when that reaches the threshold. `user` is
    None while the gifter's Kick account is not linked: their tickets are held, and they are
    not named (the pages name only viewers who joined, as they chose)."""
    gifting = "a sub" if subs == 1 else f"{subs:,} subs"
    if user is not None:
        text = f"🎁 {public_name(user)} earned {tickets:,} tickets for gifting {gifting}!"
    else:
        page = get_settings().app_url + routes.community_page(
            communities.slug_of(session, community)
        )
        text = (
            f"🎁 A viewer earned {tickets:,} tickets for gifting {gifting}! They are kept for "
            f"them until they link their Kick account: {page}"
        )
    return _earned(session, community, tickets, key, text)


def wagers_earned(
    session: Session, community: Community, user: User, tickets: int, key: str
) -> bool:
    """ "🎰 Ann earned 40 tickets from wagers!" when one poll credited that many."""
    text = f"🎰 {public_name(user)} earned {tickets:,} tickets from wagers!"
    return _earned(session, community, tickets, key, text)


def _earned(session: Session, community: Community, tickets: int, key: str, text: str) -> bool:
    if tickets < community.discord_announce_threshold:
        return False
    return notify.announce(session, community, notify.TICKETS_EARNED, unique_id=key, text=text)


# ---- an admin's test message ---------------------------------------------------------------------


def send_test(session: Session, admin: User, community_id: int) -> None:
    """A platform admin checks the webhook: a short message is queued (sent within seconds)."""
    require_admin(admin)
    community = communities.get(session, community_id)
    if not community.discord_webhook_url:
        raise UserError("Set the community's Discord webhook URL first.")
    name = communities.name_of(session, community)
    text = (
        f"✅ Test message from LuckyClub: announcements of {discord.plain(name)} are posted in "
        "this channel."
    )
    notify.announce(
        session,
        community,
        notify.TEST_ANNOUNCEMENT,
        unique_id=secrets.token_hex(8),
        text=text,
    )
    audit.record(
        session, admin, "community.discord.test", "community", community.id, "test message"
    )

"""Chat time, Kick's stand-in for watch time: Kick lists no viewers, so while the channel is live a
viewer who chatted in the last five minutes counts as watching and earns one chat-active minute a
minute. Every hour the minutes become tickets at the community's rate, the remainder carried
within the period (docs/community.md says plainly what counts)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, update
from sqlmodel import Session, col, select

from luckyclub.community import exclusions, periods, tickets
from luckyclub.core import db
from luckyclub.models import (
    ChatCarry,
    ChatMinute,
    ChatPresence,
    Community,
    LedgerSource,
    id_of,
)
from luckyclub.platform import changes

ACTIVE_WINDOW = timedelta(minutes=5)  # a viewer who chatted this recently counts as watching
MIN_CHATTERS = 2  # a lone chatter (or one bot) earns nothing: someone must be talking *with* them
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
MINUTES_PER_HOUR = 60


def minute_of(moment: datetime) -> datetime:
    """The start of the UTC minute holding `moment`."""
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def hour_of(moment: datetime) -> datetime:
    """The start of the UTC hour holding `moment`."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def convert(minutes: int, block: int, tickets_per_block: int) -> tuple[int, int]:
    """Chat-active minutes → (tickets, minutes left over): whole blocks of `block` minutes earn
    `tickets_per_block` each; 65 minutes at 60 → 10 make 10 tickets and keep 5 minutes."""
    if block <= 0 or tickets_per_block < 0 or minutes < 0:
        raise ValueError("a conversion needs a positive block, and no negative counts")
    blocks, left = divmod(minutes, block)
    return blocks * tickets_per_block, left


def chat_key(community_id: int, kick_user_id: int, hour_start: datetime) -> str:
    """The idempotency key of one viewer's chat tickets for one hour."""
    return f"chat:{community_id}:{kick_user_id}:{hour_of(hour_start):%Y-%m-%dT%H}"


# ---- chats and minutes ---------------------------------------------------------------------------


def record_chat(
    session: Session, community: Community, kick_user_id: int, username: str, sent_at: datetime
) -> None:
    """A viewer chatted: remember when they last did (a late, older message changes nothing), and
    the name they go by now (a rename follows the Kick id)."""
    community_id = id_of(community)
    presence = db.upsert(session, ChatPresence).values(
        community_id=community_id, kick_user_id=kick_user_id, last_chat_at=sent_at
    )
    latest = case(
        (
            col(ChatPresence.last_chat_at) < presence.excluded.last_chat_at,
            presence.excluded.last_chat_at,
        ),
        else_=col(ChatPresence.last_chat_at),
    )
    session.execute(
        presence.on_conflict_do_update(
            index_elements=["community_id", "kick_user_id"], set_={"last_chat_at": latest}
        )
    )
    tickets.lock_identity(session, kick_user_id, username, sent_at)


def chat_active(session: Session, community: Community, minute: datetime) -> list[int]:
    """The Kick ids (excluded ones left out) who chatted in the five minutes up to the end of
    `minute`, or since: a viewer who chatted again a moment later is still there."""
    since = minute_of(minute) + MINUTE - ACTIVE_WINDOW
    query = (
        select(ChatPresence.kick_user_id)
        .where(
            ChatPresence.community_id == id_of(community),
            col(ChatPresence.last_chat_at) >= since,
        )
        .order_by(col(ChatPresence.kick_user_id))
    )
    excluded = exclusions.excluded_ids(session, community)
    return [int(kick_id) for kick_id in session.exec(query) if kick_id not in excluded]


def tick(session: Session, community: Community, minute: datetime) -> int:
    """Give `minute` to every chat-active viewer, if the channel is live and at least two of them
    chatted; returns the minutes given. Ticking a minute again gives nothing (one per viewer per
    minute, by the unique index), so two schedulers ticking at once give it once."""
    if not community.is_live:
        return 0
    minute = minute_of(minute)
    viewers = chat_active(session, community, minute)
    if len(viewers) < MIN_CHATTERS:
        return 0
    community_id = id_of(community)
    statement = (
        db.upsert(session, ChatMinute)
        .values(
            [
                {
                    "community_id": community_id,
                    "kick_user_id": kick_id,
                    "minute": minute,
                    "converted": False,
                }
                for kick_id in viewers
            ]
        )
        .on_conflict_do_nothing(index_elements=["community_id", "kick_user_id", "minute"])
        .returning(col(ChatMinute.id))
    )
    given = len(session.execute(statement).all())
    if given:
        changes.announce(session, changes.community_chat(community_id))
    return given


# ---- hourly conversion ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HourConverted:
    hour: datetime
    viewers: int  # viewers with minutes in the hour
    minutes: int
    tickets: int


def hours_due(session: Session, community: Community, now: datetime) -> list[datetime]:
    """Every complete hour before `now` that still has unconverted minutes, oldest first: the
    hourly job converts them all, so an hour missed while no scheduler ran is caught up."""
    query = select(ChatMinute.minute).where(
        ChatMinute.community_id == id_of(community),
        col(ChatMinute.converted).is_(False),
        col(ChatMinute.minute) < hour_of(now),
    )
    return sorted({hour_of(minute) for minute in session.exec(query)})


def convert_hour(session: Session, community: Community, hour_start: datetime) -> HourConverted:
    """Turn the chat-active minutes of one hour into tickets, per viewer: the hour's minutes (at
    most 60) plus what the viewer carried in this period, in whole blocks at the community's rate;
    the rest is carried. Each minute is converted once, however many runners try at once."""
    hour_start = hour_of(hour_start)
    community_id = id_of(community)
    # One conversion of a community at a time (PostgreSQL; SQLite has one writer): a second
    # runner waits here, then finds the hour's minutes converted already.
    session.exec(select(Community.id).where(Community.id == community_id).with_for_update()).one()
    claimed = session.execute(
        update(ChatMinute)
        .where(
            col(ChatMinute.community_id) == community_id,
            col(ChatMinute.minute) >= hour_start,
            col(ChatMinute.minute) < hour_start + HOUR,
            col(ChatMinute.converted).is_(False),
        )
        .values(converted=True)
        .returning(col(ChatMinute.kick_user_id))
    ).all()
    per_viewer = Counter(int(kick_id) for (kick_id,) in claimed)
    if not per_viewer:
        return HourConverted(hour_start, 0, 0, 0)
    excluded = exclusions.excluded_ids(session, community)
    raffle_id = id_of(periods.period_of(session, community, hour_start))
    # A bot's minutes are spent without tickets.
    earning = [kick_id for kick_id in sorted(per_viewer) if kick_id not in excluded]
    carries = _carries(session, raffle_id, earning)
    due: list[tuple[int, int]] = []
    for kick_id in earning:
        carry = carries[kick_id]
        earned, carry.minutes = convert(
            carry.minutes + min(per_viewer[kick_id], MINUTES_PER_HOUR),
            community.chat_minutes,
            community.chat_tickets,
        )
        session.add(carry)
        if earned:
            due.append((kick_id, earned))
    credited = tickets.credit_kick_many(
        session,
        community,
        [
            tickets.KickCredit(
                kick_id, LedgerSource.WATCHTIME, earned, chat_key(community_id, kick_id, hour_start)
            )
            for kick_id, earned in due
        ],
        hour_start,
    )
    changes.announce(session, changes.community(community_id))
    given = sum(credit.amount for credit in credited)  # none for a period that has closed
    return HourConverted(hour_start, len(per_viewer), sum(per_viewer.values()), given)


_BATCH = 500  # Kick ids per statement


def _carries(session: Session, raffle_id: int, kick_ids: list[int]) -> dict[int, ChatCarry]:
    """The viewers' carries in the period, made where missing and locked (PostgreSQL)."""
    carries: dict[int, ChatCarry] = {}
    for start in range(0, len(kick_ids), _BATCH):
        batch = kick_ids[start : start + _BATCH]
        session.execute(
            db.upsert(session, ChatCarry)
            .values([{"raffle_id": raffle_id, "kick_user_id": k, "minutes": 0} for k in batch])
            .on_conflict_do_nothing(index_elements=["raffle_id", "kick_user_id"])
        )
        rows = session.exec(
            select(ChatCarry)
            .where(ChatCarry.raffle_id == raffle_id, col(ChatCarry.kick_user_id).in_(batch))
            .order_by(col(ChatCarry.kick_user_id))
            .with_for_update()
        )
        carries.update((row.kick_user_id, row) for row in rows)
    return carries


def live_communities(session: Session) -> list[Community]:
    return list(session.exec(select(Community).where(col(Community.is_live).is_(True))))


def tick_live(minute: datetime) -> int:
    """Tick `minute` in every live community (the job, each minute, for the minute just ended);
    returns the minutes given."""
    given = 0
    with db.session_scope() as session:
        for community in live_communities(session):
            given += tick(session, community, minute)
    return given


def convert_due(now: datetime) -> list[HourConverted]:
    """Convert every complete hour with unconverted minutes, in every community, each hour in its
    own unit of work (the hourly job; hours missed while no scheduler ran are caught up)."""
    with db.session_scope() as session:
        due = [
            (id_of(community), hour)
            for community in session.exec(select(Community).order_by(col(Community.id)))
            for hour in hours_due(session, community, now)
        ]
    done = []
    for community_id, hour in due:
        with db.session_scope() as session:
            community = db.get_existing(session, Community, community_id)
            done.append(convert_hour(session, community, hour))
    return done

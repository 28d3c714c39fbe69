"""Before a period closes, what was earned in it is credited: the Kick events already stored, the
chat minute ticking as midnight strikes, the hours not yet converted (the 23:00 hour is converted
after midnight otherwise, when the period no longer takes tickets) and a last read of the wagers.
The reset job does this first, so the month's end loses none of it. An event Kick delivers after
the reset still lands in the closed period and credits nothing (docs/community.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select

from luckyclub.community import chat_time, inbox, wagers
from luckyclub.core import db
from luckyclub.models import Community, Raffle, RaffleStatus, id_of

LAST_MOMENT = timedelta(microseconds=1)  # the final wager read is made as of just before the end


@dataclass(frozen=True)
class Settled:
    events: int  # Kick events processed
    periods: int  # ended periods settled
    chat_tickets: int
    wager_tickets: int

    def words(self) -> str:
        return (
            f"settled {self.periods} ended period(s): {self.events} event(s), "
            f"{self.chat_tickets} chat ticket(s), {self.wager_tickets} wager ticket(s)"
        )


def settle_ended_periods(now: datetime, fetch: wagers.Fetch) -> Settled:
    """Credit into every period that has ended but is still open what was earned before its end.
    Safe to run with several processes at once: every step is claimed or keyed."""
    events = inbox.process_due(now=now).processed
    with db.session_scope() as session:
        ended = session.exec(
            select(Community, Raffle)
            .join(Raffle, col(Raffle.program_id) == col(Community.program_id))
            .where(Raffle.status == RaffleStatus.OPEN, col(Raffle.closes_at) <= now)
            .order_by(col(Community.id), col(Raffle.month))
        ).all()
    chat = wagered = 0
    for community, period in ended:
        end = period.closes_at
        with db.session_scope() as session:
            chat_time.tick(session, community, end - chat_time.MINUTE)
            hours = chat_time.hours_due(session, community, end)
        for hour in hours:
            with db.session_scope() as session:
                fresh = db.get_existing(session, Community, id_of(community))
                chat += chat_time.convert_hour(session, fresh, hour).tickets
        if community.affiliate_source:
            last = wagers.poll(
                db.session_scope, community, end - LAST_MOMENT, fetch, unless_running=False
            )
            wagered += last.credited if last is not None else 0
    return Settled(events, len(ended), chat, wagered)

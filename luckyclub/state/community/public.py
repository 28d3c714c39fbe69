"""/community/<slug>: what a community's public page shows, for anyone (no sign-in).

It stays live: the page follows the community's topic (state/live.py), so the leaderboard, the
totals and a draw appear without a reload; the countdown to the period's end ticks in the browser.
"""

from __future__ import annotations

from datetime import timedelta

import reflex as rx

from luckyclub.community import communities, views
from luckyclub.community.views import public_name
from luckyclub.core import routes
from luckyclub.core.db import Session, session_scope
from luckyclub.core.words import when_in_full
from luckyclub.models import Scope, ScopedRole, User
from luckyclub.platform import changes, roles
from luckyclub.state import live
from luckyclub.state.community.rows import (
    LeaderRow,
    SourceTotal,
    WinnerRow,
    slug_from_path,
    unix,
)
from luckyclub.state.events import event
from luckyclub.state.session import SessionState


class CommunityPageState(SessionState):
    loaded: bool = False
    missing: bool = False
    community_id: rx.Field[int] = rx.field(0)
    name: str = ""
    prize: str = ""
    is_live: bool = False
    period_words: str = ""  # "December 2026 (UTC)"
    ends_words: str = ""  # "31 December 2026 at 23:59 UTC"
    ends_ts: rx.Field[int] = rx.field(0)
    total_tickets: rx.Field[int] = rx.field(0)
    participants: rx.Field[int] = rx.field(0)
    totals: rx.Field[list[SourceTotal]] = rx.field(default_factory=list)
    leaders: rx.Field[list[LeaderRow]] = rx.field(default_factory=list)
    chat_rate_words: str = ""
    gift_rate_words: str = ""
    wager_rate_words: str = ""
    chat_time_means: str = ""
    winners: rx.Field[list[WinnerRow]] = rx.field(default_factory=list)
    live_url: str = ""  # the period's live draw page, once a draw is under way
    can_moderate: bool = False
    mine_url: str = ""
    moderate_url: str = ""

    def _fill(self, s: Session, user: User | None) -> None:
        slug = slug_from_path(self.router.url.path)
        view = views.public_page(s, slug) if slug else None
        if view is None:
            self.loaded, self.missing = True, True
            self.leaders, self.totals, self.winners = [], [], []
            return
        self.loaded, self.missing = True, False
        self.community_id = view.community_id
        self.name, self.prize, self.is_live = view.name, view.prize, view.is_live
        self.period_words = f"{view.period_label} (UTC)"
        self.ends_words = when_in_full(view.period_ends_at - timedelta(seconds=1))
        self.ends_ts = unix(view.period_ends_at)
        self.total_tickets, self.participants = view.total_tickets, view.participants
        self.totals = [SourceTotal(source=t.words, tickets=t.tickets) for t in view.by_source]
        me = public_name(user) if user is not None else None
        self.leaders = [
            LeaderRow(rank=r.rank, name=r.name, tickets=r.tickets, is_me=r.name == me)
            for r in view.leaderboard
        ]
        rates = view.rates
        self.chat_rate_words = (
            f"{rates.chat_minutes} chat-active minutes earn {rates.chat_tickets} tickets."
        )
        self.gift_rate_words = (
            f"{rates.gift_tickets} tickets for each sub you gift (anonymous gifts earn nothing)."
        )
        self.wager_rate_words = (
            f"${rates.wager_unit:,} wagered under the streamer's code earns "
            f"{rates.wager_tickets} tickets, once a moderator has verified your affiliate "
            "username; small wagers add up over the month."
            if rates.has_wagers
            else ""
        )
        self.chat_time_means = view.chat_time_means
        self.winners = [
            WinnerRow(
                period=w.label,
                name=w.name,
                tickets=w.tickets,
                odds=f"{w.tickets:,} of {w.total_tickets:,} tickets",
                proof_url=w.proof_url,
            )
            for w in view.past_winners
        ]
        draw = view.draw
        self.live_url = draw.live_url if draw is not None and draw.status != "" else ""
        community = communities.get(s, view.community_id)
        self.can_moderate = roles.has_role(
            s, user, ScopedRole.MODERATOR, Scope.PROGRAM, community.program_id
        )
        self.mine_url = routes.community_mine(view.slug)
        self.moderate_url = routes.community_moderate(view.slug)

    def _refill(self) -> None:
        with session_scope() as s:
            self._fill(s, self._current_user(s))

    @event
    def load(self):
        self.loaded = False
        self._refill()

    @event
    async def follow(self):
        """After load: hear of every change to the community (tickets, links, gifts, the draw)."""
        if self.loaded and not self.missing:
            await live.follow(self, changes.community(self.community_id))

    @event
    def changed(self, version: str):
        if self._session_state()._saw(version) and self.loaded and not self.missing:
            self._refill()

    @event
    def ask(self):
        """The countdown reached the period's end: show where the draw stands."""
        if self.loaded and not self.missing:
            self._refill()

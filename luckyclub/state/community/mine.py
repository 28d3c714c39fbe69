"""/community/<slug>/me: a signed-in viewer's own tickets in a community, their Kick and Discord
links and their affiliate username claim. Everything is the session's account's, never one the
browser names; the page follows the community's topic, so new tickets appear without a reload."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlencode

import reflex as rx

from luckyclub.community import claims, communities, discord_link, identities, kick_link, views
from luckyclub.core import routes
from luckyclub.core.db import Session, session_scope
from luckyclub.core.errors import UserError
from luckyclub.core.settings import get_settings
from luckyclub.core.words import when, when_in_full
from luckyclub.models import User, utcnow
from luckyclub.platform import accounts, changes
from luckyclub.state import live
from luckyclub.state.community.rows import (
    LedgerRow,
    SourceTotal,
    signed,
    slug_from_path,
)
from luckyclub.state.events import event
from luckyclub.state.session import SessionState

ONE_SECOND = timedelta(seconds=1)  # a period ends at midnight: its last second is 23:59:59
CLAIM_WORDS = {
    "pending": "A moderator will check it soon.",
    "verified": "Verified: your wagers this month count.",
}


class CommunityMineState(SessionState):
    loaded: bool = False
    missing: bool = False
    community_id: rx.Field[int] = rx.field(0)
    name: str = ""
    is_live: bool = False
    period_words: str = ""
    total: rx.Field[int] = rx.field(0)
    totals: rx.Field[list[SourceTotal]] = rx.field(default_factory=list)
    odds_words: str = ""
    public_name: str = ""
    shows_name: bool = False
    entrant_ref: str = ""
    ledger: rx.Field[list[LedgerRow]] = rx.field(default_factory=list)
    kick_username: str = ""
    link_url: str = ""
    discord_username: str = ""
    discord_link_url: str = ""
    discord_on: bool = False  # linking Discord is set up on this site
    has_wagers: bool = False
    claim_username: str = ""
    claim_status: str = ""
    claim_words: str = ""
    can_claim: bool = False
    page_url: str = ""
    error: str = ""
    notice: str = ""

    def _slug(self) -> str:
        return slug_from_path(self.router.url.path)

    def _fill(self, s: Session, user: User) -> None:
        slug = self._slug()
        community = communities.by_slug(s, slug) if slug else None
        if community is None:
            self.loaded, self.missing = True, True
            return
        view = views.viewer_page(s, community, user)
        zone = user.timezone
        self.loaded, self.missing = True, False
        self.community_id = view.community_id
        self.name, self.is_live = view.name, community.is_live
        self.period_words = (
            f"{view.period_label}: ends {when_in_full(view.period_ends_at - ONE_SECOND, zone)}"
        )
        self.total = view.tickets
        self.odds_words = (
            f"{view.tickets:,} of {view.total_tickets:,} tickets: {view.odds_percent:.1f}% to win"
            if view.total_tickets
            else ""
        )
        self.totals = [SourceTotal(source=t.words, tickets=t.tickets) for t in view.by_source]
        self.ledger = [
            LedgerRow(
                when=when(r.created_at, zone),
                source=r.words,
                amount=signed(r.amount),
                reason=r.reason,
            )
            for r in view.rows
        ]
        self.kick_username = view.kick.username if view.kick.linked else ""
        back = urlencode({"return_to": routes.community_mine(view.slug)})
        self.link_url = f"{routes.KICK_LINK_START}?{back}"
        self.discord_username = view.discord_username
        self.discord_link_url = f"{routes.DISCORD_LINK_START}?{back}"
        self.discord_on = get_settings().discord_link_enabled
        self.has_wagers = view.has_wagers
        claim = view.claim
        self.claim_username = claim.username if claim else ""
        self.claim_status = claim.status if claim else ""
        self.claim_words = ""
        if claim is not None and claim.status == "rejected":
            again = (
                f" You can claim again from {when(claim.next_claim_at, zone)}."
                if claim.next_claim_at
                else ""
            )
            self.claim_words = f"Rejected: {claim.reason}.{again}"
        elif claim is not None:
            self.claim_words = CLAIM_WORDS.get(claim.status, "")
        self.can_claim = view.can_claim
        self.public_name, self.shows_name = view.public_name, view.shows_name
        self.entrant_ref = view.entrant_ref
        self.page_url = routes.community_page(view.slug)

    def _refill(self) -> None:
        with session_scope() as s:
            user = self._current_user(s)
            if user is None:
                self.reset()
                return
            self._fill(s, user)

    @event
    def load(self):
        """The page; back from Kick or Discord, the link's outcome (?kick=… or ?discord=…) as a
        sentence."""
        self.error = self.notice = ""
        self.loaded = False
        self._refill()
        query = self.router.url.query_parameters
        for flow in (kick_link.FLOW, discord_link.FLOW):
            outcome = str(query.get(flow.provider.value, ""))[:20]
            said = flow.messages.get(outcome, "")
            if outcome == "linked":
                self.notice = said
            elif said:
                self.error = said

    @event
    async def follow(self):
        """After load: hear of the community's changes and of the viewer's own (a Kick link)."""
        if self.loaded and not self.missing:
            await live.follow(self, changes.community(self.community_id))
            await live.follow_member(self)

    @event
    def changed(self, version: str):
        if self._session_state()._saw(version) and self.loaded and not self.missing:
            self._refill()

    @event
    def claim(self, form_data: dict):
        """Claim an affiliate username for a moderator to verify (the account's own)."""
        username = str(form_data.get("affiliate_username") or "").strip()[:80]
        self.error = self.notice = ""
        try:
            with session_scope() as s:
                user = self._require_user(s)
                community = communities.by_slug(s, self._slug())
                if community is None:
                    raise UserError("This community no longer exists.")
                claims.claim(s, user, community, username, utcnow())
                s.flush()
                self._fill(s, user)
        except UserError as exc:
            self.error = exc.message
            return
        self.notice = f"Claimed {username}: a moderator will check it."

    @event
    def set_show_name(self, value: bool):
        """The viewer's choice: their display name on leaderboards, or "Viewer #n"."""
        self.error = self.notice = ""
        try:
            with session_scope() as s:
                user = accounts.set_show_on_leaderboard(s, self._require_user(s), bool(value))
                self._fill(s, user)
        except UserError as exc:
            self.error = exc.message

    @event
    def unlink_discord(self):
        """Unlink the account's Discord (after the page asked "are you sure")."""
        self._unlink(
            discord_link.unlink_discord,
            "Discord unlinked: the raffle's Discord commands no longer know you.",
        )

    @event
    def unlink_kick(self):
        """Unlink the account's Kick (after the page asked "are you sure")."""
        self._unlink(
            identities.unlink_kick,
            "Kick unlinked: tickets it earns from now on are held until an account links it.",
        )

    def _unlink(self, unlink: Callable[[Session, User], object], done: str) -> None:
        self.error = self.notice = ""
        try:
            with session_scope() as s:
                user = self._require_user(s)
                unlink(s, user)
                s.flush()
                self._fill(s, user)
        except UserError as exc:
            self.error = exc.message
            return
        self.notice = done

"""/community/<slug>/moderate: the moderators' console. Only the community's moderators and platform
admins get it: every handler checks the session's account again (`_as_moderator`) before it reads
or acts, and the services check the role themselves too. Anyone else's tab keeps nothing of it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import ClassVar

import reflex as rx

from luckyclub.community import (
    claims,
    communities,
    console,
    exclusions,
    gifts,
    pool,
    tickets,
    viewers,
    views,
)
from luckyclub.core import routes
from luckyclub.core.db import Session, session_scope
from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.core.words import when, when_in_full
from luckyclub.models import Community, User, id_of, utcnow
from luckyclub.platform import accounts, changes, draws
from luckyclub.state import live
from luckyclub.state.admin import DRAW_FAILED, DRAW_GOES_ON, record_id
from luckyclub.state.community.rows import (
    AuditLine,
    ChatRow,
    ClaimRow,
    ExclusionRow,
    Fact,
    GiftRow,
    PollRow,
    slug_from_path,
)
from luckyclub.state.events import event, run_in_thread
from luckyclub.state.session import SessionState

MODERATORS_ONLY = "Only this community's moderators and platform admins can do that."
DRAW_WORDS = {
    "": "Not drawn yet: Draw now freezes the period's tickets and draws one winner.",
    "scheduled": "Not drawn yet: Draw now freezes the period's tickets and draws one winner.",
    "closed": "Tickets frozen: the draw is being made.",
    "waiting_for_beacon": "Tickets frozen: waiting for the public randomness round, then drawn.",
    "drawn": "Drawn: the winner and the proof are on the draw's page.",
    "void": "This draw is void.",
}


def whole_tickets(text) -> int:
    """A number of tickets typed in a form: a whole number from 1 to 1,000,000, else a sentence."""
    number = routes.whole_number(str(text or "").strip(), 1_000_000)
    if not number:
        raise UserError("Write the number of tickets as a whole number from 1 to 1,000,000.")
    return number


class CommunityModerateState(SessionState):
    _asks_reasons: ClassVar[bool] = True  # Reject, Reverse, Include take a reason

    allowed: bool = False
    loaded: bool = False
    missing: bool = False
    community_id: rx.Field[int] = rx.field(0)
    name: str = ""
    is_live: bool = False
    has_wagers: bool = False
    period_words: str = ""
    ends_words: str = ""
    draw_words: str = ""
    period_id: rx.Field[int] = rx.field(0)
    can_draw: bool = False
    drawing: bool = False
    draw_url: str = ""
    live_url: str = ""
    page_url: str = ""
    stats: rx.Field[list[Fact]] = rx.field(default_factory=list)
    claims: rx.Field[list[ClaimRow]] = rx.field(default_factory=list)
    gifts: rx.Field[list[GiftRow]] = rx.field(default_factory=list)
    polls: rx.Field[list[PollRow]] = rx.field(default_factory=list)
    chat: rx.Field[list[ChatRow]] = rx.field(default_factory=list)
    exclusions: rx.Field[list[ExclusionRow]] = rx.field(default_factory=list)
    audit: rx.Field[list[AuditLine]] = rx.field(default_factory=list)
    error: str = ""
    notice: str = ""

    # ---- who may --------------------------------------------------------------------------

    def _as_moderator(self, s: Session) -> tuple[Community, User]:
        """The page's community and the session's account, checked to moderate it."""
        community = communities.by_slug(s, slug_from_path(self.router.url.path))
        if community is None:
            raise UserError("There is no such community.")
        user = self._current_user(s)
        try:
            communities.require_moderator(s, user, community)
        except NotAllowed as exc:
            raise NotAllowed(MODERATORS_ONLY) from exc
        assert user is not None
        return community, user

    def _forget(self, message: str = "") -> None:
        """Nothing of the console stays in the tab of someone who may not moderate."""
        self.reset()
        self.loaded, self.error = True, message

    # ---- reading --------------------------------------------------------------------------

    def _fill(self, s: Session, community: Community, user: User) -> None:
        view = console.moderator_console(s, user, community)
        zone = user.timezone
        self.allowed, self.loaded, self.missing = True, True, False
        self.community_id = view.community_id
        self.name, self.is_live = view.name, view.is_live
        self.has_wagers = bool(community.affiliate_source)
        stats = view.stats
        self.period_words = stats.period_label
        self.ends_words = when_in_full(stats.period_ends_at - timedelta(seconds=1), zone)
        current = (
            view.draws[0] if view.draws and view.draws[0].label == stats.period_label else None
        )
        self.period_id = current.period_id if current else 0
        self._show_draw(current)
        self.page_url = routes.community_page(view.slug)
        self.stats = [
            Fact(label="Tickets", value=f"{stats.total_tickets:,}"),
            Fact(label="Viewers with tickets", value=f"{stats.participants:,}"),
            *[Fact(label=t.words, value=f"{t.tickets:,}") for t in stats.by_source],
            Fact(label="Held for unlinked Kick accounts", value=f"{stats.held_tickets:,}"),
            Fact(label="Unlinked Kick accounts", value=f"{stats.held_viewers:,}"),
            Fact(label="Chat-active minutes", value=f"{stats.chat_minutes:,}"),
        ]
        self.claims = [
            ClaimRow(id=c.id, account=c.viewer, username=c.username, when=when(c.created_at, zone))
            for c in view.link_queue
        ]
        self.gifts = [
            GiftRow(
                id=g.id,
                when=when(g.gifted_at, zone),
                gifter=g.gifter,
                giftees=g.giftees,
                tickets=g.tickets,
                reversed=g.reversed,
                reversed_words=f"Reversed: {g.reversed_reason}" if g.reversed else "",
            )
            for g in view.gifts
        ]
        self.polls = [
            PollRow(
                when=when(p.started_at, zone),
                ok=p.ok,
                rows=p.rows,
                credited=p.credited,
                detail=p.detail,
            )
            for p in view.polls
        ]
        self.chat = [
            ChatRow(
                viewer=(c.username or f"Kick #{c.kick_user_id}")
                + ("" if c.linked else " (not linked)"),
                minutes=c.minutes,
                carried=c.carried,
            )
            for c in view.chat
        ]
        self.exclusions = [
            ExclusionRow(
                kick_user_id=str(x.kick_user_id),
                username=x.username or f"Kick #{x.kick_user_id}",
                reason=x.reason,
                when=when(x.created_at, zone),
            )
            for x in view.exclusions
        ]
        self.audit = [
            AuditLine(
                when=when(a.created_at, zone), actor=a.actor, action=a.action, detail=a.detail
            )
            for a in view.audit
        ]

    def _show_draw(self, draw: views.PeriodDraw | None) -> None:
        status = draw.status if draw else ""
        self.draw_words = DRAW_WORDS.get(status, status)
        self.can_draw = draw is not None and status in ("", "scheduled")
        shown = draw is not None and status != ""
        self.draw_url = draw.draw_url if draw and shown else ""
        self.live_url = draw.live_url if draw and shown else ""

    def _reload(self) -> None:
        try:
            with session_scope() as s:
                community, user = self._as_moderator(s)
                self._fill(s, community, user)
        except NotAllowed as exc:
            self._forget(exc.message)
        except UserError:
            self._forget()
            self.missing = True

    @event
    def load(self):
        self.error = self.notice = ""
        self._reload()

    @event
    async def follow(self):
        if self.allowed:
            await live.follow(self, changes.community(self.community_id))
            await live.follow(self, changes.community_chat(self.community_id))

    @event
    def changed(self, version: str):
        if self.allowed and self._session_state()._saw(version):
            error, notice = self.error, self.notice
            self._reload()
            if self.allowed:
                self.error, self.notice = error, notice

    # ---- acting ---------------------------------------------------------------------------

    def _act(self, change: Callable[[Session, Community, User], object], done: str) -> bool:
        """Check the moderator, make one change in one transaction, show the console anew."""
        self.error = self.notice = ""
        try:
            with session_scope() as s:
                community, user = self._as_moderator(s)
                change(s, community, user)
                s.flush()
                self._fill(s, community, user)
        except NotAllowed as exc:
            self._forget(exc.message)
            return False
        except UserError as exc:
            self.error = exc.message
            return False
        self.notice = done
        return True

    @event
    def approve_claim(self, claim_id: int):
        self._act(
            lambda s, community, user: claims.approve(s, user, record_id(claim_id), utcnow()),
            "Approved: that viewer's wagers count from the next poll.",
        )

    @event
    def reject_claim(self, form_data: dict):
        claim_id, reason = form_data.get("claim_id"), str(form_data.get("reason") or "")
        self._act(
            lambda s, community, user: claims.reject(
                s, user, record_id(claim_id), reason, utcnow()
            ),
            "Rejected; the viewer sees your reason.",
        )

    @event
    def give(self, form_data: dict):
        viewer = str(form_data.get("give_viewer") or "").strip()[:254]
        reason = str(form_data.get("give_reason") or "")
        amount_text = form_data.get("give_amount")
        self._act(
            lambda s, community, user: tickets.give(
                s,
                user,
                community,
                viewers.account_named(s, viewer),
                whole_tickets(amount_text),
                reason,
                utcnow(),
            ),
            f"Given to {viewer}.",
        )

    @event
    def remove(self, form_data: dict):
        viewer = str(form_data.get("remove_viewer") or "").strip()[:254]
        reason = str(form_data.get("remove_reason") or "")
        amount_text = form_data.get("remove_amount")
        self._act(
            lambda s, community, user: tickets.remove(
                s,
                user,
                community,
                viewers.account_named(s, viewer),
                whole_tickets(amount_text),
                reason,
                utcnow(),
            ),
            f"Removed from {viewer}.",
        )

    @event
    def reverse_gift(self, form_data: dict):
        gift_id, reason = form_data.get("gift_id"), str(form_data.get("reason") or "")
        self._act(
            lambda s, community, user: gifts.reverse_gift(s, user, record_id(gift_id), reason),
            "Reversed: its tickets are taken back.",
        )

    @event
    def exclude(self, form_data: dict):
        account = str(form_data.get("kick_account") or "").strip()[:80]
        reason = str(form_data.get("reason") or "")
        self._act(
            lambda s, community, user: exclusions.exclude(
                s, user, community, viewers.kick_id_named(s, account), reason
            ),
            f"{account} earns no chat time from now on.",
        )

    @event
    def include(self, form_data: dict):
        kick_user_id, reason = form_data.get("kick_user_id"), str(form_data.get("reason") or "")
        self._act(
            lambda s, community, user: exclusions.include(
                s, user, community, str(kick_user_id or "")[:24], reason
            ),
            "Included again: they earn chat time from now on.",
        )

    @event
    async def draw_now(self, form_data: dict):
        """Freeze the period and draw its winner (exactly once, however many clicks) in a
        thread, with the reason the audit log keeps (a period drawn before its end needs one);
        the live page shows the reveal to spectators."""
        if self.drawing:
            return
        self.error = self.notice = ""
        reason = str(form_data.get("reason") or "")[:500]
        period_text = form_data.get("period_id")
        self.drawing = True
        token, path = self._session_token(), self.router.url.path
        yield
        error, notice = DRAW_FAILED, ""

        def draw() -> draws.Outcome:
            with session_scope() as s:
                community = communities.by_slug(s, slug_from_path(path))
                if community is None:
                    raise UserError("There is no such community.")
                user = communities.require_moderator(
                    s, accounts.user_for_session(s, token), community
                )
                ids = id_of(community), id_of(user), record_id(period_text)
            return pool.draw_now(ids[1], ids[0], ids[2], utcnow(), reason=reason)

        try:
            outcome = await run_in_thread(draw)
            if outcome.status in DRAW_GOES_ON:
                error, notice = "", outcome.message
            else:
                error = outcome.message
        except NotAllowed:
            error = MODERATORS_ONLY
        except UserError as exc:
            error = exc.message
        finally:
            self.drawing = False
        await run_in_thread(self._reload)
        if self.allowed:
            self.error, self.notice = error, notice

"""What a member's dashboard shows and does: the state behind pages/club/dashboard.py.

It stays live without asking: the page follows the member's own topic and the club's
(state/live.py), so when the server says the member's ledger, proofs, orders or wins changed (an
admin approved a proof, granted entries, a payment arrived) or the raffle did, it reloads what is
shown. The countdown to the raffle's close ticks in the browser.
"""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from luckyclub.club import ledger, membership, proofs, raffles
from luckyclub.competitions import orders
from luckyclub.core import routes
from luckyclub.core.db import session_scope
from luckyclub.core.errors import UserError
from luckyclub.core.settings import get_settings
from luckyclub.core.words import when
from luckyclub.models import (
    DrawStatus,
    LedgerSource,
    MembershipStatus,
    RaffleStatus,
    User,
    id_of,
    utcnow,
)
from luckyclub.platform import accounts, changes, draw_public, wins
from luckyclub.state import live
from luckyclub.state.competitions.order_views import OrderView, order_views
from luckyclub.state.events import event, run_in_thread
from luckyclub.state.session import SessionState

UPLOAD_ID = "proof_upload"
BASE_SOURCES = {LedgerSource.BASE}


@dataclass
class RaffleView:
    id: int = 0
    label: str = ""  # "December 2026 raffle", or "Next raffle: January 2027" when opened early
    title: str = ""
    prize: str = ""
    description: str = ""
    image_url: str = ""
    closes: str = ""
    is_open: bool = True  # False: the last raffle, closed, shown until the next one opens
    result: str = ""  # a closed raffle's draw: "Drawn … Won by Member #2." or why it waits


@dataclass
class WinView:
    winner_id: int
    title: str
    prize: str
    ticket: str  # "Ticket 42" for a competition, "" for a raffle
    drawn: str
    next_step: str
    show_name: bool
    draw_url: str


@dataclass
class LedgerRowView:
    when: str
    source: str
    amount: int
    reason: str


@dataclass
class ProofView:
    id: int
    kind: str
    status: str
    reason: str
    when: str
    file_url: str


@dataclass
class LeaderView:
    rank: int
    name: str
    entry_count: int
    is_me: bool


@dataclass
class KindOption:
    id: str
    label: str


class DashboardState(SessionState):
    membership: str = "none"  # active, lapsed or none
    membership_until: str = ""
    raffle: RaffleView = RaffleView()
    closes_ts: int = 0  # Unix seconds: the raffle's close, for the countdown
    base_entries: int = 0
    bonus_entries: int = 0
    total_entries: int = 0
    all_entries: int = 0
    entrants: rx.Field[int] = rx.field(0)
    odds_text: str = ""
    odds_basis_points: int = 0  # hundredths of a percent, for the bar
    rows: rx.Field[list[LedgerRowView]] = rx.field(default_factory=list)
    proofs: rx.Field[list[ProofView]] = rx.field(default_factory=list)
    leaders: rx.Field[list[LeaderView]] = rx.field(default_factory=list)
    public_name: str = ""
    show_on_leaderboard: bool = False
    entrant_ref: str = ""  # the member's pseudonym in this raffle's published snapshot
    draw_page_url: str = ""
    live_url: str = ""
    ticket_orders: rx.Field[list[OrderView]] = rx.field(default_factory=list)
    wins: rx.Field[list[WinView]] = rx.field(default_factory=list)
    unnamed: str = ""  # how a winner who keeps their name private appears: "Member #2"
    kinds: rx.Field[list[KindOption]] = rx.field(default_factory=list)
    kind_id: str = ""
    note: str = ""
    proofs_wait: str = ""  # why no proof can be sent now, shown instead of the form
    proofs_sent: rx.Field[int] = rx.field(0)  # keys the note field, so it empties after each upload
    error: str = ""
    notice: str = ""

    def _fill(self, s, user: User) -> None:
        now = utcnow()
        tz = user.timezone
        user_id = id_of(user)
        member = membership.membership_for(s, user_id)
        self.membership = member.status if member else "none"
        self.membership_until = (
            when(member.current_period_end, tz)
            if member and member.current_period_end and member.status == MembershipStatus.ACTIVE
            else ""
        )
        self.public_name = ledger.public_name(user)
        # how the draw pages name this member when they keep their name hidden
        self.unnamed = draw_public.winner_name(user, shown=False)
        self.show_on_leaderboard = user.show_on_leaderboard
        raffle = _shown_raffle(s, now)
        if raffle is None:
            self.raffle = RaffleView()
            self.closes_ts = 0
            self.base_entries = self.bonus_entries = self.total_entries = 0
            self.all_entries = self.entrants = 0
            self.odds_text, self.odds_basis_points, self.leaders = "", 0, []
            self.entrant_ref = self.draw_page_url = self.live_url = ""
        else:
            month = raffles.month_label(raffle.month)
            self.raffle = RaffleView(
                id=raffle.id,
                label=(
                    f"Next raffle: {month}"
                    if raffle.month > raffles.month_of(now)
                    else f"{month} raffle"
                ),
                title=raffle.title,
                prize=raffle.prize,
                description=raffle.description,
                image_url=f"/api/raffles/{raffle.id}/image" if raffle.image_name else "",
                closes=when(raffle.closes_at, tz),
                is_open=raffle.closes_at > now and raffle.status == RaffleStatus.OPEN,
            )
            self.closes_ts = int(raffle.closes_at.timestamp())
            self.entrant_ref, draw_id = raffles.member_ref(s, raffle.id, user_id)
            if not self.raffle.is_open:
                self.raffle.result = _result_words(s, draw_id, user, tz)
            self.draw_page_url = routes.draw_page(draw_id) if draw_id else ""
            self.live_url = routes.live_page(draw_id) if draw_id else ""
            parts = ledger.breakdown(s, raffle.id, user_id)
            self.base_entries = sum(v for k, v in parts.items() if k in BASE_SOURCES)
            self.total_entries = sum(parts.values())
            self.bonus_entries = self.total_entries - self.base_entries
            odds = ledger.odds(s, raffle.id, user_id)
            totals = ledger.totals(s, raffle.id)
            self.all_entries, self.entrants = totals.entries, totals.entrants
            self.odds_text, self.odds_basis_points = odds.sentence(), round(odds.percent * 100)
            self.leaders = [
                LeaderView(
                    rank=r.rank, name=r.name, entry_count=r.entries, is_me=r.user_id == user_id
                )
                for r in ledger.leaderboard(s, raffle.id)
            ]
        titles = {r.id: r.title for r in raffles.list_raffles(s, limit=1000)}
        self.rows = [
            LedgerRowView(
                when=when(row.created_at, tz),
                source=ledger.SOURCE_WORDS.get(row.source, row.source),
                amount=row.amount,
                reason=row.reason or titles.get(row.raffle_id, ""),
            )
            for row in ledger.member_rows(s, user_id, limit=100)
        ]
        self.wins = [
            WinView(
                winner_id=w.winner_id,
                title=w.title,
                prize=w.prize,
                ticket=f"Ticket {w.ticket:,}" if w.ticket is not None else "",
                drawn=when(w.drawn_at, tz),
                next_step=w.next_step,
                show_name=w.show_name,
                draw_url=routes.draw_page(w.draw_id),
            )
            for w in wins.wins_of(s, user_id)
        ]
        self.proofs = [
            ProofView(
                id=p.id,
                kind=p.kind_name,
                status=p.status,
                reason=p.reject_reason,
                when=when(p.created_at, tz),
                file_url=f"/api/proofs/{p.id}/file",
            )
            for p in proofs.member_proofs(s, user_id)
        ]
        self.ticket_orders = order_views(orders.find(s, user_id=user_id, limit=5), tz)
        self.kinds = [
            KindOption(id=str(k.id), label=f"{k.name} (+{k.entries})") for k in proofs.list_kinds(s)
        ]
        if self.kinds and self.kind_id not in {k.id for k in self.kinds}:
            self.kind_id = self.kinds[0].id
        refusal = proofs.why_not_now(s, user, now)
        self.proofs_wait = refusal.message if refusal else ""

    @event
    def load(self):
        self.error = ""
        with session_scope() as s:
            user = self._current_user(s)
            if user is not None:
                self._fill(s, user)
        if self.router.url.query_parameters.get("joined"):
            self.notice = "Welcome to the club! Your membership is active."

    @event
    async def follow(self):
        """After load: hear of changes to the member's own things and to the club's raffle."""
        await live.follow(self, changes.CLUB)
        await live.follow_member(self)

    @event
    def changed(self, version: str):
        """The server says something the page shows changed: show it anew."""
        if self._session_state()._saw(version):
            self._reload()

    @event
    def ask(self):
        """The raffle's countdown reached zero: it has closed."""
        self._reload()

    def _reload(self) -> None:
        with session_scope() as s:
            user = self._current_user(s)
            if user is not None:
                self._fill(s, user)  # messages stay: the change may be the tab's own action

    @event
    def join_club(self):
        try:
            with session_scope() as s:
                user_id = id_of(self._require_user(s))
            url = membership.start_checkout(user_id)  # Stripe is asked outside the unit of work
        except UserError as exc:
            self.error = exc.message
            return
        return rx.redirect(url, is_external=url.startswith("http"))

    @event
    def manage_membership(self):
        try:
            with session_scope() as s:
                user_id = id_of(self._require_user(s))
            url = membership.portal_url(user_id, f"{get_settings().app_url}{routes.DASHBOARD}")
        except UserError as exc:
            self.error = exc.message
            return
        return rx.redirect(url, is_external=url.startswith("http"))

    @event
    def set_show_on_leaderboard(self, value: bool):
        try:
            with session_scope() as s:
                user = accounts.set_show_on_leaderboard(s, self._require_user(s), bool(value))
                self._fill(s, user)
        except UserError as exc:
            self.error = exc.message

    @event
    def set_show_name(self, winner_id: int, show: bool):
        """The winner's consent to be named on Champions and the draw's pages, for one win."""
        self.error = ""
        try:
            with session_scope() as s:
                user = self._require_user(s)
                wins.set_name_consent(s, user, routes.whole_id(str(winner_id)) or 0, bool(show))
        except UserError as exc:
            self.error = exc.message
            return
        self._refill()

    def _refill(self) -> None:
        with session_scope() as s:
            user = self._current_user(s)
            if user is not None:
                self._fill(s, user)

    @event
    def set_kind(self, value: str):
        self.kind_id = value

    @event
    def set_note(self, value: str):
        self.note = value[:1000]

    @event
    async def upload_proof(self, files: list[rx.UploadFile]):
        self.error = self.notice = ""
        if not files:
            self.error = "Choose a file to upload first."
            return
        upload = files[0]
        data = await upload.read(proofs.MAX_PROOF_BYTES + 1)
        filename = upload.name or upload.filename or ""
        claimed = upload.content_type or ""
        kind_id = routes.whole_id(self.kind_id)
        if kind_id is None:
            self.error = "Choose what your proof shows."
            return
        note, token = self.note, self._session_token()

        def submit() -> str:
            with session_scope() as s:
                user = accounts.user_for_session(s, token)
                if user is None:
                    raise UserError("Your session has ended. Please sign in again.")
                proof = proofs.submit(
                    s,
                    user,
                    kind_id=kind_id,
                    filename=filename,
                    data=data,
                    note=note,
                    claimed_type=claimed,
                )
                try:
                    s.commit()
                except Exception:
                    proofs.discard_file(proof.stored_name)  # no row points at it
                    raise
                return proof.stored_name

        try:
            await run_in_thread(submit)
        except UserError as exc:
            self.error = exc.message
            return
        self.note = ""
        self.proofs_sent += 1
        self.notice = "Thank you! Your proof is waiting for review; you will see the result here."
        await run_in_thread(self._refill)
        return rx.clear_selected_files(UPLOAD_ID)


def _shown_raffle(s, now):
    """The open raffle; between raffles, the one that closed last, with its result."""
    return raffles.current_raffle(s, now) or raffles.last_closed_raffle(s, now)


def _result_words(s, draw_id: int | None, user: User, tz: str) -> str:
    """A closed raffle's draw as the member reads it: who won (them?), or what it waits for."""
    view = draw_public.view(s, draw_id) if draw_id else None
    if view is None:
        return "Entries are closed; the draw follows."
    if view.status == DrawStatus.VOID:
        return f"The draw is void: {view.reason}"
    if view.status != DrawStatus.DRAWN:
        return f"Entries are closed. {view.status_words}."
    my_wins = {w.winner_id for w in wins.wins_of(s, id_of(user))}
    mine = any(w.winner_id in my_wins for w in view.standing)
    names = ", ".join(w.name for w in view.standing)
    drawn = when(view.drawn_at, tz)
    if mine:
        return f"Drawn {drawn}. You won! See below for what happens next."
    return f"Drawn {drawn}. Won by {names}."


class VerifyReminderState(SessionState):
    @event
    def resend_verification(self):
        try:
            with session_scope() as s:
                user = self._require_user(s)
                if user.email_verified_at is None:
                    accounts.send_verification_email(s, user)
        except UserError as exc:
            return rx.toast.error(exc.message)
        return rx.toast.success("We have sent you a new verification link.")

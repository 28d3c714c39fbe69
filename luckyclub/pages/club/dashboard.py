"""A member's home: membership, the month's raffle, their entries and odds, proofs, leaderboard.

It stays live: a heartbeat asks once a second whether the member's ledger, proofs or ticket orders
changed (an admin approved a proof, granted entries, a payment arrived) and reloads what is shown if
so.
"""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from luckyclub.club import ledger, membership, proofs, raffles
from luckyclub.competitions import orders
from luckyclub.components.download import download_link
from luckyclub.components.layout import (
    SELECT_STYLE,
    data_table,
    error_callout,
    field,
    page,
    status_badge,
    success_callout,
)
from luckyclub.components.live import countdown, heartbeat, share_bar
from luckyclub.core import routes
from luckyclub.core.db import session_scope
from luckyclub.core.errors import UserError
from luckyclub.core.settings import get_settings
from luckyclub.core.words import when
from luckyclub.models import (
    DrawStatus,
    DrawWinner,
    LedgerSource,
    MembershipStatus,
    RaffleStatus,
    User,
    utcnow,
)
from luckyclub.platform import accounts, draw_public, wins
from luckyclub.state.competitions.order_views import NO_NUMBERS, OrderView, order_views
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
    seconds_left: int = 0
    base_entries: int = 0
    bonus_entries: int = 0
    total_entries: int = 0
    all_entries: int = 0
    entrants: int = 0
    odds_text: str = ""
    odds_basis_points: int = 0  # hundredths of a percent, for the bar
    rows: list[LedgerRowView] = []
    proofs: list[ProofView] = []
    leaders: list[LeaderView] = []
    public_name: str = ""
    show_on_leaderboard: bool = False
    entrant_ref: str = ""  # the member's pseudonym in this raffle's published snapshot
    draw_page_url: str = ""
    live_url: str = ""
    ticket_orders: list[OrderView] = []
    wins: list[WinView] = []
    unnamed: str = ""  # how a winner who keeps their name private appears: "Member #2"
    kinds: list[KindOption] = []
    kind_id: str = ""
    note: str = ""
    proofs_wait: str = ""  # why no proof can be sent now, shown instead of the form
    proofs_sent: int = 0  # keys the note field, so it empties after each upload
    error: str = ""
    notice: str = ""
    _version: str = ""
    _closes_at: float = 0.0

    def _fill(self, s, user: User) -> None:
        now = utcnow()
        tz = user.timezone
        member = membership.membership_for(s, user.id)
        self.membership = member.status if member else "none"
        self.membership_until = (
            when(member.current_period_end, tz)
            if member and member.current_period_end and member.status == MembershipStatus.ACTIVE
            else ""
        )
        self.public_name = ledger.public_name(user)
        self.unnamed = draw_public.winner_name(DrawWinner(entrant_ref="", show_name=False), user)
        self.show_on_leaderboard = user.show_on_leaderboard
        raffle = _shown_raffle(s, now)
        if raffle is None:
            self.raffle = RaffleView()
            self._closes_at = 0.0
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
            self._closes_at = raffle.closes_at.timestamp()
            self.entrant_ref, draw_id = draw_public.member_ref(s, raffle.id, user.id)
            if not self.raffle.is_open:
                self.raffle.result = _result_words(s, draw_id, user, tz)
            self.draw_page_url = routes.draw_page(draw_id) if draw_id else ""
            self.live_url = routes.live_page(draw_id) if draw_id else ""
            parts = ledger.breakdown(s, raffle.id, user.id)
            self.base_entries = sum(v for k, v in parts.items() if k in BASE_SOURCES)
            self.total_entries = sum(parts.values())
            self.bonus_entries = self.total_entries - self.base_entries
            odds = ledger.odds(s, raffle.id, user.id)
            totals = ledger.totals(s, raffle.id)
            self.all_entries, self.entrants = totals.entries, totals.entrants
            self.odds_text, self.odds_basis_points = odds.sentence(), round(odds.percent * 100)
            self.leaders = [
                LeaderView(
                    rank=r.rank, name=r.name, entry_count=r.entries, is_me=r.user_id == user.id
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
            for row in ledger.member_rows(s, user.id, limit=100)
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
            for w in wins.wins_of(s, user.id)
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
            for p in proofs.member_proofs(s, user.id)
        ]
        self.ticket_orders = order_views(orders.find(s, user_id=user.id, limit=5), tz)
        self.kinds = [
            KindOption(id=str(k.id), label=f"{k.name} (+{k.entries})") for k in proofs.list_kinds(s)
        ]
        if self.kinds and self.kind_id not in {k.id for k in self.kinds}:
            self.kind_id = self.kinds[0].id
        refusal = proofs.why_not_now(s, user, now)
        self.proofs_wait = refusal.message if refusal else ""
        self._version = self._version_of(s, user)
        self._count_down()

    def _version_of(self, s, user: User) -> str:
        raffle = _shown_raffle(s, utcnow())
        draw = raffles.draw_of(s, raffle.id) if raffle else None
        my_wins = wins.wins_of(s, user.id)
        return "|".join(
            [
                str(ledger.member_version(s, user.id)),
                proofs.member_version(s, user.id),
                orders.member_version(s, user.id),
                str(raffle.id if raffle else 0),
                draw.status if draw else "",
                ",".join(f"{w.winner_id}:{w.next_step}:{w.show_name}" for w in my_wins),
                str(ledger.totals(s, raffle.id).entries if raffle else 0),
                _membership_version(s, user.id),
            ]
        )

    def _count_down(self) -> None:
        self.seconds_left = max(0, int(self._closes_at - utcnow().timestamp()))

    @rx.event
    def load(self):
        self.error = ""
        with session_scope() as s:
            user = self._current_user(s)
            if user is not None:
                self._fill(s, user)
        if self.router.url.query_parameters.get("joined"):
            self.notice = "Welcome to the club! Your membership is active."

    @rx.event
    def tick(self, _moment: str = ""):
        """The heartbeat: the countdown moves; when the data behind the page changed, reload it."""
        self._count_down()
        with session_scope() as s:
            user = self._current_user(s)
            if user is None:
                return
            if self._version_of(s, user) != self._version:
                self.notice = ""  # it spoke of the page as it was
                self._fill(s, user)

    @rx.event
    def join_club(self):
        try:
            with session_scope() as s:
                url = membership.start_checkout(s, self._require_user(s))
        except UserError as exc:
            self.error = exc.message
            return
        return rx.redirect(url, is_external=url.startswith("http"))

    @rx.event
    def manage_membership(self):
        try:
            with session_scope() as s:
                user = self._require_user(s)
                url = membership.portal_url(
                    s, user, return_url=f"{get_settings().app_url}{routes.DASHBOARD}"
                )
        except UserError as exc:
            self.error = exc.message
            return
        return rx.redirect(url, is_external=url.startswith("http"))

    @rx.event
    def set_show_on_leaderboard(self, value: bool):
        try:
            with session_scope() as s:
                user = self._require_user(s)
                user.show_on_leaderboard = bool(value)
                s.add(user)
                s.flush()
                self._fill(s, user)
        except UserError as exc:
            self.error = exc.message

    @rx.event
    async def set_show_name(self, winner_id: int, show: bool):
        """The winner's consent to be named on Champions and the draw's pages, for one win."""
        self.error = ""
        token, wanted = self._session_token(), routes.whole_id(str(winner_id)) or 0

        def change() -> None:
            with session_scope() as s:
                user = accounts.user_for_session(s, token)
                if user is None:
                    raise UserError("Your session has ended. Please sign in again.")
                wins.set_name_consent(s, user, wanted, bool(show))

        try:
            await rx.run_in_thread(change)
        except UserError as exc:
            self.error = exc.message
            return
        with session_scope() as s:
            user = self._current_user(s)
            if user is not None:
                self._fill(s, user)

    @rx.event
    def set_kind(self, value: str):
        self.kind_id = value

    @rx.event
    def set_note(self, value: str):
        self.note = value[:1000]

    @rx.event
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
            await rx.run_in_thread(submit)
        except UserError as exc:
            self.error = exc.message
            return
        self.note = ""
        self.proofs_sent += 1
        self.notice = "Thank you! Your proof is waiting for review; you will see the result here."
        with session_scope() as s:
            user = self._current_user(s)
            if user is not None:
                self._fill(s, user)
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
    my_wins = {w.winner_id for w in wins.wins_of(s, user.id)}
    mine = any(w.winner_id in my_wins for w in view.standing)
    names = ", ".join(w.name for w in view.standing)
    drawn = when(view.drawn_at, tz)
    if mine:
        return f"Drawn {drawn}. You won! See below for what happens next."
    return f"Drawn {drawn}. Won by {names}."


def _membership_version(s, user_id: int) -> str:
    member = membership.membership_for(s, user_id)
    return f"{member.status}@{member.updated_at.isoformat()}" if member else "none"


# ---- the page ----------------------------------------------------------------------------------


def _membership_card() -> rx.Component:
    S = DashboardState
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Membership", size="4", as_="h2"),
                status_badge(S.membership),
                align="center",
            ),
            rx.cond(
                S.membership == "active",
                rx.vstack(
                    rx.text(
                        "You get the month's base entries in every raffle while you are a member.",
                        size="2",
                    ),
                    rx.cond(
                        S.membership_until != "",
                        rx.text("Paid until ", S.membership_until, size="2", color_scheme="gray"),
                    ),
                    rx.button("Manage membership", variant="soft", on_click=S.manage_membership),
                ),
                rx.vstack(
                    rx.text(
                        "Members get base entries in every monthly raffle, plus bonus entries "
                        "for approved proofs. Entries you have earned stay yours.",
                        size="2",
                    ),
                    rx.button("Join the club", on_click=S.join_club, size="3"),
                ),
            ),
            spacing="3",
        ),
        width="100%",
    )


def _raffle_card() -> rx.Component:
    S = DashboardState
    return rx.card(
        rx.cond(
            S.raffle.id != 0,
            rx.vstack(
                rx.text(
                    rx.cond(S.raffle.is_open, S.raffle.label, "The last raffle: closed"),
                    size="2",
                    color_scheme="gray",
                ),
                rx.heading(S.raffle.title, size="6", as_="h2"),
                rx.cond(
                    S.raffle.image_url != "",
                    rx.image(
                        src=S.raffle.image_url,
                        alt=S.raffle.prize,
                        max_height="14rem",
                        border_radius="var(--radius-3)",
                        object_fit="cover",
                        width="100%",
                    ),
                ),
                rx.text(rx.text.strong("Prize: "), S.raffle.prize),
                rx.cond(S.raffle.description != "", rx.text(S.raffle.description, size="2")),
                rx.cond(
                    S.raffle.is_open,
                    rx.fragment(
                        rx.text("Closes ", S.raffle.closes, size="2"), countdown(S.seconds_left)
                    ),
                    rx.fragment(
                        rx.text("Closed ", S.raffle.closes, size="2"),
                        rx.text(S.raffle.result, weight="medium", id="raffle-result"),
                        rx.text("The next raffle opens on the 1st.", size="2", color_scheme="gray"),
                    ),
                ),
                spacing="3",
            ),
            rx.text("There is no open raffle right now. The next one opens on the 1st."),
        ),
        width="100%",
    )


def _wins() -> rx.Component:
    """A member who won is told here, with what happens next and their say over their name."""
    S = DashboardState
    return rx.cond(
        S.wins.length() > 0,
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.icon("trophy", size=28, color=rx.color("amber", 9)),
                    rx.heading("You won!", size="6", as_="h2"),
                    align="center",
                ),
                rx.foreach(
                    S.wins,
                    lambda w: rx.vstack(
                        rx.text(
                            rx.text.strong(w.prize),
                            " in ",
                            w.title,
                            rx.cond(w.ticket != "", " (" + w.ticket + ")", ""),
                            ", drawn ",
                            w.drawn,
                            ".",
                        ),
                        rx.text("What happens next: ", w.next_step, size="2"),
                        rx.el.label(
                            rx.hstack(
                                rx.checkbox(
                                    checked=w.show_name,
                                    on_change=lambda show: S.set_show_name(w.winner_id, show),
                                ),
                                rx.text(
                                    "Show my display name as the winner on Champions and the "
                                    "draw's page (otherwise you appear as ",
                                    S.unnamed,
                                    ")",
                                    size="2",
                                ),
                                align="center",
                            ),
                        ),
                        rx.link("The draw and its proof", href=w.draw_url, size="2"),
                        spacing="2",
                        width="100%",
                    ),
                ),
                spacing="3",
                width="100%",
            ),
            id="my-wins",
            width="100%",
        ),
    )


def _competition_tickets() -> rx.Component:
    S = DashboardState
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("My competition tickets", size="4", as_="h2"),
                rx.spacer(),
                rx.link("See the competitions", href=routes.COMPETITIONS, size="2"),
                width="100%",
                wrap="wrap",
            ),
            rx.foreach(
                S.ticket_orders,
                lambda o: rx.hstack(
                    rx.link(
                        o.competition,
                        href=routes.competition_page(o.competition_id),
                        weight="medium",
                    ),
                    status_badge(o.status, o.status_words),
                    rx.cond(o.numbers != NO_NUMBERS, rx.text("Tickets ", o.numbers, size="2")),
                    rx.text(o.created, size="1", color_scheme="gray"),
                    wrap="wrap",
                    align="center",
                ),
            ),
            rx.cond(
                S.ticket_orders.length() == 0,
                rx.text("No tickets yet. Prize competitions are open to members 18+.", size="2"),
            ),
            width="100%",
        ),
        width="100%",
    )


def _stat(label: str, value, testid: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(label, size="2", color_scheme="gray"),
            rx.text(value, size="7", weight="bold", id=testid),
            spacing="1",
        ),
        aria_label=label,
        role="group",
    )


def _entries() -> rx.Component:
    S = DashboardState
    return rx.cond(
        S.raffle.id != 0,
        rx.vstack(
            rx.grid(
                _stat("Base entries this month", S.base_entries, "base-entries"),
                _stat("Bonus entries", S.bonus_entries, "bonus-entries"),
                _stat("Total entries", S.total_entries, "total-entries"),
                columns=rx.breakpoints(initial="1", sm="3"),
                spacing="3",
                width="100%",
            ),
            rx.card(
                rx.vstack(
                    rx.text(rx.text.strong("Your odds now: "), S.odds_text),
                    share_bar(S.odds_basis_points, f"Your share of all {S.all_entries} entries"),
                    rx.text(
                        rx.cond(
                            S.entrants == 1,
                            "1 member holds entries.",
                            S.entrants.to_string() + " members hold entries.",
                        ),
                        size="1",
                        color_scheme="gray",
                    ),
                    width="100%",
                ),
                width="100%",
            ),
            width="100%",
            spacing="3",
        ),
    )


def _fair_draw() -> rx.Component:
    S = DashboardState
    return rx.cond(
        S.raffle.id != 0,
        rx.card(
            rx.vstack(
                rx.heading("Your entrant ref", size="4", as_="h2"),
                rx.code(S.entrant_ref, size="3", style={"wordBreak": "break-all"}, id="my-ref"),
                rx.text(
                    "When the raffle closes, its entries are published under refs like this one, "
                    'never under names. Paste it into "Check my entry" on the draw\'s page to see '
                    "that your entries were counted.",
                    size="2",
                ),
                rx.cond(
                    S.draw_page_url != "",
                    rx.hstack(
                        rx.link("The draw's public page and its commitment", href=S.draw_page_url),
                        rx.link("Watch the draw live", href=S.live_url),
                        spacing="4",
                        wrap="wrap",
                    ),
                ),
                spacing="2",
                width="100%",
            ),
            width="100%",
        ),
    )


def _upload() -> rx.Component:
    S = DashboardState
    return rx.card(
        rx.vstack(
            rx.heading("Earn bonus entries", size="4", as_="h2"),
            rx.text(
                "Upload a screenshot or PDF that shows what you did. An admin checks it; "
                "approved proofs add entries.",
                size="2",
            ),
            rx.cond(S.proofs_wait != "", rx.text(S.proofs_wait, size="2", role="status")),
            rx.cond(
                (S.kinds.length() > 0) & (S.proofs_wait == ""),
                rx.vstack(
                    rx.el.label("What does your proof show?", html_for="proof_kind"),
                    rx.el.select(
                        rx.foreach(S.kinds, lambda k: rx.el.option(k.label, value=k.id)),
                        id="proof_kind",
                        value=S.kind_id,
                        on_change=S.set_kind,
                        style=SELECT_STYLE,
                    ),
                    rx.upload.root(
                        rx.vstack(
                            rx.button("Choose a file", type="button", variant="soft"),
                            rx.text("PNG, JPEG, WebP or PDF, up to 10 MB.", size="1"),
                            rx.foreach(
                                rx.selected_files(UPLOAD_ID), lambda f: rx.text(f, size="2")
                            ),
                            align="start",
                        ),
                        id=UPLOAD_ID,
                        multiple=False,
                        accept={
                            "image/png": [".png"],
                            "image/jpeg": [".jpg", ".jpeg"],
                            "image/webp": [".webp"],
                            "application/pdf": [".pdf"],
                        },
                        max_size=10 * 1024 * 1024,
                        border=f"1px dashed {rx.color('gray', 7)}",
                        padding="1rem",
                        width="100%",
                        aria_label="Proof file",
                    ),
                    field(
                        "Note for the reviewer (optional)",
                        "proof_note",
                        on_blur=S.set_note,
                        key="proof-note-" + S.proofs_sent.to_string(),
                    ),
                    rx.button(
                        "Upload proof",
                        on_click=S.upload_proof(rx.upload_files(upload_id=UPLOAD_ID)),
                    ),
                    width="100%",
                    spacing="2",
                ),
                rx.cond(
                    S.proofs_wait == "", rx.text("No proof kinds are open right now.", size="2")
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _proofs() -> rx.Component:
    S = DashboardState
    return rx.card(
        rx.vstack(
            rx.heading("Your proofs", size="4", as_="h2"),
            rx.foreach(
                S.proofs,
                lambda p: rx.hstack(
                    status_badge(p.status),
                    rx.link(p.kind, href=p.file_url, is_external=True, size="2"),
                    rx.text(p.when, size="1", color_scheme="gray"),
                    rx.cond(p.reason != "", rx.text("Reason: ", p.reason, size="2", color="red")),
                    wrap="wrap",
                    align="center",
                ),
            ),
            rx.cond(S.proofs.length() == 0, rx.text("None yet.", size="2")),
        ),
        width="100%",
    )


def _ledger() -> rx.Component:
    S = DashboardState
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Every change to your entries", size="4", as_="h2"),
                rx.spacer(),
                download_link("Download as CSV", routes.MY_LEDGER_CSV, size="2"),
                width="100%",
                wrap="wrap",
            ),
            data_table(
                ["When", "Source", "Entries", "Why"],
                S.rows,
                lambda r: rx.table.row(
                    rx.table.cell(r.when, white_space="nowrap"),
                    rx.table.cell(r.source),
                    rx.table.cell(
                        rx.cond(r.amount > 0, f"+{r.amount}", r.amount.to_string()),
                        color=rx.cond(r.amount > 0, rx.color("green", 11), rx.color("red", 11)),
                    ),
                    rx.table.cell(r.reason),
                ),
            ),
            rx.cond(S.rows.length() == 0, rx.text("No entries yet.", size="2")),
            width="100%",
        ),
        width="100%",
    )


def _leaderboard() -> rx.Component:
    S = DashboardState
    return rx.card(
        rx.vstack(
            rx.heading("Leaderboard", size="4", as_="h2"),
            rx.foreach(
                S.leaders,
                lambda r: rx.hstack(
                    rx.text(r.rank, ".", width="2rem", color_scheme="gray"),
                    rx.text(r.name, weight=rx.cond(r.is_me, "bold", "regular")),
                    rx.spacer(),
                    rx.text(r.entry_count),
                    width="100%",
                ),
            ),
            rx.cond(S.leaders.length() == 0, rx.text("Nobody has entries yet.", size="2")),
            rx.hstack(
                rx.switch(
                    id="show_name",
                    checked=S.show_on_leaderboard,
                    on_change=S.set_show_on_leaderboard,
                ),
                rx.el.label("Show my display name on leaderboards", html_for="show_name"),
                align="center",
            ),
            rx.text("Others see you as ", rx.text.strong(S.public_name), ".", size="1"),
            width="100%",
        ),
        width="100%",
    )


@rx.page(
    route=routes.DASHBOARD,
    title="Dashboard · LuckyClub",
    on_load=[SessionState.require_sign_in, DashboardState.load],
)
def dashboard_page() -> rx.Component:
    return page(
        heartbeat(DashboardState.tick),
        rx.cond(
            SessionState.signed_in,
            rx.vstack(
                rx.heading(f"Welcome, {SessionState.user_name}", size="8", as_="h1"),
                _verify_banner(),
                error_callout(DashboardState.error),
                success_callout(DashboardState.notice),
                _wins(),
                rx.grid(
                    _raffle_card(),
                    _membership_card(),
                    columns=rx.breakpoints(initial="1", md="2"),
                    spacing="4",
                    width="100%",
                ),
                _entries(),
                _competition_tickets(),
                _fair_draw(),
                rx.grid(
                    _upload(),
                    rx.vstack(_proofs(), _leaderboard(), spacing="4", width="100%"),
                    columns=rx.breakpoints(initial="1", md="2"),
                    spacing="4",
                    width="100%",
                ),
                _ledger(),
                spacing="5",
                width="100%",
            ),
            rx.center(rx.spinner(size="3"), padding="4rem"),
        ),
    )


def _verify_banner() -> rx.Component:
    return rx.cond(
        ~SessionState.email_verified,
        rx.callout(
            rx.hstack(
                rx.text("Please verify your email address — we sent you a link."),
                rx.button(
                    "Send the link again",
                    on_click=VerifyReminderState.resend_verification,
                    size="1",
                    variant="soft",
                ),
                wrap="wrap",
                align="center",
                spacing="3",
            ),
            icon="mail",
            color_scheme="amber",
            width="100%",
        ),
    )


class VerifyReminderState(SessionState):
    @rx.event
    def resend_verification(self):
        try:
            with session_scope() as s:
                user = self._require_user(s)
                if user.email_verified_at is None:
                    accounts.send_verification_email(s, user)
        except UserError as exc:
            return rx.toast.error(exc.message)
        return rx.toast.success("We have sent you a new verification link.")

"""One prize competition (/competitions/<id>): the prize, the skill question and the ticket picker,
the member's own tickets, and after the draw the winning tickets with links to the proof.

The same page is Stripe's way back: `?order=…&session_id=…` after paying (the page fulfils the
order itself if the webhook is slow, and waits for it in test mode), `?cancelled=<order>` when the
buyer turned back (the tickets they held are released at once rather than when the hold runs out).
It stays live like the list: counts, the phase and the result refresh without a reload.
"""

from __future__ import annotations

import json

import reflex as rx

from luckyclub.competitions import fulfilment, orders, public
from luckyclub.competitions.catalogue import money
from luckyclub.competitions.checkout import release, start_checkout
from luckyclub.components.competition import (
    competition_badges,
    competition_picture,
    sold_progress,
)
from luckyclub.components.layout import error_callout, link_button, page, success_callout
from luckyclub.components.live import countdown, reload_on
from luckyclub.core import routes
from luckyclub.core.db import session_scope
from luckyclub.core.errors import UserError
from luckyclub.core.words import when
from luckyclub.platform import changes
from luckyclub.state import live
from luckyclub.state.busy import shows_busy
from luckyclub.state.competitions.competition_views import (
    HOLD_WORDS,
    CompetitionCard,
    WinnerCard,
    card_view,
    winner_cards,
)
from luckyclub.state.events import event, run_in_thread
from luckyclub.state.session import SessionState

WAITING = "Payment received — your ticket numbers appear here in a moment."


class CompetitionPageState(SessionState):
    loaded: bool = False
    missing: bool = False
    comp: CompetitionCard = CompetitionCard()
    description: str = ""
    picture_urls: rx.Field[list[str]] = rx.field(default_factory=list)
    question: str = ""
    choices: list[str] = []
    per_person_limit: rx.Field[int] = rx.field(0)
    cancel_reason: str = ""
    my_numbers: str = ""  # "1–3, 7"
    can_buy: rx.Field[int] = rx.field(0)
    limit_words: str = ""  # "Your monthly spend limit leaves £7.50 this month."
    answer: str = ""
    quantity_text: str = "1"
    total: str = ""  # "£7.50" while the quantity is one the member may buy
    error: str = ""
    notice: str = ""
    busy: bool = False  # Pay runs: the checkout is being started (Stripe may take a moment)
    waiting: bool = False  # paid, the webhook has not numbered the tickets yet
    draw_id: int = 0
    draw_status: str = ""
    draw_url: str = ""
    live_url: str = ""
    drawn_at: str = ""
    override: bool = False
    override_reason: str = ""
    winners: rx.Field[list[WinnerCard]] = rx.field(default_factory=list)
    won: bool = False  # the viewer holds a winning ticket
    _checkout_id: str = ""

    # ---- reading --------------------------------------------------------------------------

    def _competition_id(self) -> int | None:
        return routes.id_from_path(self.router.url.path)

    def _refill(self) -> int | None:
        """Load the competition for whoever is signed in; their user id (None for a visitor)."""
        competition_id = self._competition_id()
        with session_scope() as s:
            user = self._current_user(s)
            user_id = user.id if user else None
            try:
                if competition_id is None:
                    raise UserError("That competition does not exist.")
                found = public.detail(s, competition_id, user_id)
            except UserError:
                self.loaded, self.missing = True, True
                return user_id
        self._show_detail(found)
        return user_id

    def _show_detail(self, found: public.Detail) -> None:
        self.loaded, self.missing = True, False
        self.comp = card_view(found.card)  # a public page: UTC for everyone
        self.description = found.description
        self.picture_urls = [routes.competition_image(self.comp.id, n) for n in found.images]
        self.question = found.question
        self.choices = list(found.choices)
        self.per_person_limit = found.per_person_limit
        self.cancel_reason = found.cancel_reason
        self.my_numbers = orders.describe_numbers(found.member_numbers)
        self.can_buy = found.can_buy
        self.limit_words = (
            f"Your monthly spend limit leaves {money(found.limit_left_pence)} this month."
            if found.limit_left_pence is not None
            else ""
        )
        result = found.result
        self.draw_id = result.draw_id if result else 0
        self.draw_status = result.status if result else ""
        self.draw_url = routes.draw_page(result.draw_id) if result else ""
        self.live_url = routes.live_page(result.draw_id) if result else ""
        self.drawn_at = when(result.drawn_at) if result else ""
        self.override = bool(result and result.override)
        self.override_reason = result.reason if result and result.override else ""
        self.winners = winner_cards(result, found.member_numbers)
        self.won = any(w.mine for w in self.winners)
        self._price_total()

    def _price_total(self) -> None:
        quantity = routes.whole_number(self.quantity_text)
        if quantity is None or not 1 <= quantity <= self.can_buy:
            self.total = ""
            return
        self.total = money(quantity * self.comp.price_pence, self.comp.currency)

    @event
    def load(self):
        self.error = self.notice = self.answer = ""
        self.quantity_text, self.waiting, self._checkout_id = "1", False, ""
        self.loaded = False
        user_id = self._refill()
        if self.missing:
            return
        query = self.router.url.query_parameters
        checkout_id, cancelled = query.get("session_id", ""), query.get("cancelled", "")
        if not (checkout_id or cancelled):
            return
        if user_id is None:
            self.error = "Sign in to see how your order stands."
            return
        if checkout_id:
            self._checkout_id = checkout_id[:200]
            self._confirm(user_id)
        else:
            self._cancelled(user_id, cancelled)
        self._refill()
        # The address loses its order details, so a reload does not repeat them.
        return rx.call_script(f"history.replaceState(null, '', {json.dumps(self.router.url.path)})")

    def _confirm(self, user_id: int) -> None:
        """The success page: the tickets' numbers, a wait, or why the payment is refunded."""
        try:
            done = fulfilment.confirm(user_id, self._checkout_id)
        except UserError as exc:
            # Said once: the page stops asking (the webhook still numbers the tickets, and the
            # page shows them when it does).
            self.error, self.notice, self.waiting, self._checkout_id = exc.message, "", False, ""
            return
        self.waiting = done.outcome == "waiting"
        if self.waiting:
            self.notice = WAITING
            return
        self._checkout_id = ""
        if done.outcome == "refund_due":
            self.notice = ""
            self.error = (
                f"Your payment could not become tickets: {done.message} "
                "It is refunded in full, to the card you paid with; you need do nothing."
            )
        elif done.numbers:
            self.notice = (
                f"Payment received. Your tickets: {orders.describe_numbers(done.numbers)}. "
                "Good luck!"
            )
        else:
            self.error = "We could not find a payment for that checkout. Nothing was charged."

    def _cancelled(self, user_id: int, order: str) -> None:
        order_id = routes.whole_id(order)
        if order_id is None:
            return
        if release(order_id, user_id=user_id):
            self.notice = (
                "You cancelled the checkout: the tickets it held are released and nothing was "
                "charged."
            )
        else:
            self.notice = "That checkout is closed already; nothing more was charged."

    @event
    async def follow(self):
        """After load: hear of changes to the competition and to the member's own orders."""
        if self.loaded and not self.missing:
            await live.follow(self, changes.competition(self.comp.id))
            await live.follow_member(self)
            if self.waiting:  # the payment may have been numbered before the room was joined
                await run_in_thread(self._reload)

    @event
    def changed(self, version: str):
        """The server says the competition or the member's orders changed: show them anew."""
        if self._session_state()._saw(version):
            self._reload()

    @event
    def ask(self):
        """A countdown reached zero: the competition went on sale or closed."""
        self._reload()

    def _reload(self) -> None:
        if not self.loaded or self.missing:
            return
        user_id = self._refill()
        if self.waiting and user_id is not None:
            self._confirm(user_id)

    # ---- buying ---------------------------------------------------------------------------

    @event
    def choose_answer(self, value: str):
        self.answer = str(value)[:200]

    @event
    def set_quantity(self, value: str):
        self.quantity_text = str(value).strip()[:7]
        self._price_total()

    @event
    def step_quantity(self, by: int):
        quantity = (routes.whole_number(self.quantity_text) or 1) + (1 if by > 0 else -1)
        self.quantity_text = str(max(1, min(quantity, max(self.can_buy, 1))))
        self._price_total()

    @event
    @shows_busy()
    def buy(self):
        self.error = self.notice = ""
        with session_scope() as s:
            user = self._current_user(s)
        if user is None:
            return rx.redirect(f"{routes.LOGIN}?next={self.router.url.path}")
        quantity = routes.whole_number(self.quantity_text)
        if quantity is None or quantity < 1:
            self.error = "Choose how many tickets, as a whole number of 1 or more."
            return
        if quantity > self.can_buy:
            self.error = (
                f"You can choose at most {self.can_buy} ticket{'s' if self.can_buy != 1 else ''} "
                "now."
                if self.can_buy
                else "You cannot buy more tickets in this competition."
            )
            return
        if not self.answer:
            self.error = "Choose your answer to the question first."
            return
        try:
            checkout = start_checkout(user.id, self.comp.id, quantity, self.answer)
        except UserError as exc:
            self.error = exc.message
            self._refill()  # the counts or the phase may be why
            return
        return rx.redirect(checkout.url, is_external=checkout.url.startswith("http"))


# ---- the page ----------------------------------------------------------------------------------

S = CompetitionPageState


def _pictures() -> rx.Component:
    return rx.cond(
        S.picture_urls.length() > 1,
        rx.grid(
            rx.foreach(
                S.picture_urls[1:],
                lambda url: rx.image(
                    src=url,
                    alt="Another picture of the prize",
                    width="100%",
                    height="6rem",
                    object_fit="cover",
                    border_radius="var(--radius-2)",
                ),
            ),
            columns="3",
            spacing="2",
            width="100%",
        ),
    )


def _about() -> rx.Component:
    return rx.vstack(
        competition_picture(
            rx.cond(S.picture_urls.length() > 0, S.picture_urls[0], ""),
            S.comp.prize,
            rx.breakpoints(initial="12rem", md="20rem"),
        ),
        _pictures(),
        rx.heading("The prize", size="5", as_="h2"),
        rx.text(S.comp.prize, size="4", weight="medium"),
        rx.cond(S.description != "", rx.text(S.description, white_space="pre-wrap")),
        spacing="3",
        width="100%",
    )


def _times() -> rx.Component:
    return rx.vstack(
        rx.match(
            S.comp.phase,
            (
                "upcoming",
                rx.vstack(
                    rx.text(rx.text.strong("On sale from "), S.comp.starts),
                    countdown(S.comp.starts_ts, "Time until tickets go on sale", on_zero=S.ask),
                ),
            ),
            (
                "active",
                rx.vstack(
                    rx.text(rx.text.strong("Closes "), S.comp.ends),
                    countdown(S.comp.ends_ts, "Time left to enter", on_zero=S.ask),
                ),
            ),
            ("ended", rx.text(rx.text.strong("Sales closed — drawn at "), S.comp.draw_time)),
            ("drawn", rx.text("Sales closed ", S.comp.ends, ". Drawn ", S.drawn_at, ".")),
            rx.fragment(),
        ),
        rx.cond(
            S.comp.phase != "drawn",
            rx.text("The draw: ", S.comp.draw_time, size="2", color_scheme="gray"),
        ),
        spacing="2",
    )


def _entry_form() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Answer the question correctly to enter: a wrong answer enters nothing and charges "
            "nothing.",
            size="2",
            color_scheme="gray",
        ),
        rx.heading(S.question, size="4", as_="h3", id="competition-question"),
        rx.radio_group(
            S.choices,
            value=S.answer,
            on_change=S.choose_answer,
            direction="column",
            size="3",
            aria_labelledby="competition-question",
        ),
        rx.el.label(
            "Number of tickets",
            html_for="ticket_quantity",
            style={"fontWeight": "500"},
        ),
        rx.hstack(
            rx.icon_button(
                rx.icon("minus"),
                on_click=S.step_quantity(-1),
                variant="soft",
                type="button",
                aria_label="One ticket fewer",
            ),
            rx.input(
                id="ticket_quantity",
                type="number",
                input_mode="numeric",
                min=1,
                max=S.can_buy,
                value=S.quantity_text,
                on_change=S.set_quantity,
                width="6rem",
                size="3",
            ),
            rx.icon_button(
                rx.icon("plus"),
                on_click=S.step_quantity(1),
                variant="soft",
                type="button",
                aria_label="One ticket more",
            ),
            align="center",
        ),
        rx.text(
            "You can choose up to ",
            S.can_buy.to_string(),
            " now (",
            S.per_person_limit.to_string(),
            " per person in this competition). ",
            S.limit_words,
            size="2",
            color_scheme="gray",
        ),
        rx.button(
            rx.cond(S.total != "", "Pay " + S.total, "Buy tickets"),
            on_click=S.buy,
            loading=S.busy,
            size="3",
            width="100%",
        ),
        rx.text(
            f"Your tickets are held for {HOLD_WORDS} while you pay. 18+ only: set a monthly "
            "limit or take a break on ",
            rx.link("your profile", href=routes.PROFILE),
            ".",
            size="1",
            color_scheme="gray",
        ),
        spacing="3",
        width="100%",
    )


def _buy_box() -> rx.Component:
    on_sale = (S.comp.phase == "active") & ~S.comp.sold_out
    return rx.cond(
        on_sale,
        rx.cond(
            SessionState.signed_in,
            rx.cond(
                S.can_buy > 0,
                _entry_form(),
                rx.callout(
                    rx.cond(
                        S.comp.tickets_left == 0,
                        "Every ticket left is in someone's checkout. Held tickets that are not "
                        f"paid for come back within {HOLD_WORDS}.",
                        "You have as many tickets as one person may have in this competition.",
                    ),
                    icon="info",
                    width="100%",
                ),
            ),
            rx.vstack(
                rx.text("Sign in to answer the question and buy tickets."),
                rx.hstack(
                    link_button("Sign in to enter", routes.LOGIN + "?next=" + S.comp.url, size="3"),
                    link_button("Join", routes.REGISTER, size="3", variant="soft"),
                    spacing="3",
                ),
                spacing="2",
                width="100%",
            ),
        ),
    )


def _mine() -> rx.Component:
    return rx.cond(
        S.won,
        rx.callout(
            rx.text(
                rx.text.strong("You won! "),
                "Your tickets: ",
                S.my_numbers,
                ". We will contact you by email to arrange your prize; your dashboard shows "
                "what happens next and lets you choose whether your name is shown.",
            ),
            icon="trophy",
            color_scheme="amber",
            id="my-tickets",
            width="100%",
        ),
        rx.cond(
            S.my_numbers != "",
            rx.callout(
                rx.text(rx.text.strong("Your tickets: "), S.my_numbers),
                icon="ticket",
                color_scheme="green",
                id="my-tickets",
                width="100%",
            ),
        ),
    )


def _winner(w: WinnerCard) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.icon("trophy", size=28, color=rx.color("amber", 9)),
            rx.vstack(
                rx.text(w.ticket, size="6", weight="bold"),
                rx.cond(
                    w.mine,
                    rx.text("Won by you!", size="3", weight="bold"),
                    rx.cond(
                        w.published,
                        rx.text("Won by ", w.name, size="3"),
                        rx.text("The winner is being contacted.", size="2", color_scheme="gray"),
                    ),
                ),
                spacing="1",
            ),
            align="center",
            spacing="3",
        ),
        width="100%",
    )


def _result() -> rx.Component:
    return rx.cond(
        S.draw_status == "drawn",
        rx.card(
            rx.vstack(
                rx.heading(
                    rx.cond(S.winners.length() > 1, "The winning tickets", "The winning ticket"),
                    size="5",
                    as_="h2",
                ),
                rx.cond(
                    S.override,
                    rx.callout(
                        "Chosen by an admin, not by the random draw. Reason: " + S.override_reason,
                        icon="shield_alert",
                        color_scheme="orange",
                        width="100%",
                    ),
                ),
                rx.foreach(S.winners, _winner),
                rx.hstack(
                    link_button("See the proof and check the draw", S.draw_url),
                    link_button(
                        "Watch the live draw replay",
                        S.live_url,
                        variant="soft",
                    ),
                    wrap="wrap",
                    spacing="3",
                ),
                spacing="3",
                width="100%",
            ),
            id="competition-result",
            width="100%",
        ),
    )


def _phase_notes() -> rx.Component:
    return rx.vstack(
        rx.cond(
            S.comp.phase == "cancelled",
            rx.callout(
                "This competition was cancelled: "
                + S.cancel_reason
                + ". Every order has been refunded.",
                icon="circle_x",
                color_scheme="red",
                width="100%",
            ),
        ),
        rx.cond(
            (S.comp.phase == "active") & S.comp.sold_out,
            rx.callout("Sold out: every ticket has been bought.", icon="ticket", width="100%"),
        ),
        rx.cond(
            (S.comp.phase == "ended") & (S.draw_id != 0),
            link_button("Watch the draw live", S.live_url, variant="soft"),
        ),
        rx.cond(
            (S.draw_id != 0) & (S.draw_status != "drawn") & (S.comp.phase != "cancelled"),
            rx.link(
                "The draw's public page: its commitment, made before any ticket was sold",
                href=S.draw_url,
                size="2",
            ),
        ),
        spacing="3",
        width="100%",
    )


def _missing() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon("search_x", size=48, color=rx.color("accent", 9)),
            rx.heading("There is no such competition", size="7", as_="h1"),
            rx.text("It may have been taken down, or the link is mistyped."),
            link_button("See all competitions", routes.COMPETITIONS),
            align="center",
            spacing="3",
        ),
        padding_y="4rem",
    )


def _competition() -> rx.Component:
    return rx.vstack(
        rx.link("← All competitions", href=routes.COMPETITIONS, size="2"),
        competition_badges(S.comp),
        rx.heading(S.comp.title, size="8", as_="h1"),
        error_callout(S.error),
        success_callout(S.notice),
        _result(),
        rx.grid(
            _about(),
            rx.card(
                rx.vstack(
                    rx.text(rx.text.strong(S.comp.price), " a ticket", size="5"),
                    sold_progress(S.comp.percent, S.comp.sold_words, S.comp.title),
                    _times(),
                    _mine(),
                    _phase_notes(),
                    _buy_box(),
                    spacing="4",
                    width="100%",
                ),
                width="100%",
            ),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="5",
            width="100%",
        ),
        rx.text(
            "Free entry by post is open to everyone: ",
            rx.link("the rules", href=routes.COMPETITION_RULES),
            " explain how.",
            size="2",
            color_scheme="gray",
        ),
        spacing="4",
        width="100%",
    )


@rx.page(
    route=routes.COMPETITION,
    title="Competition · LuckyClub",
    on_load=[SessionState.refresh, CompetitionPageState.load, CompetitionPageState.follow],
)
def competition_page() -> rx.Component:
    return page(
        reload_on(SessionState.live_version, CompetitionPageState.changed),
        rx.cond(
            S.loaded,
            rx.cond(S.missing, _missing(), _competition()),
            rx.center(rx.spinner(size="3"), padding="4rem"),
        ),
    )

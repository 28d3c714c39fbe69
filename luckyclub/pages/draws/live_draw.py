"""The live draw (/live/<id>, no sign-in): a countdown, the pool growing, then the reveal that every
spectator sees at the same moment. The server writes what it shows into every spectator's tab when
the draw changes (state/draws/draw_room.py); the countdown ticks in the browser, and at zero the
tab asks once, since a draw's time passing is not itself announced.
"""

from __future__ import annotations

import reflex as rx

from luckyclub.components.layout import link_button, page
from luckyclub.components.live import countdown
from luckyclub.core import routes
from luckyclub.state import live
from luckyclub.state.draws.draw_room import RevealedWinner, load_followed, open_room, room_key
from luckyclub.state.draws.draw_views import DrawSummary
from luckyclub.state.events import event, run_in_thread
from luckyclub.state.session import SessionState


class LiveDrawState(rx.State):
    loaded: bool = False
    missing: bool = False
    draw: DrawSummary = DrawSummary()  # the draw as it stands: counts, status, times
    phase: str = ""  # "" (before the result), "drawing", "digits", "done"
    digits: str = ""  # the winning ticket number as revealed so far, e.g. "4 2 • •"
    outcome: str = ""  # "random", "override" or "void", once done
    reason: str = ""  # an override's or a void's
    winners: list[RevealedWinner] = []
    _draw_id: int = 0

    @event
    async def load(self):
        draw_id = routes.id_from_path(self.router.url.path)
        found = await run_in_thread(lambda: load_followed(draw_id)) if draw_id is not None else None
        self.loaded, self.missing = True, found is None
        if found is None:
            self._draw_id = 0
            self._reset_draw()
            return
        view, topics = found
        self._draw_id = view.id
        live.show(self, open_room(self, view, topics))

    def _reset_draw(self) -> None:
        self.draw, self.phase, self.digits = DrawSummary(), "", ""
        self.outcome, self.reason, self.winners = "", "", []

    @event
    def ask(self):
        """The countdown reached zero: has the draw begun? (One refresh however many ask.)"""
        if self._draw_id:
            live.refresh_soon(room_key(self._draw_id))


# ---- the page ----------------------------------------------------------------------------------

S = LiveDrawState
R = LiveDrawState


def _counts() -> rx.Component:
    def stat(label: str, value) -> rx.Component:
        return rx.card(
            rx.vstack(
                rx.text(label, size="2", color_scheme="gray"),
                rx.text(value, size="7", weight="bold"),
                spacing="1",
            ),
            role="group",
            aria_label=label,
        )

    return rx.grid(
        stat("Entrants", R.draw.entrant_count),
        stat(R.draw.entries_title, R.draw.entry_count),
        columns="2",
        spacing="3",
        width="100%",
        max_width="28rem",
    )


def _before() -> rx.Component:
    return rx.vstack(
        rx.badge(R.draw.status_words, size="2", color_scheme="amber"),
        rx.text("The draw runs at ", R.draw.draw_at, ".", size="2"),
        countdown(R.draw.draw_at_ts, "Time left until the draw", on_zero=S.ask),
        _counts(),
        rx.cond(
            R.draw.status == "waiting_for_beacon",
            rx.text(R.draw.waiting_words, size="2", text_align="center"),
        ),
        align="center",
        spacing="4",
        width="100%",
    )


def _winner_list(winners) -> rx.Component:
    return rx.vstack(
        rx.foreach(
            winners,
            lambda w: rx.cond(
                R.draw.numbered,
                # A numbered ticket is the headline; its holder is told privately.
                rx.vstack(
                    rx.text(w.ticket, size="8", weight="bold", text_align="center"),
                    rx.text(w.name, size="3", color_scheme="gray", text_align="center"),
                    align="center",
                    spacing="1",
                ),
                rx.vstack(
                    rx.text(w.name, size="8", weight="bold", text_align="center"),
                    rx.text(w.ticket, size="3", color_scheme="gray", text_align="center"),
                    align="center",
                    spacing="1",
                ),
            ),
        ),
        align="center",
        spacing="4",
    )


def _final_card(outcome, reason, winners) -> rx.Component:
    """The result, from the room's reveal or, for a tab that arrived later, from the database."""
    return rx.card(
        rx.vstack(
            rx.match(
                outcome,
                (
                    "void",
                    rx.vstack(
                        rx.heading("This draw is void", size="7", as_="h2"),
                        rx.text(reason, text_align="center"),
                        align="center",
                    ),
                ),
                (
                    "override",
                    rx.vstack(
                        rx.heading("Manual override by an admin", size="7", as_="h2"),
                        rx.text("Not a random draw. Reason: ", reason, text_align="center"),
                        _winner_list(winners),
                        align="center",
                    ),
                ),
                rx.vstack(
                    rx.icon("party_popper", size=40, color=rx.color("accent", 9)),
                    rx.heading("We have a winner!", size="7", as_="h2"),
                    _winner_list(winners),
                    align="center",
                ),
            ),
            link_button("See the proof and check the draw", R.draw.page_url, variant="soft"),
            align="center",
            spacing="4",
            width="100%",
        ),
        id="winner-card",
        width="100%",
        max_width="36rem",
    )


def _reveal() -> rx.Component:
    return rx.match(
        S.phase,
        (
            "drawing",
            rx.vstack(
                rx.spinner(size="3"),
                rx.heading("Drawing…", size="8", as_="h2"),
                align="center",
            ),
        ),
        (
            "digits",
            rx.vstack(
                rx.text(
                    R.draw.winning_words,
                    size="3",
                    color_scheme="gray",
                ),
                rx.text(
                    S.digits,
                    size="9",
                    weight="bold",
                    style={"fontVariantNumeric": "tabular-nums", "letterSpacing": "0.1em"},
                ),
                align="center",
            ),
        ),
        _final_card(S.outcome, S.reason, S.winners),
    )


def _stage() -> rx.Component:
    return rx.box(
        rx.cond(
            S.phase != "",
            _reveal(),
            _before(),
        ),
        role="status",
        aria_live="polite",
        width="100%",
        display="flex",
        justify_content="center",
        padding_y="1.5rem",
    )


def _missing() -> rx.Component:
    return rx.vstack(
        rx.heading("There is no such draw", size="7", as_="h1"),
        rx.text("Check the link: the number at the end of the address names the draw."),
        link_button("See the champions", routes.CHAMPIONS),
        align="center",
        spacing="3",
        padding_y="4rem",
    )


@rx.page(
    route=routes.LIVE_DRAW,
    title="Live draw · LuckyClub",
    on_load=[SessionState.refresh, LiveDrawState.load],
)
def live_draw_page() -> rx.Component:
    return page(
        rx.cond(
            S.loaded,
            rx.cond(
                S.missing,
                _missing(),
                rx.vstack(
                    rx.text("Live draw", size="2", color_scheme="gray"),
                    rx.heading(R.draw.title, size="8", as_="h1", text_align="center"),
                    rx.text(rx.text.strong("Prize: "), R.draw.prize),
                    _stage(),
                    rx.link(
                        "The draw's public page: commitment, snapshot, proof",
                        href=R.draw.page_url,
                        size="2",
                    ),
                    align="center",
                    spacing="3",
                    width="100%",
                ),
            ),
            rx.center(rx.spinner(size="3"), padding="4rem"),
        ),
    )

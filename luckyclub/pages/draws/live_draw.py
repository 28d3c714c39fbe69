"""The live draw (/live/<id>, no sign-in): a countdown, the pool growing, then the reveal that every
spectator sees at the same moment through the draw's shared room (state/draws/draw_room.py).

Each tab keeps its own clock and counts (a heartbeat, client-local); once the draw time has passed
it asks the database every couple of seconds, so a draw made by another process still shows up.
"""

from __future__ import annotations

import time

import reflex as rx

from luckyclub.components.layout import link_button, page
from luckyclub.components.live import countdown, heartbeat
from luckyclub.core import routes
from luckyclub.platform import draw_public
from luckyclub.state.draws.draw_room import DrawRoom, load_view, start_reveal
from luckyclub.state.draws.draw_views import DrawSummary, WinnerRow, summary, winner_rows
from luckyclub.state.events import event
from luckyclub.state.session import SessionState

COUNTS_EVERY = 5  # ticks (seconds) between refreshes of the counts while the pool is open
POLL_EVERY = 2  # ticks between database checks once the draw time has passed
ROOM_GRACE = 15.0  # seconds the room's reveal may take before the tab shows the result itself


class LiveDrawState(rx.State):
    loaded: bool = False
    missing: bool = False
    draw: DrawSummary = DrawSummary()
    winners: list[WinnerRow] = []  # those still standing, for a tab that arrives after the draw
    outcome: str = ""  # "random", "override" or "void" once revealed
    seconds_left: int = 0
    _draw_at: float = 0.0
    _ticks: int = 0
    _seen_revealed_at: float = 0.0

    @event
    def load(self):
        self._ticks, self._seen_revealed_at = 0, 0.0
        draw_id = routes.id_from_path(self.router.url.path)
        view = load_view(draw_id) if draw_id is not None else None
        self.loaded, self.missing = True, view is None
        if view is None:
            self.draw, self.winners, self.outcome = DrawSummary(), [], ""
            return
        self._fill(view)

    def _fill(self, view: draw_public.DrawView) -> None:
        self.draw = summary(view)
        self._draw_at = view.draw_at.timestamp()
        self.seconds_left = max(0, int(self._draw_at - time.time()))
        self.outcome = view.outcome
        self.winners = [w for w in winner_rows(view) if not w.replaced] if view.outcome else []

    @event
    def tick(self, _moment: str = ""):
        """The heartbeat: the clock moves; now and then the counts; after the time, the result."""
        if not self.loaded or self.missing or self.draw.revealed:
            return
        now = time.time()
        self.seconds_left = max(0, int(self._draw_at - now))
        self._ticks += 1
        if self._seen_revealed_at:
            # the room should have shown it by now
            late = now - self._seen_revealed_at > ROOM_GRACE
            if late and (view := load_view(self.draw.id)) is not None:
                self._fill(view)
            return
        if self._ticks % (POLL_EVERY if now >= self._draw_at else COUNTS_EVERY):
            return
        view = load_view(self.draw.id)
        if view is None:
            return
        if view.status in draw_public.REVEALED and start_reveal(view.id):
            self._seen_revealed_at = now  # the room reveals it to every spectator together
            return
        self._fill(view)


# ---- the page ----------------------------------------------------------------------------------

S = LiveDrawState


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
        stat("Entrants", S.draw.entrant_count),
        stat(S.draw.entries_title, S.draw.entry_count),
        columns="2",
        spacing="3",
        width="100%",
        max_width="28rem",
    )


def _before() -> rx.Component:
    return rx.vstack(
        rx.badge(
            rx.cond(S.seconds_left > 0, S.draw.status_words, "The draw is about to begin…"),
            size="2",
            color_scheme="amber",
        ),
        rx.text("The draw runs at ", S.draw.draw_at, ".", size="2"),
        countdown(S.seconds_left, "Time left until the draw"),
        _counts(),
        rx.cond(
            S.draw.status == "waiting_for_beacon",
            rx.text(S.draw.waiting_words, size="2", text_align="center"),
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
                S.draw.numbered,
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
            link_button("See the proof and check the draw", S.draw.page_url, variant="soft"),
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
        DrawRoom.phase,
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
                    S.draw.winning_words,
                    size="3",
                    color_scheme="gray",
                ),
                rx.text(
                    DrawRoom.digits,
                    size="9",
                    weight="bold",
                    style={"fontVariantNumeric": "tabular-nums", "letterSpacing": "0.1em"},
                ),
                align="center",
            ),
        ),
        _final_card(DrawRoom.outcome, DrawRoom.reason, DrawRoom.winners),
    )


def _stage() -> rx.Component:
    return rx.box(
        rx.cond(
            DrawRoom.phase != "",
            _reveal(),
            rx.cond(S.draw.revealed, _final_card(S.outcome, S.draw.reason, S.winners), _before()),
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
    on_load=[SessionState.refresh, LiveDrawState.load, DrawRoom.join],
)
def live_draw_page() -> rx.Component:
    return page(
        heartbeat(LiveDrawState.tick),
        rx.cond(
            S.loaded,
            rx.cond(
                S.missing,
                _missing(),
                rx.vstack(
                    rx.text("Live draw", size="2", color_scheme="gray"),
                    rx.heading(S.draw.title, size="8", as_="h1", text_align="center"),
                    rx.text(rx.text.strong("Prize: "), S.draw.prize),
                    _stage(),
                    rx.link(
                        "The draw's public page: commitment, snapshot, proof",
                        href=S.draw.page_url,
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

"""The prize competitions anyone can browse (/competitions, no sign-in): on sale, upcoming, ended
and drawn, featured ones first, each with its progress and a countdown.

It stays live without asking: the visitors of each tab of the list form a room (state/live.py)
whose cards the server loads once and writes to all of them when a competition changes (someone
bought tickets, an admin published one); the countdowns tick in the browser, and one reaching zero
asks for the list once.
"""

from __future__ import annotations

import json

import reflex as rx

from luckyclub.competitions import public
from luckyclub.components.competition import (
    competition_badges,
    competition_picture,
    sold_progress,
)
from luckyclub.components.layout import page
from luckyclub.components.live import short_countdown
from luckyclub.core import routes
from luckyclub.core.db import session_scope
from luckyclub.platform import changes
from luckyclub.state import live
from luckyclub.state.competitions.competition_views import (
    TAB_WORDS,
    TABS,
    CompetitionCard,
    card_view,
)
from luckyclub.state.events import event, run_in_thread
from luckyclub.state.session import SessionState


def _cards(tab: str) -> list[CompetitionCard]:
    with session_scope() as s:
        return [card_view(c) for c in public.cards(s, tab)]


async def load_tab(tab: str) -> live.Values:
    """What one tab of the list shows, the same for every visitor (times in UTC)."""
    return {"cards": await run_in_thread(lambda: _cards(tab))}


def room_of(tab: str) -> live.Room:
    """The visitors of one tab of the list in this process, its cards loaded once per change."""
    return live.Room(
        key=f"{changes.COMPETITIONS}:{tab}",
        topics=frozenset({changes.COMPETITIONS}),
        state=CompetitionListState,
        load=lambda: load_tab(tab),
    )


class CompetitionListState(SessionState):
    tab: str = "active"
    cards: rx.Field[list[CompetitionCard]] = rx.field(default_factory=list)
    loaded: bool = False

    async def _show_tab(self, tab: str) -> None:
        """Show one tab of the list: from its room when visitors watch it here already."""
        if self.loaded and self.tab != tab:
            live.leave(self, room_of(self.tab).key)
        self.tab = tab
        fresh = room_of(tab)
        room = live.join(self, fresh)
        if room is not fresh and "cards" in room.shown:
            self.cards = room.shown["cards"]
            live.refresh_soon(room.key)  # a competition may have gone on sale or closed since
        else:
            values = await load_tab(tab)
            room.shown.update(values)
            live.show(self, values)
        self.loaded = True

    @event
    async def load(self):
        wanted = self.router.url.query_parameters.get("status", "")
        self.loaded = False
        await self._show_tab(wanted if wanted in TABS else "active")

    @event
    async def choose_tab(self, value: str):
        if value not in TABS:
            return
        await self._show_tab(value)
        # The address follows the tab, so a link to it opens the same list.
        address = f"{routes.COMPETITIONS}?status={value}"
        return rx.call_script(f"history.replaceState(null, '', {json.dumps(address)})")

    @event
    def ask(self):
        """A countdown reached zero: a competition went on sale or closed. (One refresh however
        many visitors ask.)"""
        live.refresh_soon(room_of(self.tab).key)


S = CompetitionListState
R = CompetitionListState


def _countdown(card: CompetitionCard) -> rx.Component:
    return rx.match(
        card.phase,
        (
            "active",
            rx.hstack(
                rx.text("Ends in", size="2", color_scheme="gray"),
                short_countdown(card.ends_ts, "Time left to enter " + card.title, on_zero=S.ask),
                spacing="2",
                align="center",
            ),
        ),
        (
            "upcoming",
            rx.hstack(
                rx.text("On sale in", size="2", color_scheme="gray"),
                short_countdown(
                    card.starts_ts,
                    "Time until " + card.title + " goes on sale",
                    on_zero=S.ask,
                ),
                spacing="2",
                align="center",
            ),
        ),
        rx.fragment(),
    )


def _when(card: CompetitionCard) -> rx.Component:
    return rx.match(
        card.phase,
        ("upcoming", rx.text("On sale from ", card.starts, size="2")),
        ("active", rx.text("Ends ", card.ends, size="2")),
        ("ended", rx.text("Sales closed ", card.ends, " · draw ", card.draw_time, size="2")),
        ("drawn", rx.text("Drawn · sales closed ", card.ends, size="2")),
        rx.text("Ended ", card.ends, size="2"),
    )


def _card(card: CompetitionCard) -> rx.Component:
    return rx.card(
        rx.vstack(
            competition_picture(card.image_url, card.prize, height="11rem"),
            competition_badges(card),
            rx.link(
                rx.heading(card.title, size="5", as_="h2"),
                href=card.url,
                underline="hover",
                color_scheme="gray",
                high_contrast=True,
            ),
            rx.text(rx.text.strong("Prize: "), card.prize, size="2"),
            rx.text(rx.text.strong(card.price), " a ticket", size="3"),
            _when(card),
            sold_progress(card.percent, card.sold_words, card.title),
            _countdown(card),
            rx.button(
                rx.link(
                    rx.cond(card.phase == "active", "Enter now", "See the competition"),
                    href=card.url,
                    underline="none",
                ),
                as_child=True,
                width="100%",
                variant=rx.cond(card.phase == "active", "solid", "soft"),
            ),
            spacing="3",
            width="100%",
            height="100%",
        ),
        role="article",
        aria_label=card.title,
        width="100%",
    )


def _empty() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.icon("trophy", size=32, color=rx.color("accent", 9)),
            rx.text(
                rx.match(
                    S.tab,
                    ("upcoming", "No competitions are announced yet. Come back soon."),
                    ("ended", "No competition is waiting for its draw."),
                    ("drawn", "No competition has been drawn yet."),
                    "No competition is on sale right now. Look at the upcoming ones.",
                )
            ),
            align="center",
            spacing="2",
        ),
        width="100%",
        padding="2rem",
    )


@rx.page(
    route=routes.COMPETITIONS,
    title="Prize competitions · LuckyClub",
    on_load=[SessionState.refresh, CompetitionListState.load],
)
def competitions_page() -> rx.Component:
    return page(
        rx.vstack(
            rx.heading("Prize competitions", size="8", as_="h1"),
            rx.text(
                "Numbered tickets, one skill question, a draw anyone can check. 18+ only. "
                "Every competition also takes free postal entries: ",
                rx.link("read the rules", href=routes.COMPETITION_RULES),
                ".",
                size="3",
                color_scheme="gray",
            ),
            rx.tabs.root(
                rx.tabs.list(*[rx.tabs.trigger(TAB_WORDS[t], value=t) for t in TABS]),
                value=S.tab,
                on_change=S.choose_tab,
                width="100%",
            ),
            rx.text(
                "Times are in UTC, as on every public page; your dashboard uses your timezone.",
                size="1",
                color_scheme="gray",
            ),
            rx.cond(
                S.loaded,
                rx.cond(
                    R.cards.length() > 0,
                    rx.grid(
                        rx.foreach(R.cards, _card),
                        columns=rx.breakpoints(initial="1", sm="2", lg="3"),
                        spacing="4",
                        width="100%",
                    ),
                    _empty(),
                ),
                rx.center(rx.spinner(size="3"), padding="3rem", width="100%"),
            ),
            spacing="4",
            width="100%",
        ),
    )

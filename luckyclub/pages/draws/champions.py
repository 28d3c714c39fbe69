"""Champions (/champions, public): every published winner of every kind of draw, newest first,
each with a link to the draw's page where its proof can be checked."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from luckyclub.components.layout import data_table, page
from luckyclub.core import routes
from luckyclub.core.db import session_scope
from luckyclub.core.words import when
from luckyclub.platform import draw_public
from luckyclub.state.events import event
from luckyclub.state.session import SessionState


@dataclass
class ChampionView:
    name: str
    prize: str
    title: str
    mode: str
    drawn: str
    page_url: str
    override: bool
    details: str = ""  # what an admin wrote about the winner
    media_url: str = ""  # their photo or video, if an admin added one
    is_video: bool = False


class ChampionsState(rx.State):
    champions: rx.Field[list[ChampionView]] = rx.field(default_factory=list)
    loaded: bool = False

    @event
    def load(self):
        with session_scope() as s:
            rows = draw_public.champions(s)
        self.champions = [
            ChampionView(
                name=r.name,
                prize=r.prize,
                title=r.title,
                mode=r.mode_title,
                drawn=when(r.drawn_at),
                page_url=routes.draw_page(r.draw_id),
                override=r.override,
                details=r.details,
                media_url=r.media_url,
                is_video=r.media_type.startswith("video/"),
            )
            for r in rows
        ]
        self.loaded = True


def _row(c: ChampionView) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.hstack(
                    rx.text(c.name, weight="bold"),
                    rx.cond(
                        c.override, rx.badge("Manual override by an admin", color_scheme="orange")
                    ),
                    wrap="wrap",
                    align="center",
                ),
                rx.cond(c.details != "", rx.text(c.details, size="2", white_space="pre-line")),
                rx.cond(
                    c.media_url != "",
                    rx.cond(
                        c.is_video,
                        rx.el.video(
                            src=c.media_url, controls=True, preload="metadata", width="16rem"
                        ),
                        rx.image(src=c.media_url, alt="The winner, " + c.name, max_height="8rem"),
                    ),
                ),
                spacing="1",
            )
        ),
        rx.table.cell(c.prize),
        rx.table.cell(c.title, rx.text(c.mode, size="1", color_scheme="gray")),
        rx.table.cell(c.drawn, white_space="nowrap"),
        rx.table.cell(rx.link("Draw and proof", href=c.page_url)),
    )


@rx.page(
    route=routes.CHAMPIONS,
    title="Champions · LuckyClub",
    on_load=[SessionState.refresh, ChampionsState.load],
)
def champions_page() -> rx.Component:
    S = ChampionsState
    return page(
        rx.vstack(
            rx.heading("Champions", size="8", as_="h1"),
            rx.text(
                "Every winner we have announced, newest first. Each draw's page has its proof: "
                "check any of them yourself.",
                color_scheme="gray",
            ),
            data_table(["Winner", "Prize", "Draw", "Drawn", ""], S.champions, _row),
            rx.cond(
                S.loaded & (S.champions.length() == 0),
                rx.text("No winners announced yet — the first draw is coming."),
            ),
            spacing="4",
            width="100%",
        )
    )

"""The competition rules (/competitions/rules, public): how entry works, the draw, the free postal
route the UK prize-draw rules ask for, refunds and responsible play, in plain words."""

from __future__ import annotations

import reflex as rx

from luckyclub.components.layout import page
from luckyclub.core import routes
from luckyclub.core.settings import get_settings
from luckyclub.state.competitions.competition_views import HOLD_WORDS
from luckyclub.state.events import event
from luckyclub.state.session import SessionState


class RulesState(SessionState):
    postal_address: str = ""

    @event
    def load(self):
        # Read when the page opens, so the operator's setting shows without a rebuild.
        self.postal_address = get_settings().postal_entry_address


def _section(title: str, *children: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.heading(title, size="5", as_="h2"),
        *children,
        spacing="2",
        width="100%",
    )


def _points(*items: str | rx.Component) -> rx.Component:
    return rx.el.ul(
        *[rx.el.li(item, style={"marginBottom": "0.35rem"}) for item in items],
        style={"paddingLeft": "1.25rem", "listStyleType": "disc"},  # the CSS reset removes bullets
    )


@rx.page(
    route=routes.COMPETITION_RULES,
    title="Competition rules · LuckyClub",
    on_load=[SessionState.refresh, RulesState.load],
)
def competition_rules_page() -> rx.Component:
    return page(
        rx.vstack(
            rx.heading("Competition rules", size="8", as_="h1"),
            rx.text(
                "These rules apply to every prize competition on LuckyClub, with the details "
                "(price, number of tickets, dates, the question) shown on each competition's page.",
                color_scheme="gray",
            ),
            _section(
                "Who may enter",
                _points(
                    "You must be 18 or over and have a LuckyClub account with a confirmed email "
                    "address to buy tickets. Free postal entry is open to anyone 18 or over.",
                    "Each competition sets how many tickets one person may have, paid and postal "
                    "together.",
                ),
            ),
            _section(
                "How entry works",
                _points(
                    "Answer the competition's question. It is a real test of skill or knowledge: "
                    "a wrong answer enters nothing and you are not charged.",
                    "Choose how many tickets you want and pay through Stripe's secure checkout.",
                    f"While you pay, your tickets are held for you for {HOLD_WORDS}. If you "
                    "cancel, or do not finish in time, they are released for others to buy.",
                    "Once your payment arrives your tickets are numbered, from 1 upwards in the "
                    "order they are paid for, with no gaps. You see your numbers on the "
                    "competition's page and by email.",
                    "Sales close at the end date shown. After that no ticket is sold and no entry "
                    "is accepted.",
                ),
            ),
            _section(
                "Free postal entry",
                rx.text(
                    "You can enter any competition free of charge by post, with the same chance "
                    "of winning as a paid ticket. Send a postcard (one entry per postcard) to:"
                ),
                rx.card(
                    rx.text(RulesState.postal_address, weight="bold", white_space="pre-wrap"),
                    id="postal-address",
                    width="100%",
                ),
                _points(
                    "Write your full name and postal address, the email address of your "
                    "LuckyClub account if you have one (so the ticket shows on your account), "
                    "the name of the competition, and your answer to its question.",
                    "Entries that arrive before the competition's end date are entered; late ones "
                    "are not. A postcard with a wrong answer is not entered.",
                    "Each postcard that is entered gets one ticket, numbered like a paid one, and "
                    "counts towards the per-person limit.",
                    "Postage is your only cost. We never ask for payment for a postal entry.",
                ),
            ),
            _section(
                "The draw",
                _points(
                    "At the draw time every valid ticket has exactly the same chance. Refunded or "
                    "void tickets are left out.",
                    "The draw can be checked by anyone: before any ticket is sold we publish a "
                    "fingerprint of the draw's secret seed; when sales close the list of tickets "
                    "is frozen and published; the draw uses public randomness nobody knew in "
                    "advance; afterwards the seed is revealed so anyone can re-run the draw.",
                    "Each competition's page links to its draw's public page (the commitment, the "
                    "frozen tickets and the proof) and to the live draw, which anyone can watch.",
                    "The winning ticket is shown on the competition's page. The winner is "
                    "contacted by email; their name appears only if they agree.",
                ),
                rx.link("See past winners on the Champions page", href=routes.CHAMPIONS),
            ),
            _section(
                "Refunds",
                _points(
                    "If a payment arrives too late to become tickets (the competition sold out or "
                    "closed meanwhile), it is refunded in full automatically.",
                    "If a competition is cancelled, every paid order is refunded in full.",
                    "If a competition does not reach its minimum number of tickets, it is either "
                    "extended or cancelled and refunded; it is never drawn short.",
                ),
            ),
            _section(
                "Responsible play",
                _points(
                    "Competitions are for adults only: 18+.",
                    rx.fragment(
                        "You can set a monthly spending limit, or take a break of 6 months or "
                        "more (self-exclusion), on ",
                        rx.link("your profile", href=routes.PROFILE),
                        ". The checkout enforces both.",
                    ),
                    "Only spend what you can afford to lose. If gambling is a problem for you or "
                    "someone you know, GamCare (0808 8020 133) offers free, confidential help.",
                ),
            ),
            _section(
                "Prize competitions and the law",
                rx.text(
                    "In the UK, a competition whose result depends on skill, or which offers a "
                    "free entry route as well as paid ones, is a prize competition or free draw "
                    "rather than a lottery under the Gambling Act 2005. That is "
                    "why every competition has a question and a free postal route, run to the "
                    "same rules and with the same chance as paid entries.",
                    size="2",
                ),
            ),
            spacing="5",
            width="100%",
            max_width="48rem",
        ),
    )

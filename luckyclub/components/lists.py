"""Pieces the signup list pages share: the lottery's banner and a list's card."""

from __future__ import annotations

import reflex as rx

from luckyclub.components.layout import link_button, status_badge
from luckyclub.components.live import countdown

RESULTS_WHEN = "results within a few minutes after"


def lottery_banner(S) -> rx.Component:
    """Where a lottery list's lottery stands; S is a state with is_lottery, phase, lottery_at,
    lottery_ts, completed_at, draw_url, live_url, refs (the viewer's entrant refs) and an `ask`
    handler."""
    return rx.cond(
        S.is_lottery,
        rx.match(
            S.phase,
            (
                "open",
                rx.callout(
                    rx.vstack(
                        rx.text("🎲 This is a lottery list", weight="bold", size="4"),
                        rx.text("Lottery runs on ", S.lottery_at, f" — {RESULTS_WHEN}."),
                        rx.text(
                            "Enter the family members who want a spot; the lottery shares the "
                            "spots fairly and everyone is emailed the result.",
                            size="2",
                        ),
                        countdown(
                            S.lottery_ts,
                            "Time until the lottery",
                            zero_text="any moment now",
                            on_zero=S.ask,
                        ),
                        spacing="2",
                    ),
                    icon="dices",
                    color_scheme="blue",
                    width="100%",
                    id="lottery-banner",
                ),
            ),
            (
                "running",
                rx.callout(
                    rx.text(
                        rx.text.strong("⏳ Lottery in progress. "),
                        "Please check back in a few minutes.",
                    ),
                    icon="hourglass",
                    color_scheme="amber",
                    width="100%",
                    role="status",
                    id="lottery-banner",
                ),
            ),
            (
                "done",
                rx.callout(
                    rx.vstack(
                        rx.text(rx.text.strong("Lottery completed on "), S.completed_at, "."),
                        rx.text(
                            "What is left is first come, first served. Winners have 24 hours to "
                            "accept each spot.",
                            size="2",
                        ),
                        rx.cond(
                            S.draw_url != "",
                            rx.hstack(
                                link_button("See the proof", S.draw_url, size="2"),
                                link_button("Watch the draw", S.live_url, size="2", variant="soft"),
                                link_button("Check my entry", S.draw_url, size="2", variant="soft"),
                                wrap="wrap",
                                spacing="2",
                            ),
                        ),
                        _entrant_refs(S),
                        spacing="2",
                    ),
                    icon="circle_check",
                    color_scheme="green",
                    width="100%",
                    id="lottery-banner",
                ),
            ),
            rx.fragment(),
        ),
    )


def _entrant_refs(S) -> rx.Component:
    """The viewer's entered family members' refs: what Check my entry on the draw's page takes,
    and what the published snapshot lists instead of names."""
    return rx.cond(
        S.refs.length() > 0,
        rx.vstack(
            rx.text("Your entrant refs, to check on the draw's page:", size="2"),
            rx.foreach(
                S.refs,
                lambda r: rx.text(r.member, ": ", rx.code(r.ref, size="1"), size="2"),
            ),
            spacing="1",
            id="entrant-refs",
        ),
    )


def list_status(status) -> rx.Component:
    return rx.cond(status != "open", status_badge(status))

"""Club statistics for admins: entries per day by source, active members, proofs waiting."""

from __future__ import annotations

from datetime import timedelta

import reflex as rx

from luckyclub.club import ledger, membership, proofs
from luckyclub.components.admin_page import admin_page
from luckyclub.core import routes
from luckyclub.models import LedgerSource, utcnow
from luckyclub.state.admin import AdminPageState
from luckyclub.state.events import event
from luckyclub.state.session import SessionState

DAYS = 30
# The chart's series are keyed by the words its legend and tooltip show.
SOURCES = [
    (ledger.SOURCE_WORDS[source], colour)
    for source, colour in [
        (LedgerSource.BASE, "teal"),
        (LedgerSource.PROOF, "violet"),
        (LedgerSource.BONUS, "green"),
        (LedgerSource.ADMIN, "amber"),
        (LedgerSource.CARRY_OVER, "blue"),
        (LedgerSource.CORRECTION, "red"),
    ]
]


class StatsState(AdminPageState):
    allowed: bool = False
    error: str = ""
    notice: str = ""
    per_day: list[dict[str, int | str]] = []
    active_members: int = 0
    pending_proofs: int = 0
    entries_30_days: int = 0

    def _fill(self, s) -> None:
        today = utcnow().date()
        # entries per day (oldest first) and source words
        days: dict[str, dict[str, int]] = {
            (today - timedelta(days=n)).isoformat(): {} for n in range(DAYS - 1, -1, -1)
        }
        for day, source, total in ledger.entries_per_day(s, since=today - timedelta(days=DAYS - 1)):
            words = ledger.SOURCE_WORDS.get(source, source)
            if day in days:
                days[day][words] = days[day].get(words, 0) + total
        self.per_day = [
            {"day": day[5:], **{src: counts.get(src, 0) for src, _ in SOURCES}}
            for day, counts in days.items()
        ]
        self.entries_30_days = sum(int(v) for d in self.per_day for k, v in d.items() if k != "day")
        self.active_members = membership.active_count(s)
        self.pending_proofs = proofs.pending_count(s)

    @event
    def load(self):
        self._admin_load()


def _figure(label: str, value) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(label, size="2", color_scheme="gray"), rx.text(value, size="8", weight="bold")
        ),
        role="group",
        aria_label=label,
    )


@rx.page(
    route=routes.ADMIN_STATS,
    title="Stats · LuckyClub admin",
    on_load=[SessionState.require_sign_in, StatsState.load],
)
def admin_stats_page() -> rx.Component:
    return admin_page(
        "Club statistics",
        StatsState,
        rx.grid(
            _figure("Active members", StatsState.active_members),
            _figure("Proofs waiting for review", StatsState.pending_proofs),
            _figure(f"Entries in the last {DAYS} days", StatsState.entries_30_days),
            columns=rx.breakpoints(initial="1", sm="3"),
            spacing="3",
            width="100%",
        ),
        rx.card(
            rx.vstack(
                rx.heading(
                    f"Entries per day by source (UTC, last {DAYS} days)", size="4", as_="h2"
                ),
                rx.text("Entries removed by a correction show below the line.", size="2"),
                rx.recharts.bar_chart(
                    *[
                        rx.recharts.bar(
                            data_key=source,
                            stack_id="entries",
                            fill=rx.color(colour, 9),
                            name=source,
                        )
                        for source, colour in SOURCES
                    ],
                    rx.recharts.reference_line(y=0, stroke=rx.color("gray", 8)),
                    rx.recharts.x_axis(data_key="day"),
                    rx.recharts.y_axis(),
                    rx.recharts.legend(),
                    rx.recharts.graphing_tooltip(),
                    data=StatsState.per_day,
                    # Removals (corrections) stack below zero rather than on top of the credits;
                    # Recharts' "sign" offset, which Reflex's typed prop does not list.
                    custom_attrs={"stackOffset": "sign"},
                    width="100%",
                    height=320,
                ),
                width="100%",
            ),
            width="100%",
        ),
    )

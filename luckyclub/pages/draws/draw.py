"""A draw's public page (/draws/<id>, no sign-in): what was promised, what was frozen, what was
drawn, and tools to check it — your own entry's Merkle proof and a re-run of the whole draw."""

from __future__ import annotations

import reflex as rx

from luckyclub.components.download import download_link
from luckyclub.components.layout import data_table, field, link_button, page, status_badge
from luckyclub.core import routes
from luckyclub.core.db import session_scope
from luckyclub.platform import draw_kinds, draw_public
from luckyclub.state.draws.draw_views import (
    DrawSummary,
    ProofLink,
    WinnerRow,
    reroll_proofs,
    summary,
    winner_rows,
)
from luckyclub.state.events import event, run_in_thread
from luckyclub.state.session import SessionState, client_ip_of


def short_hash(value: str) -> str:
    return f"{value[:10]}…{value[-6:]}" if len(value) > 20 else value


class DrawPageState(rx.State):
    loaded: bool = False
    missing: bool = False
    draw: DrawSummary = DrawSummary()
    winners: list[WinnerRow] = []
    reroll_links: list[ProofLink] = []
    check_done: bool = False
    check_found: bool = False
    check_verified: bool = False
    check_message: str = ""
    check_line: str = ""
    check_hashes: rx.Field[list[str]] = rx.field(default_factory=list)
    verifying: bool = False
    verify_done: bool = False
    verify_ok: bool = False
    verify_message: str = ""
    verify_differences: list[str] = []

    @event
    def load(self):
        self._reset_checks()
        draw_id = routes.id_from_path(self.router.url.path)
        with session_scope() as s:
            view = draw_public.view(s, draw_id) if draw_id is not None else None
        self.loaded, self.missing = True, view is None
        if view is None:
            self.draw, self.winners, self.reroll_links = DrawSummary(), [], []
            return
        self.draw = summary(view)
        self.winners = winner_rows(view)
        self.reroll_links = reroll_proofs(view)

    def _reset_checks(self) -> None:
        self.check_done = self.check_found = self.check_verified = False
        self.check_message, self.check_line, self.check_hashes = "", "", []
        self.verifying = self.verify_done = self.verify_ok = False
        self.verify_message, self.verify_differences = "", []

    @event
    async def check_my_entry(self, form: dict):
        """A draw's first check reads its whole snapshot: in a thread, off the event loop."""
        ref, draw_id, client_ip = (
            str(form.get("entrant_ref", ""))[:200],
            self.draw.id,
            client_ip_of(self),
        )

        def check() -> draw_public.EntryCheck:
            with session_scope() as s:
                return draw_public.check_entry(s, draw_id, ref, client_ip=client_ip)

        result = await run_in_thread(check)
        self.check_done = True
        self.check_found, self.check_verified = result.found, result.verified
        self.check_message, self.check_line = result.message, result.line
        self.check_hashes = [short_hash(h) for h in result.path]

    @event(background=True)
    async def rerun_verification(self):
        """Re-run the published proof here on the server: the same check anyone can run at home."""
        async with self:
            if self.verifying or not self.draw.is_drawn:
                return
            self.verifying, self.verify_done = True, False
            draw_id = self.draw.id

        def run() -> tuple[bool, str, list[str]]:
            try:
                with session_scope() as s:
                    report = draw_public.verify_draw(s, draw_id)
            except draw_public.ProofNotReady as exc:
                return False, str(exc), []
            return report.ok, "", list(report.differences)

        ok, message, differences = await run_in_thread(run)
        async with self:
            self.verifying, self.verify_done = False, True
            self.verify_ok, self.verify_message = ok, message
            self.verify_differences = differences


# ---- the page ----------------------------------------------------------------------------------

S = DrawPageState


def notice(icon: str, colour, *children: rx.Component) -> rx.Component:
    """A callout holding several lines (rx.callout itself takes one text)."""
    return rx.callout.root(
        rx.callout.icon(rx.icon(icon)),
        rx.vstack(*children, spacing="1"),
        color_scheme=colour,
        role="status",
        width="100%",
    )


def hash_row(label: str, value) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="2", weight="medium"),
        rx.code(value, size="2", style={"wordBreak": "break-all"}, variant="ghost"),
        spacing="1",
        width="100%",
    )


def _header() -> rx.Component:
    return rx.vstack(
        rx.text("Public draw", size="2", color_scheme="gray"),
        rx.heading(S.draw.title, size="8", as_="h1"),
        rx.text(rx.text.strong("Prize: "), S.draw.prize),
        rx.hstack(
            status_badge(S.draw.status, S.draw.status_words),
            rx.text("Draw time: ", S.draw.draw_at, size="2"),
            wrap="wrap",
            align="center",
        ),
        rx.hstack(
            link_button("Watch the live draw", S.draw.live_url, variant="soft"),
            wrap="wrap",
        ),
        spacing="2",
        width="100%",
    )


def _commitment_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("1. The promise", size="4", as_="h2"),
            rx.text(
                "Before anyone entered, we published the SHA-256 fingerprint of a secret seed. "
                "The seed is revealed after the draw: anyone can check it matches.",
                size="2",
            ),
            hash_row("Commitment (SHA-256 of the seed)", S.draw.commitment),
            rx.cond(S.draw.seed != "", hash_row("Seed (revealed)", S.draw.seed)),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _snapshot_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("2. The frozen entries", size="4", as_="h2"),
            rx.cond(
                S.draw.closed,
                rx.vstack(
                    rx.text(
                        "Entries closed ",
                        S.draw.closed_at,
                        ": ",
                        S.draw.entrants_words,
                        " holding ",
                        S.draw.entries_words,
                        ".",
                        size="2",
                    ),
                    hash_row("Snapshot digest (SHA-256)", S.draw.snapshot_digest),
                    hash_row("Merkle root", S.draw.merkle_root),
                    download_link("Download the snapshot", S.draw.snapshot_url, size="2"),
                    rx.cond(
                        S.draw.use_beacon,
                        rx.text(
                            f"Bound to drand quicknet round {S.draw.beacon_round}, published ",
                            S.draw.beacon_at,
                            " — after the close, so nobody could know it in advance.",
                            size="2",
                        ),
                        rx.text(
                            "Drawn without public randomness: ", S.draw.no_beacon_reason, size="2"
                        ),
                    ),
                    spacing="2",
                    width="100%",
                ),
                rx.text(
                    "Open for entries: ",
                    S.draw.entrants_words,
                    " holding ",
                    S.draw.entries_words,
                    " so far. The list is frozen and published at ",
                    S.draw.draw_at,
                    ".",
                    size="2",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _winner_row(w: WinnerRow) -> rx.Component:
    struck = rx.cond(w.replaced, "line-through", "none")
    return rx.table.row(
        rx.table.cell(w.position, rx.cond(w.reroll > 0, f" (reroll {w.reroll})", "")),
        rx.table.cell(rx.text(w.name, text_decoration=struck)),
        rx.table.cell(rx.text(w.ticket, text_decoration=struck)),
        rx.table.cell(rx.code(w.entrant_ref, size="1", variant="ghost")),
        rx.table.cell(rx.cond(w.replaced, "Replaced: " + w.replaced_reason, "Winner")),
    )


def _result_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("3. The result", size="4", as_="h2"),
            rx.cond(
                S.draw.is_void,
                rx.callout(
                    "This draw is void: " + S.draw.reason,
                    icon="circle_x",
                    color_scheme="red",
                    width="100%",
                ),
                rx.cond(
                    S.draw.is_drawn,
                    _winners(),
                    rx.cond(
                        S.draw.status == "waiting_for_beacon",
                        notice(
                            "hourglass",
                            "amber",
                            rx.text(S.draw.waiting_words),
                        ),
                        rx.text("Not drawn yet. The draw runs at ", S.draw.draw_at, ".", size="2"),
                    ),
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _winners() -> rx.Component:
    return rx.vstack(
        rx.text("Drawn ", S.draw.drawn_at, ".", size="2"),
        rx.cond(
            S.draw.is_override,
            rx.callout(
                "Manual override by an admin — not a random draw. Reason: " + S.draw.reason,
                icon="shield_alert",
                color_scheme="orange",
                width="100%",
            ),
        ),
        _winners_table(),
        rx.cond(S.draw.more_winners_words != "", rx.text(S.draw.more_winners_words, size="2")),
        rx.hstack(
            download_link("Download the proof (JSON)", S.draw.proof_url, size="2"),
            rx.foreach(S.reroll_links, lambda p: download_link(p.label, p.href, size="2")),
            wrap="wrap",
            spacing="4",
        ),
        spacing="3",
        width="100%",
    )


def _winners_table_for(kind: draw_kinds.Kind) -> rx.Component:
    headers = ["Place", "Name", kind.column, "Entrant ref", "Status"]
    return data_table(headers, S.winners, _winner_row)


def _winners_table() -> rx.Component:
    """The column names are in the phone layout's CSS, so each kind has its own table."""
    tables = [(kind.name, _winners_table_for(kind)) for kind in draw_kinds.KINDS.values()]
    return rx.match(S.draw.kind, *tables, _winners_table_for(draw_kinds.WEIGHTED_KIND))


def _check_entry_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Check my entry", size="4", as_="h2"),
            rx.text(S.draw.check_hint, size="2"),
            rx.form(
                rx.vstack(
                    field(
                        S.draw.check_label,
                        "entrant_ref",
                        placeholder=S.draw.check_placeholder,
                        auto_complete="off",
                        input_mode=S.draw.check_input_mode,
                        spell_check=False,
                    ),
                    rx.button("Check my entry", type="submit"),
                    align="start",
                    width="100%",
                ),
                on_submit=S.check_my_entry,
                width="100%",
            ),
            rx.cond(
                S.check_done,
                notice(
                    "info",
                    rx.cond(S.check_verified, "green", "amber"),
                    rx.text(S.check_message),
                    rx.cond(
                        S.check_found,
                        rx.vstack(
                            rx.code(S.check_line, size="1", variant="ghost"),
                            rx.text("Proof path (", S.check_hashes.length(), " hashes):", size="1"),
                            rx.flex(
                                rx.foreach(
                                    S.check_hashes,
                                    lambda h: rx.code(h, size="1", variant="soft"),
                                ),
                                wrap="wrap",
                                gap="1",
                            ),
                            spacing="1",
                        ),
                    ),
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _verify_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Verify the draw", size="4", as_="h2"),
            rx.text(
                "Re-run the whole draw from its published proof: the seed against the commitment, "
                "the snapshot against its digest and root, the beacon's signature, the winners.",
                size="2",
            ),
            rx.text(
                "To check it on your own computer, download the proof and run ",
                rx.code("python -m luckyclub verify <proof URL>"),
                "; docs/fairness.md explains every step.",
                size="2",
            ),
            rx.button(
                "Re-run the verification",
                on_click=S.rerun_verification,
                loading=S.verifying,
                disabled=~S.draw.is_drawn,
            ),
            rx.cond(
                S.verify_done,
                rx.cond(
                    S.verify_ok,
                    rx.callout("Verified", icon="badge_check", color_scheme="green", role="status"),
                    notice(
                        "triangle_alert",
                        "red",
                        rx.text(
                            rx.cond(S.verify_message != "", S.verify_message, "Differences found:")
                        ),
                        rx.el.ul(rx.foreach(S.verify_differences, lambda d: rx.el.li(d))),
                    ),
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _missing() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon("search_x", size=48, color=rx.color("accent", 9)),
            rx.heading("There is no such draw", size="7", as_="h1"),
            rx.text("Check the link: the number at the end of the address names the draw."),
            link_button("See the champions", routes.CHAMPIONS),
            align="center",
            spacing="3",
        ),
        padding_y="4rem",
    )


@rx.page(
    route=routes.DRAW,
    title="Draw · LuckyClub",
    on_load=[SessionState.refresh, DrawPageState.load],
)
def draw_page() -> rx.Component:
    return page(
        rx.cond(
            S.loaded,
            rx.cond(
                S.missing,
                _missing(),
                rx.vstack(
                    _header(),
                    _result_card(),
                    rx.grid(
                        _commitment_card(),
                        _snapshot_card(),
                        columns=rx.breakpoints(initial="1", md="2"),
                        spacing="4",
                        width="100%",
                    ),
                    rx.grid(
                        _check_entry_card(),
                        _verify_card(),
                        columns=rx.breakpoints(initial="1", md="2"),
                        spacing="4",
                        width="100%",
                    ),
                    spacing="5",
                    width="100%",
                ),
            ),
            rx.center(rx.spinner(size="3"), padding="4rem"),
        )
    )

"""One competition in the admin console: edit it, publish or hide it, its pictures, postal
entries, its draw (Perform draw now, a manual winner), the draw's history with its proofs, and its
orders with the CSV export.

What it loads and does lives in state/competitions/admin_competition.py; this module lays it out.
"""

from __future__ import annotations

import reflex as rx

from luckyclub.competitions import pictures
from luckyclub.components.admin_page import admin_page
from luckyclub.components.competition_form import (
    cancel_dialog,
    competition_form,
    extend_dialog,
)
from luckyclub.components.download import download_link
from luckyclub.components.layout import fact, field, reason_dialog, status_badge
from luckyclub.components.orders import orders_table
from luckyclub.core import routes
from luckyclub.state.competitions.admin_competition import (
    IMAGES_UPLOAD_ID,
    CompetitionAdminState,
)
from luckyclub.state.session import SessionState

S = CompetitionAdminState


def _delete_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button("Delete", size="2", color_scheme="red", variant="soft")),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete " + S.facts.title + "?"),
            rx.alert_dialog.description(
                "The draft, its draw and its pictures are deleted for good. Only a draft nobody "
                "ever ordered from can be deleted."
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Keep it", variant="soft")),
                rx.alert_dialog.action(
                    rx.button("Delete competition", color_scheme="red", on_click=S.delete)
                ),
                justify="end",
                spacing="3",
                margin_top="1rem",
            ),
        ),
    )


def _summary() -> rx.Component:
    F = S.facts
    return rx.card(
        rx.vstack(
            rx.hstack(
                status_badge(F.phase, F.phase_words),
                rx.cond(F.featured, rx.badge("Featured", color_scheme="purple")),
                rx.text(F.prize, weight="medium"),
                wrap="wrap",
                align="center",
            ),
            rx.hstack(
                rx.text(F.sold_count, " / ", F.ticket_total, " sold", size="2"),
                rx.cond(F.held_count > 0, rx.text(" · ", F.held_count, " in checkouts", size="2")),
                rx.cond(F.minimum > 0, rx.text(" · minimum ", F.minimum, size="2")),
                wrap="wrap",
            ),
            rx.progress(value=F.percent, max=100, width="100%"),
            fact("Price", F.price),
            fact("On sale", F.starts, " → ", F.ends),
            fact("Draw", F.draws_at),
            rx.cond(F.cancel_reason != "", fact("Cancelled", F.cancel_reason)),
            rx.cond(
                F.below_minimum,
                rx.callout(
                    "Sales ended below the minimum. Extend the competition or cancel it and "
                    "refund everyone: the draw waits for your decision.",
                    icon="triangle_alert",
                    color_scheme="orange",
                    width="100%",
                ),
            ),
            rx.hstack(
                rx.cond(F.is_draft, rx.button("Activate", size="2", on_click=S.activate)),
                rx.cond(
                    F.can_deactivate,
                    rx.button("Deactivate", size="2", variant="soft", on_click=S.deactivate),
                ),
                rx.button(
                    rx.cond(F.featured, "Unfeature", "Feature"),
                    size="2",
                    variant="soft",
                    on_click=S.toggle_featured,
                ),
                rx.button("Duplicate", size="2", variant="soft", on_click=S.duplicate),
                rx.cond(F.is_active, extend_dialog(F.id, F.title, S.extend)),
                rx.cond(F.is_draft, _delete_dialog()),
                rx.cond(
                    F.can_cancel,
                    rx.box(cancel_dialog(F.id, F.title, S.cancel, "Cancel and refund")),
                ),
                rx.cond(F.is_draft, rx.fragment(), rx.link("Public page", href=F.public_url)),
                wrap="wrap",
                spacing="2",
                align="center",
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def _editor() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Edit", size="5", as_="h2"),
            competition_form(S.editing, "Save changes", S.save, S.form_key),
            width="100%",
        ),
        width="100%",
    )


def _pictures() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Pictures", size="5", as_="h2"),
            rx.flex(
                rx.foreach(
                    S.images,
                    lambda image: rx.vstack(
                        rx.image(src=image.url, alt="Prize picture", height="6rem"),
                        rx.button(
                            "Remove",
                            size="1",
                            variant="soft",
                            color_scheme="red",
                            on_click=S.remove_image(image.name),
                            aria_label="Remove picture " + image.name,
                        ),
                        spacing="1",
                        align="center",
                    ),
                ),
                wrap="wrap",
                gap="3",
            ),
            rx.cond(S.images.length() == 0, rx.text("No pictures yet.", size="2")),
            rx.upload.root(
                rx.button("Choose pictures", type="button", variant="soft", size="2"),
                rx.foreach(rx.selected_files(IMAGES_UPLOAD_ID), lambda f: rx.text(f, size="1")),
                id=IMAGES_UPLOAD_ID,
                multiple=True,
                accept={
                    "image/png": [".png"],
                    "image/jpeg": [".jpg", ".jpeg"],
                    "image/webp": [".webp"],
                },
                aria_label="Prize picture files",
            ),
            rx.button(
                "Upload pictures",
                size="2",
                on_click=S.upload_images(rx.upload_files(upload_id=IMAGES_UPLOAD_ID)),
            ),
            rx.text(
                f"PNG, JPEG or WebP, up to {pictures.MAX_IMAGES} pictures; each is checked "
                "and re-encoded without its metadata.",
                size="1",
                color_scheme="gray",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _postal() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Record a postal entry", size="5", as_="h2"),
            rx.text(
                "A free entry by post gets one ticket, numbered like a paid one. A wrong answer "
                "is not entered.",
                size="2",
                color_scheme="gray",
            ),
            rx.fragment(
                rx.form(
                    rx.vstack(
                        field("Name", "postal_name", required=True),
                        rx.vstack(
                            rx.el.label(
                                "Postal address",
                                html_for="postal_address",
                                style={"fontWeight": "500", "fontSize": "0.9rem"},
                            ),
                            rx.text_area(
                                id="postal_address",
                                name="postal_address",
                                required=True,
                                rows="3",
                                width="100%",
                            ),
                            spacing="1",
                            width="100%",
                        ),
                        rx.vstack(
                            rx.el.label(
                                "Answer",
                                html_for="postal_answer",
                                style={"fontWeight": "500", "fontSize": "0.9rem"},
                            ),
                            rx.el.select(
                                rx.foreach(S.choices, lambda c: rx.el.option(c, value=c)),
                                id="postal_answer",
                                name="postal_answer",
                                style={"padding": "0.5rem", "width": "100%"},
                            ),
                            spacing="1",
                            width="100%",
                        ),
                        field("Member email (optional)", "postal_email", type="email"),
                        rx.button("Record postal entry", type="submit", size="3"),
                        spacing="3",
                        width="100%",
                        align="stretch",
                    ),
                    on_submit=S.record_postal,
                    width="100%",
                ),
                key="postal-" + S.postal_key.to_string(),
            ),
            width="100%",
        ),
        width="100%",
    )


def _manual_winner_dialog() -> rx.Component:
    return reason_dialog(
        button="Record a manual winner",
        title="Record the winner of an external live draw",
        explanation=(
            "Use this when the winner was drawn outside the app, e.g. live on stream. The "
            "ticket is published as a MANUAL WINNER chosen by an admin, with your reason, on the "
            "public draw page and in its proof — never as a random draw. Only a ticket in the "
            "draw (sold, not refunded) can win."
        ),
        record_field="draw_id",
        record_id=S.draw.id,
        confirm="Record manual winner",
        on_submit=S.manual_winner,
        fields=(
            rx.el.label("Winning ticket number", html_for="manual_ticket"),
            rx.input(id="manual_ticket", name="manual_ticket", required=True, input_mode="numeric"),
        ),
    )


def _skip_beacon_dialog() -> rx.Component:
    return reason_dialog(
        button="Draw without beacon",
        title="Draw without public randomness",
        explanation=(
            "Use this only when no drand relay answers. The draw then runs on the committed seed "
            "alone, and its public proof shows your reason."
        ),
        record_field="draw_id",
        record_id=S.draw.id,
        confirm="Switch off the beacon and draw",
        on_submit=S.draw_without_beacon,
    )


def _draw_panel() -> rx.Component:
    D = S.draw
    busy = (S.running.length() > 0) | D.running
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Draw", size="5", as_="h2"),
                status_badge(D.status, D.status_words),
                align="center",
                wrap="wrap",
            ),
            fact("Draw time", D.draw_at),
            fact(
                "Commitment (SHA-256 of the secret seed)",
                rx.code(D.commitment, word_break="break-all"),
            ),
            rx.cond(D.entry_count > 0, fact("Tickets in the draw", D.entry_count)),
            rx.foreach(S.winners, lambda w: rx.text(w, size="2", weight="medium")),
            rx.cond(
                D.can_draw,
                rx.hstack(
                    rx.button(
                        rx.cond(busy, "Drawing…", "Perform draw now"),
                        size="2",
                        disabled=busy,
                        loading=busy,
                        on_click=S.draw_now,
                    ),
                    rx.cond(D.can_skip_beacon, _skip_beacon_dialog()),
                    _manual_winner_dialog(),
                    wrap="wrap",
                    spacing="2",
                ),
            ),
            rx.cond(
                D.waiting_words != "",
                rx.callout(D.waiting_words, icon="clock", color_scheme="orange", role="alert"),
            ),
            rx.text(
                "The draw runs by itself at the draw time. Perform draw now works once sales "
                "have closed; to call the competition off, use Cancel and refund.",
                size="1",
                color_scheme="gray",
            ),
            rx.hstack(
                rx.link("Public draw page", href=D.page_url, size="2"),
                rx.foreach(S.proofs, lambda p: download_link(p.label, p.url, size="2")),
                wrap="wrap",
                spacing="3",
            ),
            rx.cond(
                D.is_drawn,
                rx.vstack(
                    rx.el.label(
                        "Announcement to copy",
                        html_for="competition_announcement",
                        style={"fontWeight": "500"},
                    ),
                    rx.text_area(
                        id="competition_announcement",
                        value=D.announcement,
                        read_only=True,
                        rows="5",
                        width="100%",
                    ),
                    rx.link("Manage winners", href=routes.ADMIN_WINNERS, size="2"),
                    spacing="1",
                    width="100%",
                ),
            ),
            rx.heading("Draw history", size="3", as_="h3"),
            rx.el.ol(
                rx.foreach(
                    S.history,
                    lambda h: rx.el.li(
                        rx.text(rx.text.strong(h.when), " — ", h.what, size="2"),
                    ),
                ),
                # Digests and emails are long unbroken words: let them wrap rather than overflow.
                style={"paddingLeft": "1.25rem", "overflowWrap": "anywhere", "width": "100%"},
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        min_width="0",
    )


def _orders() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Orders", size="5", as_="h2"),
                rx.spacer(),
                download_link("Export tickets (CSV)", S.facts.export_url),
                rx.link("Search and refund orders", href=routes.ADMIN_TICKETS, size="2"),
                width="100%",
                wrap="wrap",
                align="center",
                spacing="3",
            ),
            orders_table(S.orders, show_competition=False),
            rx.cond(S.orders.length() == 0, rx.text("No orders yet.", size="2")),
            width="100%",
        ),
        width="100%",
    )


@rx.page(
    route=routes.ADMIN_COMPETITION,
    title="Competition · LuckyClub admin",
    on_load=[SessionState.require_sign_in, CompetitionAdminState.load],
)
def admin_competition_page() -> rx.Component:
    return admin_page(
        "Competition",
        CompetitionAdminState,
        rx.cond(
            S.found,
            rx.vstack(
                rx.heading(S.facts.title, size="6", as_="h2"),
                rx.link("← All competitions", href=routes.ADMIN_COMPETITIONS, size="2"),
                _summary(),
                rx.grid(
                    # min_width 0: a grid column otherwise grows to its longest word (a digest)
                    rx.vstack(_editor(), _pictures(), width="100%", spacing="4", min_width="0"),
                    rx.vstack(_draw_panel(), _postal(), width="100%", spacing="4", min_width="0"),
                    columns=rx.breakpoints(initial="1", md="2"),
                    spacing="4",
                    width="100%",
                ),
                _orders(),
                spacing="4",
                width="100%",
            ),
            rx.text(
                "That competition does not exist. ",
                rx.link("See all competitions", href=routes.ADMIN_COMPETITIONS),
            ),
        ),
    )

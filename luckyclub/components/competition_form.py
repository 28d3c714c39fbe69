"""The admin's competition form and its Extend and Cancel dialogs, shared by the competitions
list and a competition's own page."""

from __future__ import annotations

import reflex as rx

from luckyclub.components.layout import field, reason_dialog
from luckyclub.state.session import SessionState


def _text_area(label: str, name: str, default_value, **props) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=name, style={"fontWeight": "500", "fontSize": "0.9rem"}),
        rx.text_area(id=name, name=name, default_value=default_value, width="100%", **props),
        spacing="1",
        width="100%",
    )


def _grid(*children: rx.Component, columns: str = "3") -> rx.Component:
    return rx.grid(
        *children,
        columns=rx.breakpoints(initial="1", sm=columns),
        spacing="3",
        width="100%",
    )


def competition_form(values, submit: str, on_submit, form_key) -> rx.Component:
    """The competition form; a new form_key after saving clears what the admin typed."""
    return rx.fragment(
        rx.form(
            rx.vstack(
                *competition_form_fields(values),
                rx.button(submit, type="submit", size="3"),
                spacing="3",
                width="100%",
                align="stretch",
            ),
            on_submit=on_submit,
            width="100%",
        ),
        key=form_key.to_string(),
    )


def competition_form_fields(E) -> list[rx.Component]:
    """The labelled fields of a competition; `E` is a CompetitionForm var. Locked fields are
    read-only once tickets are sold (the service refuses to change them anyway)."""
    tz = SessionState.user_timezone
    return [
        field("Title", "title", default_value=E.title, required=True),
        field("Prize", "prize", default_value=E.prize, required=True),
        _text_area("Description", "description", E.description, rows="4"),
        _grid(
            field(
                "Ticket price (£)",
                "ticket_price",
                default_value=E.ticket_price,
                placeholder="2.50",
                input_mode="decimal",
                required=True,
                read_only=E.locked,
            ),
            field(
                "Number of tickets",
                "max_tickets",
                type="number",
                default_value=E.max_tickets,
                min=1,
                required=True,
            ),
            field(
                "Per-person limit",
                "per_person_limit",
                type="number",
                default_value=E.per_person_limit,
                min=1,
            ),
            field(
                "Minimum tickets (0 = none)",
                "min_tickets",
                type="number",
                default_value=E.min_tickets,
                min=0,
            ),
            field(
                "Number of winners",
                "winners",
                type="number",
                default_value=E.winners,
                min=1,
                max=100,
                required=True,
            ),
            rx.hstack(
                rx.el.input(
                    type="checkbox",
                    id="distinct_winners",
                    name="distinct_winners",
                    default_checked=E.distinct_winners,
                ),
                rx.el.label("One prize per person", html_for="distinct_winners"),
                align="center",
                spacing="2",
                padding_top="1.5rem",
            ),
        ),
        _grid(
            field(
                "Start date/time (" + tz + ")",
                "starts_at",
                type="datetime-local",
                default_value=E.starts_local,
                read_only=E.locked,
            ),
            field(
                "End date/time (" + tz + ")",
                "ends_at",
                type="datetime-local",
                default_value=E.ends_local,
                required=True,
            ),
            field(
                "Draw date/time (" + tz + ")",
                "draw_at",
                type="datetime-local",
                default_value=E.draw_local,
            ),
        ),
        rx.text(
            "An empty start means now; an empty draw date means the end date. The draw runs by "
            "itself at the draw date once sales have closed.",
            size="1",
            color_scheme="gray",
        ),
        field(
            "Skill question",
            "question",
            default_value=E.question,
            required=True,
            read_only=E.locked,
        ),
        _text_area(
            "Answers to choose from (one per line)",
            "choices",
            E.choices,
            rows="4",
            read_only=E.locked,
        ),
        field(
            "Right answer",
            "answer",
            placeholder=rx.cond(E.id != 0, "Leave empty to keep the right answer", "Paris"),
            read_only=E.locked,
            required=E.id == 0,
        ),
        rx.text(
            "The right answer must be one of the answers above, written the same way. It is "
            "stored hashed and never shown again.",
            size="1",
            color_scheme="gray",
        ),
        rx.cond(
            E.locked,
            rx.callout(
                "Tickets are sold, so the price, the start date, the question and the answers "
                "are locked. The title, prize, description, number of tickets (not below those "
                "sold), limits and future dates can still change.",
                icon="lock",
                size="1",
                width="100%",
            ),
        ),
    ]


def extend_dialog(competition_id, title, on_submit) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button("Extend", size="1", variant="soft")),
        rx.dialog.content(
            rx.dialog.title("Extend " + title),
            rx.dialog.description(
                "Tickets go on sale again until the new end date; the minimum is checked again "
                "then. Times are in your timezone (" + SessionState.user_timezone + ")."
            ),
            rx.form(
                rx.vstack(
                    rx.el.input(type="hidden", name="competition_id", value=competition_id),
                    field("New end date/time", "new_ends_at", type="datetime-local", required=True),
                    field("New draw date/time (optional)", "new_draw_at", type="datetime-local"),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", type="button")),
                        rx.dialog.close(rx.button("Extend", type="submit")),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=on_submit,
            ),
        ),
    )


def cancel_dialog(competition_id, title, on_submit, button: str) -> rx.Component:
    return reason_dialog(
        button=button,
        title="Cancel " + title + " and refund everyone",
        explanation=(
            "The competition is called off: its draw is void (the seed is revealed), open "
            "checkouts are released, and every paid order is refunded through Stripe; buyers "
            "get an email with your reason. This cannot be undone."
        ),
        record_field="competition_id",
        record_id=competition_id,
        confirm="Cancel and refund everyone",
        on_submit=on_submit,
    )

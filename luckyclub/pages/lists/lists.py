"""/lists: a member's signup lists and the New list form (state/lists/lists.py)."""

from __future__ import annotations

import reflex as rx

from luckyclub.components.layout import SELECT_STYLE, error_callout, field, label, page
from luckyclub.components.lists import list_status
from luckyclub.core import routes
from luckyclub.state.lists.lists import ListsState
from luckyclub.state.session import SessionState

S = ListsState
LOTTERY_NOTE = (
    "Lottery cannot be disabled once the list is created. It runs at the time you choose; "
    "results arrive within a few minutes."
)


def _card(c) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.link(rx.heading(c.title, size="4", as_="h3"), href=c.url),
                list_status(c.status),
                rx.cond(c.relation != "", rx.badge(c.relation, variant="soft")),
                align="center",
                wrap="wrap",
                spacing="2",
            ),
            rx.text(c.kind, " · ", c.elements, " · by ", c.creator, size="2", color_scheme="gray"),
            rx.cond(c.lottery != "", rx.text("🎲 ", c.lottery, size="2")),
            spacing="1",
        ),
        width="100%",
    )


def _check(text: str, name: str, **props) -> rx.Component:
    return rx.hstack(
        rx.el.input(type="checkbox", id=name, name=name, **props),
        rx.el.label(text, html_for=name),
        align="center",
        spacing="2",
    )


def _row(row, index) -> rx.Component:
    n = (index + 1).to_string()
    noun = rx.cond(S.kind == "events", "Event ", "Item ")
    key = row.to_string()

    def cell(text: str, name: str, *, type: str = "text", grow: str = "1", **props) -> rx.Component:
        field_id = name + "_" + key
        return rx.vstack(
            rx.el.label(noun + n + " " + text, html_for=field_id, style={"fontSize": "0.85rem"}),
            rx.input(id=field_id, name=field_id, type=type, size="2", width="100%", **props),
            spacing="1",
            flex=grow,
            min_width="9rem" if type == "text" else "7rem",
        )

    return rx.card(
        rx.flex(
            cell("name", "name", grow="2", max_length=160),
            rx.cond(
                S.kind == "events",
                rx.fragment(
                    cell("date", "date", type="date"),
                    cell("time (optional)", "time", type="time"),
                    cell("place (optional)", "place", max_length=160),
                ),
            ),
            cell("spots", "spots", type="number", min=1, default_value="1", grow="0"),
            rx.button(
                "Remove",
                type="button",
                size="2",
                variant="soft",
                color_scheme="red",
                on_click=S.remove_row(row),
                aria_label="Remove " + noun + n,
                disabled=S.rows.length() <= 1,
            ),
            wrap="wrap",
            gap="2",
            align="end",
            width="100%",
        ),
        key=key,
        width="100%",
    )


def _lottery_fields() -> rx.Component:
    return rx.cond(
        S.lottery,
        rx.card(
            rx.vstack(
                field("Lottery will run on", "lottery_at", type="datetime-local", min=S.earliest),
                rx.text("Times are in your timezone: ", SessionState.user_timezone, size="2"),
                _check(
                    "Families together: a family's entries for one element win together or not "
                    "at all",
                    "families_together",
                ),
                rx.callout(LOTTERY_NOTE, icon="info", size="1", width="100%"),
                spacing="3",
                width="100%",
            ),
            width="100%",
        ),
    )


def _new_list_form() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("New list", size="6", as_="h2"),
                field("Title", "title", max_length=160, required=True),
                rx.vstack(
                    label("Description", "description"),
                    rx.text_area(
                        id="description", name="description", width="100%", max_length=4000
                    ),
                    spacing="1",
                    width="100%",
                ),
                rx.vstack(
                    label("Kind", "kind"),
                    rx.el.select(
                        rx.el.option("Events (a date, a time, a place)", value="events"),
                        rx.el.option("Items (things to bring or do)", value="items"),
                        id="kind",
                        name="kind",
                        value=S.kind,
                        on_change=S.set_kind,
                        style=SELECT_STYLE,
                    ),
                    spacing="1",
                    width="100%",
                ),
                rx.el.fieldset(
                    rx.el.legend(rx.cond(S.kind == "events", "Events", "Items")),
                    rx.vstack(rx.foreach(S.rows, _row), spacing="2", width="100%"),
                    rx.button(
                        rx.cond(S.kind == "events", "Add an event", "Add an item"),
                        type="button",
                        variant="soft",
                        on_click=S.add_row,
                        margin_top="0.5rem",
                    ),
                    style={"border": "none", "padding": "0", "margin": "0", "width": "100%"},
                ),
                rx.el.fieldset(
                    rx.el.legend("Options"),
                    rx.vstack(
                        field(
                            "Limit per family member (optional)",
                            "per_member_limit",
                            type="number",
                            min=1,
                        ),
                        _check("Keep a waitlist when an element is full", "waitlist"),
                        rx.vstack(
                            label("Extra editors (emails, one per line)", "editors"),
                            rx.text_area(id="editors", name="editors", width="100%", rows="2"),
                            spacing="1",
                            width="100%",
                        ),
                        spacing="3",
                        width="100%",
                    ),
                    style={"border": "none", "padding": "0", "margin": "0", "width": "100%"},
                ),
                _check(
                    "Enable lottery for this list",
                    "is_lottery",
                    # Not held by the state (a box the state holds flips back until the server
                    # answers): the state only follows it, to show the lottery's fields.
                    on_change=lambda _value: S.toggle_lottery(),
                ),
                _lottery_fields(),
                error_callout(S.error),
                rx.button("Create list", type="submit", size="3", loading=S.busy),
                spacing="4",
                width="100%",
                align="stretch",
            ),
            on_submit=S.create,
            width="100%",
        ),
        width="100%",
    )


@rx.page(
    route=routes.LISTS,
    title="Signup lists · LuckyClub",
    on_load=[SessionState.require_sign_in, ListsState.load],
)
def lists_page() -> rx.Component:
    return page(
        rx.cond(
            SessionState.signed_in,
            rx.vstack(
                rx.heading("Signup lists", size="8", as_="h1"),
                rx.text(
                    "Lists of events or things to bring, first come, first served or by a fair "
                    "lottery. Sign up ",
                    rx.link("your family", href=routes.FAMILY),
                    " on a list's page (its link is its share link); see everything you hold on ",
                    rx.link("My signups", href=routes.MY_SIGNUPS),
                    ".",
                    size="2",
                    color_scheme="gray",
                ),
                rx.grid(
                    rx.vstack(
                        rx.heading("Your lists", size="6", as_="h2"),
                        rx.foreach(S.cards, _card),
                        rx.cond(
                            S.cards.length() == 0,
                            rx.text("No lists yet: make one, or open a list's link."),
                        ),
                        spacing="3",
                        width="100%",
                    ),
                    _new_list_form(),
                    columns=rx.breakpoints(initial="1", md="2"),
                    spacing="5",
                    width="100%",
                ),
                spacing="4",
                width="100%",
            ),
            rx.center(rx.spinner(size="3"), padding="4rem"),
        )
    )

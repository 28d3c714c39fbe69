"""/lists/<id>/edit: the list's editor for its creator, its editors and platform admins
(state/lists/editor.py authorises every handler through the services)."""

from __future__ import annotations

import reflex as rx

from luckyclub.components.download import download_link
from luckyclub.components.layout import (
    confirm_button,
    data_table,
    error_callout,
    field,
    label,
    page,
    reason_dialog,
    refusal,
    success_callout,
)
from luckyclub.components.lists import list_status
from luckyclub.components.live import reload_on
from luckyclub.core import routes
from luckyclub.state.lists.editor import ListEditorState
from luckyclub.state.session import SessionState

S = ListEditorState


def _check(text: str, name: str, **props) -> rx.Component:
    return rx.hstack(
        rx.el.input(type="checkbox", id=name, name=name, **props),
        rx.el.label(text, html_for=name),
        align="center",
        spacing="2",
    )


def _details() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Details", size="5", as_="h2"),
                field("Title", "title", default_value=S.title, max_length=160, required=True),
                rx.vstack(
                    label("Description", "description"),
                    rx.text_area(
                        id="description",
                        name="description",
                        default_value=S.description,
                        width="100%",
                    ),
                    spacing="1",
                    width="100%",
                ),
                field(
                    "Limit per family member (optional)",
                    "per_member_limit",
                    type="number",
                    min=1,
                    default_value=S.limit_text,
                ),
                _check(
                    "Keep a waitlist when an element is full",
                    "waitlist",
                    default_checked=S.waitlist,
                ),
                rx.cond(
                    S.is_lottery & (S.phase == "open"),
                    _check(
                        "Families together: a family's entries for one element win together or "
                        "not at all",
                        "families_together",
                        default_checked=S.families_together,
                    ),
                ),
                rx.button("Save details", type="submit"),
                spacing="3",
                align="stretch",
                width="100%",
            ),
            on_submit=S.save_details,
            key="details-" + S.saved.to_string(),
        ),
        width="100%",
    )


def _lottery() -> rx.Component:
    return rx.cond(
        S.is_lottery,
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.badge("LOTTERY LIST", color_scheme="blue", size="3"),
                    rx.text(S.lottery_words, weight="medium"),
                    align="center",
                    wrap="wrap",
                ),
                rx.cond(
                    S.can_move_lottery,
                    rx.form(
                        rx.vstack(
                            field(
                                "Lottery will run on",
                                "lottery_at",
                                type="datetime-local",
                                default_value=S.lottery_local,
                            ),
                            rx.text(
                                "Times are in the list's timezone: ",
                                S.timezone,
                                ". At least 1 hour from now.",
                                size="2",
                            ),
                            rx.button("Change the lottery time", type="submit"),
                            spacing="2",
                            align="start",
                            width="100%",
                        ),
                        on_submit=S.set_lottery_time,
                        key="lottery-" + S.saved.to_string(),
                        width="100%",
                    ),
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
        ),
    )


def _element_fields(
    prefix, noun, name="", day="", at="", place="", spots="1"
) -> list[rx.Component]:
    """An element's inputs, named as read_elements reads one row (`name_0`…); labelled "Name"…
    in an element's own card, or "<noun> name"… for a new one."""

    def cell(text: str, key: str, value, *, type: str = "text", **props) -> rx.Component:
        field_id = prefix + "-" + key
        words = noun + " " + text if noun is not None else text.capitalize()
        return rx.vstack(
            rx.el.label(words, html_for=field_id, style={"fontSize": "0.85rem"}),
            rx.input(
                id=field_id,
                name=key + "_0",
                type=type,
                default_value=value,
                size="2",
                width="100%",
                **props,
            ),
            spacing="1",
            flex="1",
            min_width="8rem",
        )

    return [
        cell("name", "name", name, max_length=160),
        rx.cond(
            S.kind == "events",
            rx.fragment(
                cell("date", "date", day, type="date"),
                cell("time (optional)", "time", at, type="time"),
                cell("place (optional)", "place", place, max_length=160),
            ),
        ),
        cell("spots", "spots", spots, type="number", min=1),
    ]


def _person(p, action: rx.Component) -> rx.Component:
    return rx.el.li(
        rx.hstack(
            rx.text(
                rx.text.strong(p.member),
                rx.cond(p.account != p.member, " (" + p.account + ")", ""),
                rx.cond(p.words != "", " — " + p.words, ""),
                size="2",
            ),
            action,
            align="center",
            spacing="2",
            wrap="wrap",
        )
    )


def _remove_signup(p) -> rx.Component:
    return reason_dialog(
        button="Remove",
        title="Remove " + p.member,
        explanation="They lose the spot and are emailed your reason; the spot goes to the next "
        "person on the waitlist.",
        record_field="signup_id",
        record_id=p.id,
        confirm="Remove",
        on_submit=S.remove_signup,
    )


def _remove_place(p) -> rx.Component:
    return reason_dialog(
        button="Remove",
        title="Take " + p.member + " off the waitlist",
        explanation="They lose their place and are emailed your reason; everyone after them "
        "moves up one place.",
        record_field="place_id",
        record_id=p.id,
        confirm="Remove",
        on_submit=S.remove_place,
    )


def _element(e) -> rx.Component:
    prefix = "el-" + e.id.to_string()
    return rx.card(
        rx.el.section(
            rx.vstack(
                rx.heading(e.label, size="4", as_="h3"),
                rx.text(e.spots_words, " ", e.entries_words, size="2", color_scheme="gray"),
                rx.form(
                    rx.flex(
                        rx.el.input(type="hidden", name="element_id", value=e.id),
                        *_element_fields(
                            prefix, None, e.name, e.event_date, e.event_time, e.place, e.spots
                        ),
                        rx.button("Save", type="submit", size="2"),
                        wrap="wrap",
                        gap="2",
                        align="end",
                        width="100%",
                    ),
                    on_submit=S.update_element,
                    key=prefix + "-" + S.saved.to_string(),
                    width="100%",
                ),
                rx.cond(
                    e.signups.length() > 0,
                    rx.vstack(
                        rx.text("Signed up", size="2", weight="medium"),
                        rx.el.ul(
                            rx.foreach(e.signups, lambda p: _person(p, _remove_signup(p))),
                            style={"margin": "0", "paddingLeft": "1.25rem"},
                        ),
                        spacing="1",
                        width="100%",
                    ),
                ),
                rx.cond(
                    e.waitlist.length() > 0,
                    rx.vstack(
                        rx.text("Waitlist", size="2", weight="medium"),
                        rx.el.ol(
                            rx.foreach(e.waitlist, lambda p: _person(p, _remove_place(p))),
                            style={"margin": "0", "paddingLeft": "1.25rem"},
                        ),
                        spacing="1",
                        width="100%",
                    ),
                ),
                confirm_button(
                    "Delete",
                    "Delete " + e.label + "?",
                    "Its signups, waitlist and lottery entries go with it; nobody is emailed.",
                    "Delete it",
                    S.delete_element(e.id),
                ),
                spacing="3",
                width="100%",
            ),
            aria_label=e.label,
        ),
        width="100%",
    )


def _elements() -> rx.Component:
    noun = rx.cond(S.kind == "events", "New event", "New item")
    return rx.vstack(
        rx.heading(rx.cond(S.kind == "events", "Events", "Items"), size="5", as_="h2"),
        rx.foreach(S.forms, _element),
        rx.card(
            rx.form(
                rx.flex(
                    *_element_fields("new", noun),
                    rx.button(
                        rx.cond(S.kind == "events", "Add the event", "Add the item"),
                        type="submit",
                        size="2",
                    ),
                    wrap="wrap",
                    gap="2",
                    align="end",
                    width="100%",
                ),
                on_submit=S.add_element,
                key="new-" + S.saved.to_string(),
                width="100%",
            ),
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


def _editor_row(e) -> rx.Component:
    return rx.table.row(
        rx.table.cell(e.name),
        rx.table.cell(e.email),
        rx.table.cell(
            rx.cond(
                S.is_creator,
                rx.button(
                    "Remove",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    on_click=S.remove_editor(e.id),
                    aria_label="Remove editor " + e.email,
                ),
            )
        ),
    )


def _editors() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Editors", size="5", as_="h2"),
            rx.text("Editors manage the list as you do.", size="2", color_scheme="gray"),
            rx.cond(
                S.editors.length() > 0,
                data_table(["Name", "Email", ""], S.editors, _editor_row),
                rx.text("No extra editors.", size="2"),
            ),
            rx.cond(
                S.is_creator,
                rx.form(
                    rx.hstack(
                        field("Editor's email", "editor_email", type="email"),
                        rx.button("Add editor", type="submit"),
                        align="end",
                        width="100%",
                    ),
                    on_submit=S.add_editor,
                    reset_on_submit=True,
                    width="100%",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _whole_list() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("The list", size="5", as_="h2"),
            download_link("Export signups as CSV", S.export_url),
            rx.hstack(
                rx.cond(
                    S.status == "open",
                    rx.button("Close the list", variant="soft", on_click=S.close),
                    rx.cond(
                        S.status == "closed",
                        rx.button("Reopen the list", variant="soft", on_click=S.reopen),
                    ),
                ),
                confirm_button(
                    "Delete the list",
                    "Delete " + S.title + "?",
                    "Every element, signup, waitlist place and lottery entry goes with it; nobody "
                    "is emailed. This cannot be undone.",
                    "Delete the list",
                    S.delete,
                ),
                spacing="3",
                wrap="wrap",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _editor() -> rx.Component:
    return rx.vstack(
        rx.link("← The list's page", href=S.url, size="2"),
        rx.hstack(
            rx.heading("Edit: ", S.title, size="8", as_="h1"),
            list_status(S.status),
            align="center",
            wrap="wrap",
        ),
        error_callout(S.error),
        success_callout(S.notice),
        _lottery(),
        rx.grid(
            _details(),
            rx.vstack(_editors(), _whole_list(), spacing="4", width="100%"),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
        _elements(),
        spacing="4",
        width="100%",
    )


@rx.page(
    route=routes.LIST_EDITOR,
    title="Edit list · LuckyClub",
    on_load=[SessionState.require_sign_in, ListEditorState.load, ListEditorState.follow],
)
def list_editor_page() -> rx.Component:
    return page(
        reload_on(SessionState.live_version, ListEditorState.changed),
        rx.cond(
            S.allowed,
            _editor(),
            rx.cond(
                S.loaded,
                refusal(
                    "Only the list's editors",
                    "Its creator, its editors and platform admins manage a list; your account is "
                    "not one of them.",
                ),
                rx.center(rx.spinner(size="3"), padding="4rem"),
            ),
        ),
    )

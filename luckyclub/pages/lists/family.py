"""/family: the people an account signs up — the member themselves and those in their care."""

from __future__ import annotations

import reflex as rx

from luckyclub.components.layout import error_callout, field, narrow_page, success_callout
from luckyclub.core import routes
from luckyclub.state.lists.family import FamilyState
from luckyclub.state.session import SessionState

S = FamilyState


def _confirm_remove(m) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(
                "Remove",
                size="1",
                color_scheme="red",
                variant="soft",
                aria_label="Remove " + m.name,
            )
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Remove " + m.name + "?"),
            rx.alert_dialog.description(
                "Their signups, waitlist places and lottery entries on every list go too. "
                "Nobody is emailed, and a spot they held is offered to the next person."
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Keep them", variant="soft")),
                rx.alert_dialog.action(
                    rx.button("Remove " + m.name, color_scheme="red", on_click=S.remove(m.id))
                ),
                justify="end",
                spacing="3",
                margin_top="1rem",
            ),
        ),
    )


def _rename_form(m) -> rx.Component:
    name_id = "rename-" + m.id.to_string()
    return rx.form(
        rx.hstack(
            rx.el.input(type="hidden", name="member_id", value=m.id),
            rx.el.label("New name", html_for=name_id),
            rx.input(id=name_id, name="name", default_value=m.name, size="2", max_length=80),
            rx.button("Save", type="submit", size="2"),
            rx.button("Cancel", type="button", size="2", variant="soft", on_click=S.stop_rename),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        on_submit=S.rename,
    )


def _member(m) -> rx.Component:
    return rx.card(
        rx.cond(
            S.editing == m.id,
            _rename_form(m),
            rx.hstack(
                rx.text(m.name, weight="medium"),
                rx.cond(m.is_self, rx.badge("you", variant="soft")),
                rx.spacer(),
                rx.button(
                    "Rename",
                    size="1",
                    variant="soft",
                    on_click=S.start_rename(m.id),
                    aria_label="Rename " + m.name,
                ),
                rx.cond(~m.is_self, _confirm_remove(m)),
                align="center",
                spacing="2",
                width="100%",
            ),
        ),
        width="100%",
    )


@rx.page(
    route=routes.FAMILY,
    title="Your family · LuckyClub",
    on_load=[SessionState.require_sign_in, FamilyState.load],
)
def family_page() -> rx.Component:
    return narrow_page(
        rx.cond(
            SessionState.signed_in,
            rx.vstack(
                rx.heading("Your family", size="8", as_="h1"),
                rx.text(
                    "Sign up or enter lotteries for yourself and the people in your care. Each "
                    "family member has their own signups, entries and limits on a list.",
                    size="2",
                    color_scheme="gray",
                ),
                error_callout(S.error),
                success_callout(S.notice),
                rx.foreach(S.members, _member),
                rx.form(
                    rx.vstack(
                        field("Name", "name", max_length=80, required=True),
                        rx.button("Add family member", type="submit", size="3"),
                        spacing="2",
                        align="stretch",
                        width="100%",
                    ),
                    on_submit=S.add,
                    reset_on_submit=True,
                    key=S.added.to_string(),
                    width="100%",
                ),
                rx.link("← Your signups", href=routes.MY_SIGNUPS, size="2"),
                spacing="4",
                width="100%",
            ),
            rx.center(rx.spinner(size="3"), padding="4rem"),
        )
    )

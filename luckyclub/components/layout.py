"""The app shell: navigation showing each person what they may use, connection banner, footer."""

from __future__ import annotations

import json

import reflex as rx

from luckyclub.core import routes
from luckyclub.state.reason_dialog import ReasonDialogState, action_name
from luckyclub.state.session import SessionState


def link_button(text: str, href: str, **props) -> rx.Component:
    """A link that looks like a button: it navigates, so assistive tech should call it a link."""
    return rx.button(rx.link(text, href=href, underline="none"), as_child=True, **props)


def _nav_link(text: str, href: str) -> rx.Component:
    return rx.link(text, href=href, size="3", weight="medium", underline="hover")


def _member_links() -> list[rx.Component]:
    return [
        _nav_link("Dashboard", routes.DASHBOARD),
        _nav_link("Lists", routes.LISTS),
        _nav_link("My signups", routes.MY_SIGNUPS),
        _nav_link("Profile", routes.PROFILE),
    ]


def _admin_links() -> list[rx.Component]:
    return [_nav_link("Admin", routes.ADMIN), _nav_link("Outbox", routes.ADMIN_MAIL)]


def _account_buttons() -> rx.Component:
    return rx.cond(
        SessionState.signed_in,
        rx.button("Sign out", on_click=SessionState.sign_out, variant="soft", size="2"),
        rx.hstack(
            link_button("Sign in", routes.LOGIN, variant="soft", size="2"),
            link_button("Join", routes.REGISTER, size="2"),
            spacing="2",
        ),
    )


def _desktop_nav() -> rx.Component:
    return rx.hstack(
        _nav_link("Competitions", routes.COMPETITIONS),
        _nav_link("Champions", routes.CHAMPIONS),
        rx.cond(SessionState.signed_in, rx.hstack(*_member_links(), spacing="5")),
        rx.cond(SessionState.is_admin, rx.hstack(*_admin_links(), spacing="5")),
        _account_buttons(),
        rx.color_mode.button(size="2", variant="ghost", aria_label="Switch light or dark theme"),
        spacing="5",
        align="center",
        display=["none", "none", "flex"],
    )


def _mobile_nav() -> rx.Component:
    def item(text: str, href: str) -> rx.Component:
        return rx.menu.item(rx.link(text, href=href, width="100%"))

    return rx.hstack(
        rx.color_mode.button(size="2", variant="ghost", aria_label="Switch light or dark theme"),
        rx.menu.root(
            rx.menu.trigger(
                rx.icon_button(rx.icon("menu"), variant="soft", aria_label="Open menu")
            ),
            rx.menu.content(
                item("Competitions", routes.COMPETITIONS),
                item("Champions", routes.CHAMPIONS),
                rx.cond(
                    SessionState.signed_in,
                    rx.fragment(
                        item("Dashboard", routes.DASHBOARD),
                        item("Lists", routes.LISTS),
                        item("My signups", routes.MY_SIGNUPS),
                        item("Profile", routes.PROFILE),
                        rx.cond(
                            SessionState.is_admin,
                            rx.fragment(
                                item("Admin", routes.ADMIN), item("Outbox", routes.ADMIN_MAIL)
                            ),
                        ),
                        rx.menu.separator(),
                        rx.menu.item("Sign out", on_click=SessionState.sign_out),
                    ),
                    rx.fragment(item("Sign in", routes.LOGIN), item("Join", routes.REGISTER)),
                ),
            ),
        ),
        spacing="2",
        align="center",
        display=["flex", "flex", "none"],
    )


def navbar() -> rx.Component:
    return rx.el.nav(
        rx.hstack(
            rx.link(
                rx.hstack(
                    rx.icon("ticket", size=24, color=rx.color("accent", 9)),
                    rx.text("LuckyClub", size="5", weight="bold"),
                    align="center",
                    spacing="2",
                ),
                href=routes.HOME,
                underline="none",
                color_scheme="gray",
                high_contrast=True,
            ),
            rx.spacer(),
            _desktop_nav(),
            _mobile_nav(),
            align="center",
            width="100%",
            max_width="72rem",
            margin_x="auto",
            padding_x=["1rem", "1.5rem"],
            padding_y="0.75rem",
        ),
        aria_label="Main",
        style={
            "borderBottom": f"1px solid {rx.color('gray', 5)}",
            "backgroundColor": rx.color("gray", 1),
            "position": "sticky",
            "top": "0",
            "zIndex": "10",
            "width": "100%",
        },
    )


def footer() -> rx.Component:
    return rx.el.footer(
        rx.text(
            "LuckyClub — fair prize draws anyone can check. Members must be 18 or older.",
            size="1",
            color_scheme="gray",
        ),
        style={"padding": "1.5rem", "textAlign": "center"},
    )


def page(*children: rx.Component, width: str = "72rem") -> rx.Component:
    """A page in the shell: the banner shown when the live connection drops, navigation, content."""
    return rx.box(
        rx.connection_banner(),
        navbar(),
        rx.el.main(
            rx.box(
                *children,
                width="100%",
                max_width=width,
                margin_x="auto",
                padding_x=["1rem", "1.5rem"],
                padding_y=["1.25rem", "2rem"],
                min_height="70vh",
            ),
        ),
        footer(),
        width="100%",
    )


def narrow_page(*children: rx.Component) -> rx.Component:
    return page(*children, width="28rem")


def error_callout(message) -> rx.Component:
    """A refusal or validation failure, as the sentence the service wrote."""
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle_alert", color_scheme="red", role="alert", width="100%"),
    )


def success_callout(message) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, icon="circle_check", color_scheme="green", role="status", width="100%"),
    )


# A native <select> (so forms and browser tests read it as one) drawn like the size-3 inputs.
SELECT_STYLE = {
    "width": "100%",
    "height": "var(--space-7)",
    "padding": "0 0.75rem",
    "borderRadius": "var(--radius-2)",
    "border": f"1px solid {rx.color('gray', 7)}",
    "background": rx.color("gray", 1),
    "color": rx.color("gray", 12),
    "fontSize": "var(--font-size-3)",
}


def label(text, html_for: str) -> rx.Component:
    """A field's label: one size and weight for every form."""
    return rx.el.label(text, html_for=html_for, style={"fontWeight": "500", "fontSize": "0.9rem"})


def field(label_text: str, name: str, *, type: str = "text", **props) -> rx.Component:
    """A labelled input: the label names it for screen readers and for browser tests."""
    return rx.vstack(
        label(label_text, name),
        rx.input(id=name, name=name, type=type, width="100%", size="3", **props),
        spacing="1",
        width="100%",
    )


def select_field(label_text: str, name: str, *options: rx.Component, **props) -> rx.Component:
    """A labelled dropdown, drawn like `field`'s inputs."""
    return rx.vstack(
        label(label_text, name),
        rx.el.select(*options, id=name, name=name, style=SELECT_STYLE, **props),
        spacing="1",
        width="100%",
    )


def form(*fields: rx.Component, submit: str, on_submit, busy=None, **props) -> rx.Component:
    """A form of labelled fields stacked above its submit button (spinning while `busy`)."""
    return rx.form(
        rx.vstack(
            *fields,
            rx.button(submit, type="submit", size="3", loading=False if busy is None else busy),
            spacing="3",
            width="100%",
            align="stretch",
        ),
        on_submit=on_submit,
        width="100%",
        **props,
    )


def fact(label: str, *value) -> rx.Component:
    """One labelled value in a summary: "Label: value"."""
    return rx.text(rx.text.strong(label, ": "), *value, size="2")


PHONE_WIDTH = "(max-width: 767px)"  # below Radix's `sm` breakpoint


def _stacked_on_phones(headers: list[str]) -> dict:
    """On a phone each row becomes a card of "Header: value" lines, so no column hides behind a
    sideways scroll; from `sm` up it stays a table. The labels are CSS, so headers are plain text
    (a header that depends on state needs a table per case)."""
    if not all(isinstance(header, str) for header in headers):
        raise TypeError("data_table headers are plain text: they are written into its CSS.")
    labels = {
        f"& tbody tr > :nth-child({n})::before": {"content": json.dumps(header)}
        for n, header in enumerate(headers, start=1)
        if header
    }
    return {
        f"@media {PHONE_WIDTH}": {
            "& thead": {"display": "none"},
            "& table, & tbody, & tr, & tbody tr > *": {"display": "block", "width": "100%"},
            "& table": {"height": "auto"},  # Radix gives the table height 0 (fine for a table)
            "& tbody tr": {
                "borderBottom": f"1px solid {rx.color('gray', 6)}",
                "padding": "0.5rem 0",
            },
            "& tbody tr > *": {
                "height": "auto",  # Radix fixes a row's height; a stacked cell grows instead
                "boxShadow": "none",
                "padding": "0.25rem 0",
                "whiteSpace": "normal !important",
                "overflowWrap": "anywhere",
            },
            "& tbody tr > *::before": {
                "display": "block",
                "fontSize": "0.75rem",
                "fontWeight": "600",
                "color": rx.color("gray", 11),
            },
            **labels,
        }
    }


def data_table(headers: list[str], rows, render_row) -> rx.Component:
    """A table; on a phone its rows stack as labelled cards rather than scroll sideways."""
    return rx.box(
        rx.table.root(
            rx.table.header(
                rx.table.row(*[rx.table.column_header_cell(header) for header in headers])
            ),
            rx.table.body(rx.foreach(rows, render_row)),
            width="100%",
        ),
        width="100%",
        style=_stacked_on_phones(headers),
    )


def confirm_button(button: str, title, description: str, confirm: str, on_click) -> rx.Component:
    """A red button that asks before it acts."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button(button, color_scheme="red", variant="soft", size="2")),
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(description),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Keep it", variant="soft")),
                rx.alert_dialog.action(rx.button(confirm, color_scheme="red", on_click=on_click)),
                justify="end",
                spacing="3",
                margin_top="1rem",
            ),
        ),
    )


def reason_dialog(
    *,
    button: str,
    title,
    explanation: str,
    record_field: str,
    record_id,
    confirm: str,
    on_submit,
    fields: tuple[rx.Component, ...] = (),
    trigger: rx.Component | None = None,
) -> rx.Component:
    """A red button (or `trigger`) that asks for a reason (and any `fields`) before it acts (ban,
    reject…). The dialog stays open, saying what is missing, until the reason is written; then it
    closes and `on_submit` gets the form."""
    reason_id = f"{record_field}_reason"
    key = rx.Var.create(f"{button}:") + rx.Var.create(record_id).to_string()
    D = ReasonDialogState
    return rx.dialog.root(
        rx.dialog.trigger(
            trigger
            if trigger is not None
            else rx.button(button, size="1", color_scheme="red", variant="soft")
        ),
        rx.dialog.content(
            rx.dialog.title(title),
            rx.dialog.description(explanation),
            rx.form(
                rx.vstack(
                    rx.el.input(type="hidden", name=record_field, value=record_id),
                    rx.el.input(type="hidden", name="reason_action", value=action_name(on_submit)),
                    *fields,
                    rx.el.label("Reason", html_for=reason_id),
                    rx.text_area(
                        id=reason_id,
                        name="reason",
                        aria_required="true",
                        aria_invalid=rx.cond(D.missing != "", "true", "false"),
                        width="100%",
                    ),
                    rx.cond(
                        D.missing != "",
                        rx.callout(
                            D.missing, icon="triangle_alert", color_scheme="red", role="alert"
                        ),
                    ),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", type="button")),
                        rx.button(confirm, color_scheme="red", type="submit"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=D.submit,
            ),
        ),
        open=D.open_key == key,
        on_open_change=lambda is_open: D.toggle(key, is_open),
    )


STATUS_COLOURS = {
    "pending": "amber",
    "approved": "green",
    "rejected": "red",
    "sent": "green",
    "failed": "red",
    "draft": "gray",
    "open": "green",
    "closed": "amber",
    "active": "green",
    "lapsed": "red",
    "scheduled": "blue",
    "waiting_for_beacon": "orange",
    "drawn": "green",
    "void": "gray",
    "notified": "blue",
    "contacted": "amber",
    "delivered": "green",
    "replaced": "gray",
    "upcoming": "blue",
    "ended": "amber",
    "cancelled": "red",
    "paid": "green",
    "postal": "blue",
    "refund_due": "orange",
    "refunded": "gray",
    "expired": "gray",
    "stopped": "red",
}


def status_badge(status, words=None) -> rx.Component:
    """A record's status as a coloured word (or `words` for it); one palette for every page."""
    colour = rx.match(status, *STATUS_COLOURS.items(), "gray")
    return rx.badge(status if words is None else words, color_scheme=colour)


def refusal(title: str, message: str) -> rx.Component:
    """What a person sees on a page they may not open."""
    return rx.center(
        rx.card(
            rx.vstack(
                rx.icon("shield_alert", size=40, color=rx.color("red", 9)),
                rx.heading(title, size="6", as_="h1"),
                rx.text(message, text_align="center"),
                link_button("Go to your dashboard", routes.DASHBOARD),
                align="center",
                spacing="3",
            ),
            max_width="28rem",
            padding="2rem",
        ),
        padding_y="3rem",
    )

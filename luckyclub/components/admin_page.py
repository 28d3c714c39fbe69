"""The frame of every admin console page: navigation, title, messages; a refusal for non-admins."""

from __future__ import annotations

import reflex as rx

from luckyclub.components.admin_nav import admin_nav
from luckyclub.components.layout import error_callout, page, refusal, success_callout
from luckyclub.state.session import SessionState


def admin_only(content: rx.Component, state) -> rx.Component:
    """Admin content for admins; for anyone else a refusal page (the data was never loaded)."""
    return rx.cond(
        state.allowed,
        content,
        rx.cond(
            SessionState.checked,
            refusal(
                "Administrators only",
                "This page is part of the admin console. Your account does not have access to it.",
            ),
            rx.center(rx.spinner(size="3"), padding="4rem"),
        ),
    )


def admin_page(title: str, state, *children: rx.Component, live=None) -> rx.Component:
    """An admin page whose state (an AdminPageState) has `allowed`, `error` and `notice` vars."""
    return page(
        *([live] if live is not None else []),
        admin_only(
            rx.vstack(
                admin_nav(),
                rx.heading(title, size="8", as_="h1"),
                error_callout(state.error),
                success_callout(state.notice),
                *children,
                spacing="4",
                width="100%",
            ),
            state,
        ),
    )

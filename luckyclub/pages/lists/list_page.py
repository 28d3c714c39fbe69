"""/lists/<id>: one signup list, its share link. Signed-out visitors read it; members sign up their
family, join waitlists and enter its lottery. What it shows and does: state/lists/list_page.py."""

from __future__ import annotations

import reflex as rx

from luckyclub.components.layout import (
    SELECT_STYLE,
    error_callout,
    link_button,
    page,
    success_callout,
)
from luckyclub.components.lists import list_status, lottery_banner
from luckyclub.components.live import reload_on
from luckyclub.core import routes
from luckyclub.state.lists.list_page import ListPageState
from luckyclub.state.session import SessionState

S = ListPageState


def _person(p, action: rx.Component | None = None) -> rx.Component:
    return rx.el.li(
        rx.hstack(
            rx.text(
                rx.text.strong(p.member),
                rx.cond(p.account != p.member, " (" + p.account + ")", ""),
                rx.cond(p.words != "", " — " + p.words, ""),
                size="2",
            ),
            *([rx.cond(p.mine, action)] if action is not None else []),
            align="center",
            spacing="2",
            wrap="wrap",
        ),
    )


def _people(title: str, rows, action=None, ordered: bool = False) -> rx.Component:
    tag = rx.el.ol if ordered else rx.el.ul
    return rx.cond(
        rows.length() > 0,
        rx.vstack(
            rx.text(title, size="2", weight="medium"),
            tag(
                rx.foreach(rows, lambda p: _person(p, action(p) if action else None)),
                style={"margin": "0", "paddingLeft": "1.25rem"},
            ),
            spacing="1",
            width="100%",
        ),
    )


def _small(text: str, handler, who) -> rx.Component:
    return rx.button(
        text,
        size="1",
        variant="soft",
        color_scheme="red",
        on_click=handler,
        aria_label=f"{text} " + who,
    )


def _my_signup_actions(p) -> rx.Component:
    """Accept or Decline the viewer's own pending offer; Cancel a spot they hold."""
    return rx.cond(
        p.token != "",
        rx.hstack(
            rx.button(
                "Accept", size="1", on_click=S.accept(p.token), aria_label="Accept for " + p.member
            ),
            _small("Decline", S.decline(p.token), p.member),
            spacing="1",
        ),
        _small("Cancel", S.cancel(p.id), p.member),
    )


def _member_select(e, members, verb: str) -> rx.Component:
    select_id = verb + "-" + e.id.to_string()
    return rx.vstack(
        rx.el.label("Family member", html_for=select_id, style={"fontSize": "0.85rem"}),
        rx.el.select(
            rx.foreach(members, lambda m: rx.el.option(m.name, value=m.id.to_string())),
            id=select_id,
            name="member_id",
            style=SELECT_STYLE,
        ),
        spacing="1",
        min_width="10rem",
    )


def _one_member_form(e, members, button: str, verb: str, on_submit) -> rx.Component:
    """Sign up (or join the waitlist) one family member, chosen from `members`."""
    return rx.cond(
        members.length() > 0,
        rx.form(
            rx.hstack(
                rx.el.input(type="hidden", name="element_id", value=e.id),
                _member_select(e, members, verb),
                rx.button(button, type="submit", size="2"),
                align="end",
                spacing="2",
                wrap="wrap",
            ),
            on_submit=on_submit,
        ),
    )


def _enter_form(e) -> rx.Component:
    """Enter the ticked family members in the lottery for this element."""

    def box(m) -> rx.Component:
        box_id = "enter-" + e.id.to_string() + "-" + m.id.to_string()
        return rx.hstack(
            rx.el.input(type="checkbox", id=box_id, name="member_" + m.id.to_string()),
            rx.el.label(m.name, html_for=box_id),
            align="center",
            spacing="1",
        )

    return rx.cond(
        e.enter_for.length() > 0,
        rx.form(
            rx.vstack(
                rx.el.input(type="hidden", name="element_id", value=e.id),
                rx.el.fieldset(
                    rx.el.legend("Who enters", style={"fontSize": "0.85rem"}),
                    rx.hstack(rx.foreach(e.enter_for, box), wrap="wrap", spacing="3"),
                    style={"border": "none", "padding": "0", "margin": "0"},
                ),
                rx.button("Enter lottery", type="submit", size="2"),
                spacing="2",
            ),
            on_submit=S.enter,
        ),
    )


def _actions(e) -> rx.Component:
    return rx.cond(
        SessionState.signed_in,
        rx.vstack(
            _enter_form(e),
            _one_member_form(e, e.sign_up_for, "Sign up", "signup", S.sign_up),
            _one_member_form(e, e.waitlist_for, "Join the waitlist", "waitlist", S.join_waitlist),
            spacing="2",
        ),
    )


def _element(e) -> rx.Component:
    lottery_before = S.is_lottery & (S.phase != "done")
    return rx.card(
        rx.el.section(
            rx.vstack(
                rx.heading(e.label, size="4", as_="h3"),
                rx.cond(
                    lottery_before,
                    rx.vstack(
                        rx.text(
                            rx.text.strong(e.entries_words),
                            " for ",
                            e.spots.to_string(),
                            rx.cond(e.spots == 1, " spot", " spots"),
                            size="2",
                        ),
                        _people("Entered", e.entrants),
                        rx.cond(e.my_entries_words != "", rx.text(e.my_entries_words, size="2")),
                        rx.foreach(
                            e.entrants,
                            lambda p: rx.cond(
                                p.mine & (S.phase == "open"),
                                rx.button(
                                    "Remove " + p.member,
                                    size="1",
                                    variant="soft",
                                    color_scheme="red",
                                    on_click=S.remove_entry(p.id),
                                ),
                            ),
                        ),
                        spacing="2",
                        width="100%",
                    ),
                    rx.vstack(
                        rx.progress(
                            value=e.percent,
                            max=100,
                            width="100%",
                            aria_label=e.spots_words,
                        ),
                        rx.text(e.spots_words, size="2"),
                        _people("Signed up", e.signups, _my_signup_actions),
                        _people(
                            "Waitlist",
                            e.waitlist,
                            lambda p: _small(
                                "Leave the waitlist", S.leave_waitlist(p.id), p.member
                            ),
                            ordered=True,
                        ),
                        spacing="2",
                        width="100%",
                    ),
                ),
                _actions(e),
                spacing="3",
                width="100%",
            ),
            aria_label=e.label,
        ),
        width="100%",
    )


def _list() -> rx.Component:
    return rx.vstack(
        rx.link("← Lists", href=routes.LISTS, size="2"),
        rx.hstack(
            rx.heading(S.title, size="8", as_="h1"),
            list_status(S.status),
            align="center",
            wrap="wrap",
        ),
        rx.text("By ", S.creator, size="2", color_scheme="gray"),
        rx.cond(S.description != "", rx.text(S.description, white_space="pre-wrap")),
        rx.cond(S.options != "", rx.text(S.options, size="2", color_scheme="gray")),
        rx.cond(
            S.status != "open",
            rx.callout(
                rx.cond(
                    S.status == "stopped",
                    S.banner,
                    "This list is closed: it takes no new signups; what is held stays.",
                ),
                icon="octagon_x",
                color_scheme="red",
                width="100%",
            ),
        ),
        lottery_banner(S),
        error_callout(S.error),
        success_callout(S.notice),
        rx.cond(
            SessionState.signed_in,
            rx.hstack(
                rx.cond(
                    S.can_edit,
                    link_button("Edit this list", S.editor_url, size="2", variant="soft"),
                ),
                rx.link("Your family", href=routes.FAMILY, size="2"),
                rx.link("My signups", href=routes.MY_SIGNUPS, size="2"),
                spacing="4",
                align="center",
                wrap="wrap",
            ),
            rx.callout(
                rx.text(
                    rx.link("Sign in", href=routes.LOGIN + "?next=" + S.url),
                    " to sign up your family.",
                ),
                icon="log_in",
                width="100%",
            ),
        ),
        rx.grid(
            rx.foreach(S.elements, _element),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


def _missing() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon("search_x", size=48, color=rx.color("accent", 9)),
            rx.heading("There is no such list", size="7", as_="h1"),
            rx.text("It may have been deleted, or the link is mistyped."),
            link_button("See the lists", routes.LISTS),
            align="center",
            spacing="3",
        ),
        padding_y="4rem",
    )


@rx.page(
    route=routes.LIST,
    title="Signup list · LuckyClub",
    on_load=[SessionState.refresh, ListPageState.load, ListPageState.follow],
)
def list_page() -> rx.Component:
    return page(
        reload_on(SessionState.live_version, ListPageState.changed),
        rx.cond(
            S.loaded,
            rx.cond(S.missing, _missing(), _list()),
            rx.center(rx.spinner(size="3"), padding="4rem"),
        ),
    )

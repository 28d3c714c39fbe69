"""The admin console's own navigation, shown above every admin page."""

import reflex as rx

from luckyclub.core import routes

ADMIN_PAGES = [
    ("Members", routes.ADMIN),
    ("Competitions", routes.ADMIN_COMPETITIONS),
    ("Tickets", routes.ADMIN_TICKETS),
    ("Raffles", routes.ADMIN_RAFFLES),
    ("Draws", routes.ADMIN_DRAWS),
    ("Winners", routes.ADMIN_WINNERS),
    ("Lists", routes.ADMIN_LISTS),
    ("Communities", routes.ADMIN_COMMUNITIES),
    ("Kick events", routes.ADMIN_KICK_EVENTS),
    ("Review queue", routes.ADMIN_PROOFS),
    ("Stats", routes.ADMIN_STATS),
    ("Roles", routes.ADMIN_ROLES),
    ("Audit log", routes.ADMIN_AUDIT),
    ("Outbox", routes.ADMIN_MAIL),
]


def admin_nav() -> rx.Component:
    return rx.el.nav(
        rx.hstack(
            *[
                rx.link(rx.badge(label, size="2", variant="soft"), href=href, underline="none")
                for label, href in ADMIN_PAGES
            ],
            wrap="wrap",
            spacing="2",
        ),
        aria_label="Admin console",
        style={"marginBottom": "1rem"},
    )

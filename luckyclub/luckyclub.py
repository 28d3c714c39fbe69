"""Wiring only: the Reflex app, its pages, the HTTP API, the scheduler and the live draw rooms."""

import reflex as rx

from luckyclub import jobs
from luckyclub.api.routes import build_api
from luckyclub.pages import (  # noqa: F401 - each module registers its pages with @rx.page
    admin,
    admin_audit,
    admin_competition,
    admin_competitions,
    admin_draws,
    admin_mail,
    admin_proofs,
    admin_raffles,
    admin_roles,
    admin_stats,
    admin_tickets,
    admin_winners,
    auth,
    champions,
    competition,
    competition_checkout,
    competition_rules,
    competitions,
    dashboard,
    draw,
    landing,
    live_draw,
    membership,
    profile,
)
from luckyclub.services import draws
from luckyclub.state import draw_room
from luckyclub.state.errors import show_backend_error
from luckyclub.state.session import ForgetOtherViewersPages

app = rx.App(
    api_transformer=build_api(),
    backend_exception_handler=show_backend_error,
)
app.add_middleware(ForgetOtherViewersPages())  # before a tab's state is sent, not only on load
app.add_page(landing.not_found_page, route="404", title="Page not found · LuckyClub")
app.register_lifespan_task(draw_room.reveals_lifespan)  # before the scheduler: it may draw
app.register_lifespan_task(jobs.scheduler_lifespan)
draws.on_drawn(draw_room.start_reveal)  # every spectator of /live/<id> sees the reveal together

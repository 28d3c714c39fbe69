"""Wiring only: the Reflex app, its pages, the HTTP API, the scheduler and the live draw rooms."""

import reflex as rx

from luckyclub import (
    jobs,
    modes,  # noqa: F401 - registers each mode's draw pool
)
from luckyclub.api.routes import build_api
from luckyclub.pages import (  # noqa: F401 - each package registers its pages with @rx.page
    account,
    admin,
    club,
    competitions,
    draws,
    landing,
)
from luckyclub.platform.draws import on_drawn
from luckyclub.state.draws import draw_room
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
on_drawn(draw_room.start_reveal)  # every spectator of /live/<id> sees the reveal together

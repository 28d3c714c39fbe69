"""Wiring only: the Reflex app, its pages, the HTTP API, the scheduler and the live pages' feed."""

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
    community,
    competitions,
    draws,
    landing,
    lists,
)
from luckyclub.state import live
from luckyclub.state.errors import show_backend_error
from luckyclub.state.session import ForgetOtherViewersPages

app = rx.App(
    api_transformer=build_api(),
    backend_exception_handler=show_backend_error,
)
app.add_middleware(ForgetOtherViewersPages())  # before a tab's state is sent, not only on load
app.add_page(landing.not_found_page, route="404", title="Page not found · LuckyClub")
app.register_lifespan_task(live.fan_out_lifespan)  # changes reach open pages (state/live.py)
app.register_lifespan_task(jobs.scheduler_lifespan)

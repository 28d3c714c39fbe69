"""Wiring only: the Reflex app, its pages, the HTTP API and the scheduler."""

import reflex as rx

from luckyclub import jobs
from luckyclub.api.routes import build_api
from luckyclub.pages import (  # noqa: F401 - each module registers its pages with @rx.page
    admin,
    admin_audit,
    admin_draws,
    admin_mail,
    admin_proofs,
    admin_raffles,
    admin_stats,
    admin_winners,
    auth,
    dashboard,
    landing,
    membership,
    profile,
)
from luckyclub.state.errors import show_backend_error

app = rx.App(
    api_transformer=build_api(),
    backend_exception_handler=show_backend_error,
)
app.add_page(landing.not_found_page, route="404", title="Page not found · LuckyClub")
app.register_lifespan_task(jobs.scheduler_lifespan)

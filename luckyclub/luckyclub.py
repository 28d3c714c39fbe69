"""Wiring only: the Reflex app, its pages, the HTTP API and the scheduler."""

import reflex as rx

from luckyclub import jobs
from luckyclub.api.routes import build_api
from luckyclub.pages import admin, admin_mail, auth, dashboard, landing, profile  # noqa: F401 - @rx.page
from luckyclub.state.errors import show_backend_error

app = rx.App(
    api_transformer=build_api(),
    backend_exception_handler=show_backend_error,
)
app.add_page(landing.not_found_page, route="404", title="Page not found · LuckyClub")
app.register_lifespan_task(jobs.scheduler_lifespan)

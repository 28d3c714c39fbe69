"""What a person sees when something fails on the server: a sentence, never a traceback."""

import logging

import reflex as rx

log = logging.getLogger("luckyclub")


def show_backend_error(exception: Exception):
    log.exception("Unhandled error in an event handler", exc_info=exception)
    return rx.toast.error(
        "Something went wrong on our side and nothing was changed. Please try again in a moment.",
        duration=8000,
    )

"""The HTTP API, mounted in front of Reflex's own backend."""

from starlette.applications import Starlette
from starlette.routing import Route

from luckyclub.api.auth import create_session, end_session
from luckyclub.api.health import health


def build_api() -> Starlette:
    return Starlette(
        routes=[
            Route("/api/health", health, methods=["GET"]),
            Route("/api/auth/session", create_session, methods=["POST"]),
            Route("/api/auth/logout", end_session, methods=["POST"]),
        ]
    )

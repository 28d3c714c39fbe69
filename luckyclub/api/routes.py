"""The HTTP API, mounted in front of Reflex's own backend."""

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from luckyclub.api.account_links import (
    discord_link_callback,
    discord_link_start,
    kick_link_callback,
    kick_link_start,
)
from luckyclub.api.auth import create_session, end_session
from luckyclub.api.body_limits import BodyLimits
from luckyclub.api.competitions import (
    competition_draw,
    competition_image_file,
    list_competitions,
    one_competition,
)
from luckyclub.api.discord import interactions as discord_interactions
from luckyclub.api.draws import draw_entry, draw_proof, draw_snapshot
from luckyclub.api.health import health
from luckyclub.api.kick import kick_webhook
from luckyclub.api.lists import list_signups_csv
from luckyclub.api.members import my_ledger_csv
from luckyclub.api.proofs import proof_file
from luckyclub.api.raffles import raffle_image
from luckyclub.api.stripe_webhook import stripe_webhook
from luckyclub.api.tickets import my_tickets, tickets_csv
from luckyclub.api.winners import winner_media_file
from luckyclub.core import routes


def build_api() -> Starlette:
    return Starlette(
        routes=[
            Route("/api/health", health, methods=["GET"]),
            Route("/api/auth/session", create_session, methods=["POST"]),
            # Ids are parsed by the handlers (responses.whole_id), so "/api/competitions/abc" gets
            # a JSON 400 rather than the router's plain-text 404, and a 20-digit id a JSON 404.
            Route("/api/competitions", list_competitions, methods=["GET"]),
            Route("/api/competitions/{competition_id}", one_competition, methods=["GET"]),
            Route("/api/competitions/{competition_id}/draw", competition_draw, methods=["GET"]),
            Route(
                "/api/competitions/{competition_id}/images/{name}",
                competition_image_file,
                methods=["GET"],
            ),
            Route("/api/tickets/user", my_tickets, methods=["GET"]),
            Route(
                "/api/admin/competitions/{competition_id}/tickets.csv", tickets_csv, methods=["GET"]
            ),
            Route("/api/auth/logout", end_session, methods=["POST"]),
            Route("/api/draws/{draw_id}/proof", draw_proof, methods=["GET"]),
            Route("/api/draws/{draw_id}/snapshot", draw_snapshot, methods=["GET"]),
            Route("/api/draws/{draw_id}/entry", draw_entry, methods=["GET"]),
            Route("/api/lists/{list_id}/signups.csv", list_signups_csv, methods=["GET"]),
            Route("/api/me/ledger.csv", my_ledger_csv, methods=["GET"]),
            Route("/api/proofs/{proof_id}/file", proof_file, methods=["GET"]),
            Route("/api/raffles/{raffle_id}/image", raffle_image, methods=["GET"]),
            Route("/api/stripe/webhook", stripe_webhook, methods=["POST"]),
            Route(routes.DISCORD_INTERACTIONS, discord_interactions, methods=["POST"]),
            Route(routes.DISCORD_LINK_START, discord_link_start, methods=["GET"]),
            Route(routes.DISCORD_LINK_CALLBACK, discord_link_callback, methods=["GET"]),
            Route(routes.KICK_WEBHOOK, kick_webhook, methods=["POST"]),
            Route(routes.KICK_LINK_START, kick_link_start, methods=["GET"]),
            Route(routes.KICK_LINK_CALLBACK, kick_link_callback, methods=["GET"]),
            Route("/api/winners/{winner_id}/media", winner_media_file, methods=["GET"]),
        ],
        # Wraps Reflex's own backend too (mounted into this app): /_upload is guarded here.
        middleware=[Middleware(BodyLimits)],
    )

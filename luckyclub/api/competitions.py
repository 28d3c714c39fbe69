"""The public JSON API of prize competitions: the list, one competition, its pictures and its draw.

Anyone may read these (drafts excepted), so they are cacheable; ticket counts move with every
sale, so only for seconds, and an ETag lets a client revalidate without downloading the body again.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from luckyclub.api.members import signed_in_user
from luckyclub.api.responses import cacheable, error, iso, json_errors, whole_id
from luckyclub.competitions import catalogue, pictures, public
from luckyclub.core import routes
from luckyclub.core.db import session_scope
from luckyclub.core.errors import UserError
from luckyclub.models import Competition, DrawStatus, id_of, utcnow
from luckyclub.platform import draw_public

COUNTS_MAX_AGE = 5  # seconds: the sold and left counts are at most this stale
SETTLED_MAX_AGE = 60  # a drawn or void draw changes only when an admin publishes or rerolls
NOT_FOUND = "There is no such competition. Check the id, or list them at /api/competitions."
PUBLIC_IMAGE_HEADERS = {
    # A picture's name is new for every upload, so what is behind a name never changes.
    "Cache-Control": "public, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
}
DRAFT_IMAGE_HEADERS = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


def competition_json(session: Session, competition: Competition, now: datetime) -> dict:
    """A competition as the public sees it (its counts and phase as the pages show them): never
    its answer, nor the answer's hash."""
    cid = id_of(competition)
    shown = public.card(session, competition, now)
    cancelled = shown.phase == catalogue.Phase.CANCELLED
    return {
        "id": cid,
        "title": shown.title,
        "prize": shown.prize,
        "description": competition.description,
        "images": [
            routes.competition_image(cid, name) for name in catalogue.images_of(competition)
        ],
        "ticketPrice": shown.price_pence,
        "ticketPriceDisplay": catalogue.money(shown.price_pence, shown.currency),
        "currency": competition.currency.upper(),
        "maxTickets": shown.max_tickets,
        "soldTickets": shown.sold,
        "heldTickets": competition.held,
        "ticketsLeft": shown.left,
        "perPersonLimit": competition.per_person_limit,
        "minTickets": competition.min_tickets,
        "startDate": iso(shown.starts_at),
        "endDate": iso(shown.ends_at),
        "drawDate": iso(shown.draw_at),
        "status": shown.phase,
        "onSale": catalogue.on_sale(competition, now),
        "closingSoon": shown.closing_soon,
        "soldOut": shown.sold_out,
        "featured": shown.featured,
        "question": competition.question,
        "choices": catalogue.choices_of(competition),
        "winners": competition.winners,
        "cancelReason": (competition.cancel_reason or None) if cancelled else None,
        "links": {
            "self": routes.api_competition(cid),
            "page": routes.competition_page(cid),
            "draw": routes.api_competition_draw(cid),
        },
    }


@json_errors
def list_competitions(request: Request) -> Response:
    """GET /api/competitions?status=active|upcoming|ended|drawn|cancelled"""
    status = request.query_params.get("status", "").strip().lower() or None
    now = utcnow()
    with session_scope() as s:
        try:
            found = catalogue.list_public(s, status, now)
        except UserError as exc:
            return error(exc.message, 400)
        payload = {"competitions": [competition_json(s, c, now) for c in found]}
    return cacheable(request, payload, max_age=COUNTS_MAX_AGE)


@json_errors
def one_competition(request: Request) -> Response:
    """GET /api/competitions/{id}"""
    competition_id = whole_id(request.path_params["competition_id"], "A competition id")
    with session_scope() as s:
        competition = public_competition(s, competition_id)
        if competition is None:
            return error(NOT_FOUND, 404)
        payload = competition_json(s, competition, utcnow())
    return cacheable(request, payload, max_age=COUNTS_MAX_AGE)


@json_errors
def competition_image_file(request: Request) -> Response:
    """GET /api/competitions/{id}/images/{name}: a prize picture; a draft's only for admins."""
    competition_id = whole_id(request.path_params["competition_id"], "A competition id")
    name = request.path_params["name"]
    headers = PUBLIC_IMAGE_HEADERS
    with session_scope() as s:
        found = pictures.image_file(s, competition_id, name) if competition_id else None
        if found is None and competition_id:
            # Perhaps a draft's picture: only then is the cookie worth reading.
            viewer = signed_in_user(s, request)
            if viewer is not None and viewer.is_admin:
                found = pictures.image_file(s, competition_id, name, viewer=viewer)
                headers = DRAFT_IMAGE_HEADERS
    if found is None:
        return error("There is no such picture.", 404)
    path, content_type = found
    return FileResponse(path, media_type=content_type, headers=headers)


@json_errors
def competition_draw(request: Request) -> Response:
    """GET /api/competitions/{id}/draw: the draw's state, its winners and where its proof is."""
    competition_id = whole_id(request.path_params["competition_id"], "A competition id")
    with session_scope() as s:
        competition = public_competition(s, competition_id)
        draw = catalogue.draw_of(s, id_of(competition)) if competition else None
        view = draw_public.view(s, id_of(draw)) if draw else None
        if competition is None or draw is None or view is None:
            return error(NOT_FOUND, 404)
        payload = draw_json(id_of(competition), view, public.result(s, draw).winners)
    settled = view.status in (DrawStatus.DRAWN, DrawStatus.VOID)
    return cacheable(request, payload, max_age=SETTLED_MAX_AGE if settled else COUNTS_MAX_AGE)


def draw_json(
    competition_id: int,
    view: draw_public.DrawView,
    winners: tuple[public.WinningTicket, ...],
) -> dict:
    drawn = view.status == DrawStatus.DRAWN
    closed = view.closed_at is not None
    return {
        "competitionId": competition_id,
        "drawId": view.id,
        "status": view.status,
        "statusText": view.status_words,
        "commitment": view.commitment,
        "drawAt": iso(view.draw_at),
        "closedAt": iso(view.closed_at),
        "drawnAt": iso(view.drawn_at),
        "tickets": view.entry_count if closed else None,
        "seed": view.seed or None,
        "manual": view.is_override,
        "reason": view.reason or None,
        "winners": [
            {
                "position": winner.position,
                "ticket": winner.ticket,
                "winnerName": winner.name if winner.published else None,
                "reroll": winner.reroll,
                "proof": routes.draw_proof(view.id, winner.reroll),
            }
            for winner in winners
        ],
        "proof": routes.draw_proof(view.id) if drawn else None,
        "snapshot": routes.draw_snapshot(view.id) if closed else None,
        "page": routes.draw_page(view.id),
        "live": routes.live_page(view.id),
    }


def public_competition(session: Session, competition_id: int | None) -> Competition | None:
    """A published competition by its id (from responses.whole_id); None for a draft or no id."""
    if competition_id is None:
        return None
    try:
        return catalogue.get_public(session, competition_id)
    except UserError:
        return None

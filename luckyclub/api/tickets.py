"""Tickets over HTTP: a member's own tickets in a competition, and the admin's CSV of all of them.

Both need a session cookie and are never cached by anyone but the browser that asked.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from luckyclub.api.competitions import NOT_FOUND, public_competition
from luckyclub.api.members import signed_in_user
from luckyclub.api.responses import error, iso, json_errors, whole_id
from luckyclub.competitions.orders import export_csv, find, member_tickets
from luckyclub.core.db import session_scope
from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.models import id_of, utcnow

PRIVATE = {"Cache-Control": "private, no-store"}


@json_errors
def my_tickets(request: Request) -> Response:
    """GET /api/tickets/user?competitionId=N: the signed-in member's tickets and orders in it."""
    with session_scope() as s:
        user = signed_in_user(s, request)
        if user is None:
            return error("Sign in to see your tickets.", 401)
        raw = request.query_params.get("competitionId")
        if raw is None:
            return error("Say which competition: add ?competitionId=12 to the address.", 400)
        competition = public_competition(s, whole_id(raw, "competitionId"))
        if competition is None:
            return error(NOT_FOUND, 404)
        user_id, competition_id = id_of(user), id_of(competition)
        mine = member_tickets(s, user_id, competition_id)
        orders = find(s, competition_id=competition_id, user_id=user_id, limit=1000)
        payload = {
            "competitionId": competition_id,
            "tickets": [
                {
                    "number": ticket.number,
                    "status": ticket.status,
                    "orderId": ticket.order_id,
                    "purchasedAt": iso(ticket.bought_at),
                }
                for ticket in mine
            ],
            "orders": [
                {
                    "orderId": order.order_id,
                    "status": order.status,
                    "quantity": order.quantity,
                    "amountDisplay": order.amount,
                    "numbers": order.numbers,
                    "createdAt": iso(order.created_at),
                    "refundReason": order.refund_reason or None,
                }
                for order in orders
            ],
        }
    return JSONResponse(payload, headers=PRIVATE)


@json_errors
def tickets_csv(request: Request) -> Response:
    """GET /api/admin/competitions/{id}/tickets.csv: every ticket, streamed as it is read."""
    competition_id = whole_id(request.path_params["competition_id"], "A competition id")
    with session_scope() as s:
        viewer = signed_in_user(s, request)
        if viewer is None:
            return error("Sign in as an administrator to export tickets.", 401)
        if competition_id is None:
            return error("There is no such competition.", 404)
        try:
            body = export_csv(s, viewer, competition_id)
        except NotAllowed as exc:
            return error(exc.message, 403)
        except UserError as exc:
            return error(exc.message, 404)
    filename = f"luckyclub-competition-{competition_id}-tickets-{utcnow():%Y-%m-%d}.csv"
    return StreamingResponse(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', **PRIVATE},
    )

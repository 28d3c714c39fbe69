"""Signup lists over HTTP: a list's signups as CSV, for its creator, its editors and admins."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from luckyclub.api.members import signed_in_user
from luckyclub.api.responses import error, json_errors, whole_id
from luckyclub.core.db import session_scope
from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.lotteries import export

PRIVATE = {"Cache-Control": "private, no-store"}


@json_errors
def list_signups_csv(request: Request) -> Response:
    """GET /api/lists/{id}/signups.csv: every signup, waitlist place and lottery entry."""
    list_id = whole_id(request.path_params["list_id"], "A list id")
    with session_scope() as s:
        viewer = signed_in_user(s, request)
        if viewer is None:
            return error("Sign in as the list's creator or one of its editors to export it.", 401)
        if list_id is None:
            return error("There is no such list.", 404)
        try:
            body = export.signups_csv(s, viewer, list_id)
        except NotAllowed as exc:
            return error(exc.message, 403)
        except UserError as exc:
            return error(exc.message, 404)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="luckyclub-list-{list_id}-signups.csv"',
            **PRIVATE,
        },
    )

"""GET /api/proofs/{id}/file: a proof's file, for the member who sent it and for admins only.

Proof files live outside every served folder; this is the only way to them. The headers keep a
crafted file from acting in our origin: no sniffing, no caching, and a sandboxing CSP.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from luckyclub.api.members import signed_in_user
from luckyclub.api.responses import error, json_errors
from luckyclub.club import proofs
from luckyclub.core import routes
from luckyclub.core.db import session_scope
from luckyclub.core.errors import NotAllowed, UserError

FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
    "Content-Security-Policy": (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    ),
    "Cross-Origin-Resource-Policy": "same-origin",
}


def _refused(message: str, status: int) -> JSONResponse:
    return error(message, status, key="message")


# A plain function: Starlette runs it in a worker thread, so the database calls do not block.
@json_errors(key="message")
def proof_file(request: Request) -> Response:
    proof_id = routes.whole_id(request.path_params["proof_id"])
    if proof_id is None:
        return _refused("There is no such file.", 404)
    with session_scope() as s:
        viewer = signed_in_user(s, request)
        if viewer is None:
            return _refused("Sign in to see this file.", 401)
        try:
            path, content_type, name = proofs.open_file(s, viewer, proof_id)
        except NotAllowed as exc:
            return _refused(exc.message, 403)
        except UserError as exc:
            return _refused(exc.message, 404)
    return FileResponse(
        path,
        media_type=content_type,
        filename=name,
        content_disposition_type="inline",
        headers=FILE_HEADERS,
    )

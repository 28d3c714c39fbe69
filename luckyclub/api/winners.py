"""GET /api/winners/{id}/media: a winner's photo or video — for admins until the winner is
published, then for everyone (the champions page shows it)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from luckyclub.api.members import signed_in_user
from luckyclub.api.proofs import FILE_HEADERS
from luckyclub.api.responses import error, json_errors, whole_id
from luckyclub.core.db import session_scope
from luckyclub.platform import winner_media


# A plain function: Starlette runs it in a worker thread, so the database calls do not block.
@json_errors
def winner_media_file(request: Request) -> Response:
    winner_id = whole_id(request.path_params["winner_id"], "A winner id")
    with session_scope() as s:
        viewer = signed_in_user(s, request)
        found = winner_media.media_file(s, winner_id, viewer) if winner_id else None
    if found is None:
        # The same answer whether the file is missing or not yet public: nothing to learn here.
        return error("This winner has no published photo or video.", 404)
    path, content_type = found
    # Revalidated on every view: unpublishing a winner must hide the file at once.
    return FileResponse(
        path, media_type=content_type, headers={**FILE_HEADERS, "Cache-Control": "no-cache"}
    )

"""Public raffle media: the prize picture of a raffle members can see."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from luckyclub.api.responses import error, json_errors, whole_id
from luckyclub.club import raffles
from luckyclub.core.db import session_scope

NO_PICTURE = "This raffle has no picture."


# A plain function: Starlette runs it in a worker thread, so the database call does not block.
@json_errors(key="message")
def raffle_image(request: Request) -> Response:
    raffle_id = whole_id(request.path_params["raffle_id"], "A raffle id")
    if raffle_id is None:
        return error(NO_PICTURE, 404, key="message")
    with session_scope() as s:
        found = raffles.image_file(s, raffle_id)
    if found is None:
        return error(NO_PICTURE, 404, key="message")
    path, content_type = found
    return FileResponse(
        path,
        media_type=content_type,
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )

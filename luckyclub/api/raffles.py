"""Public raffle media: the prize picture of a raffle members can see."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from luckyclub.db import session_scope
from luckyclub.services import raffles


async def raffle_image(request: Request) -> Response:
    try:
        raffle_id = int(request.path_params["raffle_id"])
    except ValueError:
        return JSONResponse({"message": "Raffle ids are whole numbers."}, status_code=400)
    with session_scope() as s:
        found = raffles.image_file(s, raffle_id)
    if found is None:
        return JSONResponse({"message": "This raffle has no picture."}, status_code=404)
    path, content_type = found
    return FileResponse(
        path,
        media_type=content_type,
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )

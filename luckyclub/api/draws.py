"""Public draw data: the proof anyone can re-run, and the frozen snapshot of entries."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from luckyclub.db import session_scope
from luckyclub.services import draw_public


def _int_param(request: Request, name: str, default: int | None = None) -> int | None:
    raw = request.path_params.get(name, request.query_params.get(name))
    if raw is None:
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if value >= 0 else None


def _attachment(request: Request, filename: str) -> dict[str, str]:
    if request.query_params.get("download") not in ("1", "true", "yes"):
        return {}
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


async def draw_proof(request: Request) -> Response:
    draw_id, reroll = _int_param(request, "draw_id"), _int_param(request, "reroll", 0)
    if draw_id is None or reroll is None:
        return JSONResponse(
            {"message": "Draw ids and reroll numbers are whole numbers, 0 or more."},
            status_code=400,
        )

    def build() -> dict:
        with session_scope() as s:
            return draw_public.proof_document(s, draw_id, reroll)

    try:
        document = await run_in_threadpool(build)
    except draw_public.ProofNotReady as error:
        return JSONResponse({"message": str(error)}, status_code=404)
    name = f"luckyclub-draw-{draw_id}" + (f"-reroll-{reroll}" if reroll else "") + "-proof.json"
    return JSONResponse(document, headers=_attachment(request, name))


async def draw_snapshot(request: Request) -> Response:
    draw_id = _int_param(request, "draw_id")
    if draw_id is None:
        return JSONResponse({"message": "Draw ids are whole numbers."}, status_code=400)

    def read() -> bytes | None:
        with session_scope() as s:
            return draw_public.snapshot_text(s, draw_id)

    body = await run_in_threadpool(read)
    if body is None:
        return JSONResponse(
            {"message": "There is no snapshot yet: it is published when the pool closes."},
            status_code=404,
        )
    return Response(
        body,
        media_type="text/plain; charset=utf-8",
        headers=_attachment(request, f"luckyclub-draw-{draw_id}-snapshot.txt"),
    )

"""Public draw data: the proof anyone can re-run, and the frozen snapshot of entries."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from luckyclub.api.responses import BadId, error, json_errors, whole_id
from luckyclub.core import routes, security
from luckyclub.core.db import session_scope
from luckyclub.platform import draw_public

NO_SUCH_DRAW = "There is no such draw."


def _attachment(request: Request, filename: str) -> dict[str, str]:
    if request.query_params.get("download") not in ("1", "true", "yes"):
        return {}
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def _reroll(request: Request) -> int | None:
    """The reroll asked for (0, the draw itself, by default); None for one too large to exist."""
    raw = request.query_params.get("reroll", "0")
    if not routes.is_whole_number(raw):
        raise BadId("A reroll is a whole number, 0 or more, like 1.")
    return routes.whole_number(raw)


# Plain functions: Starlette runs them in a worker thread, so the database calls do not block.
@json_errors
def draw_proof(request: Request) -> Response:
    draw_id = whole_id(request.path_params["draw_id"], "A draw id")
    reroll = _reroll(request)
    if draw_id is None:
        return error(NO_SUCH_DRAW, 404)
    if reroll is None:
        return error("This draw has no such reroll.", 404)
    try:
        with session_scope() as s:
            document = draw_public.proof_document(s, draw_id, reroll)
    except draw_public.ProofNotReady as exc:
        return error(str(exc), 404)
    name = f"luckyclub-draw-{draw_id}" + (f"-reroll-{reroll}" if reroll else "") + "-proof.json"
    return JSONResponse(document, headers=_attachment(request, name))


@json_errors
def draw_snapshot(request: Request) -> Response:
    draw_id = whole_id(request.path_params["draw_id"], "A draw id")
    with session_scope() as s:
        body = draw_public.snapshot_text(s, draw_id) if draw_id else None
    if body is None:
        return error("There is no snapshot yet: it is published when the pool closes.", 404)
    return Response(
        body,
        media_type="text/plain; charset=utf-8",
        headers=_attachment(request, f"luckyclub-draw-{draw_id}-snapshot.txt"),
    )


@json_errors
def draw_entry(request: Request) -> Response:
    """One entrant's line and its Merkle inclusion proof (?ref=…, or ?ticket=N in a ticket pool),
    so a member can check their entry against the root published at close without the snapshot."""
    draw_id = whole_id(request.path_params["draw_id"], "A draw id")
    asked = request.query_params.get("ticket") or request.query_params.get("ref") or ""
    if not asked:
        return error("Give your entrant ref (?ref=…) or, in a competition, ?ticket=42.", 400)
    if draw_id is None:
        return error(NO_SUCH_DRAW, 404)
    client_ip = security.client_address(
        request.client.host if request.client else "", request.headers.get("x-forwarded-for")
    )
    with session_scope() as s:
        check = draw_public.check_entry(s, draw_id, asked[:200], client_ip=client_ip)
    if check.retry_after:
        refused = error(check.message, 429)
        refused.headers["Retry-After"] = str(check.retry_after)
        return refused
    if not check.found:
        return error(check.message, 404)
    return JSONResponse(
        {
            "line": check.line,
            "index": check.index,
            "size": check.size,
            "path": list(check.path),
            "merkleRoot": check.root,
            "verified": check.verified,
            "message": check.message,
        },
        headers={"Cache-Control": "no-store"},
    )

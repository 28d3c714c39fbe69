"""GET /api/health: is the app up, and does the database answer?"""

from starlette.requests import Request
from starlette.responses import JSONResponse

from luckyclub import db


async def health(request: Request) -> JSONResponse:
    database = db.ping()
    ok = database == "ok"
    return JSONResponse(
        {"status": "ok" if ok else "degraded", "database": database},
        status_code=200 if ok else 503,
        headers={"Cache-Control": "no-store"},
    )

"""GET /api/health: is the app up, does the database answer, and how are payments set up?"""

from starlette.requests import Request
from starlette.responses import JSONResponse

from luckyclub.api.responses import json_errors
from luckyclub.core import db
from luckyclub.integrations.payments import get_payments


# A plain function: Starlette runs it in a worker thread, so the database ping does not block.
@json_errors
def health(request: Request) -> JSONResponse:
    database = db.ping()
    ok = database == "ok"
    return JSONResponse(
        {
            "status": "ok" if ok else "degraded",
            "database": database,
            "payments": get_payments().describe(),
        },
        status_code=200 if ok else 503,
        headers={"Cache-Control": "no-store"},
    )

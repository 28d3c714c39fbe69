"""GET /api/health: is the app up, does the database answer, and how are payments set up?"""

from starlette.requests import Request
from starlette.responses import JSONResponse

from luckyclub.api.responses import json_errors
from luckyclub.core import db
from luckyclub.core.settings import Settings, get_settings


def payments_mode(settings: Settings) -> str:
    if settings.stripe_test_mode:
        return "test mode (no STRIPE_SECRET_KEY: nothing is charged)"
    if not settings.stripe_webhook_secret:
        return "misconfigured: set STRIPE_WEBHOOK_SECRET, or Stripe's events are refused"
    return "stripe"


# A plain function: Starlette runs it in a worker thread, so the database ping does not block.
@json_errors
def health(request: Request) -> JSONResponse:
    database = db.ping()
    ok = database == "ok"
    return JSONResponse(
        {
            "status": "ok" if ok else "degraded",
            "database": database,
            "payments": payments_mode(get_settings()),
        },
        status_code=200 if ok else 503,
        headers={"Cache-Control": "no-store"},
    )

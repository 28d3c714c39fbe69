"""POST /api/stripe/webhook: Stripe's events (and the test twin's), applied by platform/payments.py.

The signature covers the raw body, so the body is passed on exactly as it arrived.
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from luckyclub.api.responses import json_errors
from luckyclub.core.errors import UserError
from luckyclub.platform import payments

log = logging.getLogger(__name__)


@json_errors(key="message")
async def stripe_webhook(request: Request) -> Response:
    payload = await request.body()
    signature = request.headers.get("stripe-signature")
    try:
        outcome = await run_in_threadpool(payments.handle_webhook, payload, signature)
    except UserError as exc:  # a bad signature or body: Stripe shows the message in its dashboard
        return JSONResponse({"message": exc.message}, status_code=400)
    except Exception:  # noqa: BLE001 - nothing was committed; a 5xx makes Stripe send it again
        log.exception("Stripe webhook failed")
        return JSONResponse(
            {"message": "The event could not be processed now; Stripe will send it again."},
            status_code=500,
        )
    return JSONResponse({"received": True, "outcome": outcome})

"""What the HTTP notification adapters (Klaviyo, SMS) share: one POST with a timeout, and the one
rule that sorts a provider's answer into sent, worth another try, or refused for good."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx

TIMEOUT_SECONDS = 10  # the outbox claims a message for 2 minutes; one request must end well before

# A 4xx means "this request is wrong" and sending it again cannot help, except these:
# 408 (the provider timed out waiting for us) and 429 (too many requests: slow down).
RETRYABLE_4XX = frozenset({408, 429})


class DeliveryError(Exception):
    """A provider did not take a notification. The text never holds a key, token or password.

    `permanent`: the provider refused this very message (a 4xx), so retrying would only repeat it.
    `retry_after`: seconds the provider asked us to wait (429 with Retry-After), if it said; the
    outbox decides how much of that it honours.
    """

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


def post(
    provider: str,
    url: str,
    *,
    accepted: Iterable[int],
    secrets: Iterable[str | None] = (),
    **request: Any,
) -> httpx.Response:
    """POST and return the response if its status is one of `accepted`; else raise DeliveryError.

    `secrets` are blanked out of every error text, whatever the provider or httpx put in it.
    """
    try:
        response = httpx.post(url, timeout=TIMEOUT_SECONDS, **request)
    except httpx.HTTPError as exc:
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise DeliveryError(scrub(f"{provider} could not be reached: {detail}", secrets)) from exc
    status = response.status_code
    if status in set(accepted):
        return response
    answer = " ".join(response.text.split())[:300] or response.reason_phrase
    permanent = 400 <= status < 500 and status not in RETRYABLE_4XX
    raise DeliveryError(
        scrub(f"{provider} answered {status}: {answer}", secrets),
        permanent=permanent,
        retry_after=_retry_after(response) if status == 429 else None,
    )


def _retry_after(response: httpx.Response) -> float | None:
    # Only the seconds form: providers we talk to send that, and a date would need a clock check.
    value = response.headers.get("Retry-After", "").strip()
    if not value.isdigit():
        return None
    return float(value)


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """The text with every given secret blanked out."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text

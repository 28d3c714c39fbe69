"""Sends one event to Klaviyo's Events API, where it can start a flow (an email or text written in
Klaviyo). Knows nothing about the outbox: `event_body` builds what the outbox stores, `send_event`
posts it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from luckyclub.core.settings import Settings
from luckyclub.integrations.delivery import DeliveryError, post

CONTENT_TYPE = "application/vnd.api+json"


def event_body(
    name: str,
    *,
    email: str,
    external_id: str,
    unique_id: str,
    time: datetime,
    properties: dict[str, Any],
    phone: str | None = None,
    value: float | None = None,
    currency: str = "GBP",
) -> dict[str, Any]:
    """The JSON:API document of one event for POST /api/events/.

    Klaviyo drops an event whose unique_id it has already seen for the same profile and metric,
    so a retry after a lost answer does not count twice there either.
    """
    profile: dict[str, Any] = {"email": email, "external_id": external_id}
    if phone:
        profile["phone_number"] = phone
    attributes: dict[str, Any] = {
        "properties": properties,
        "metric": {"data": {"type": "metric", "attributes": {"name": name}}},
        "profile": {"data": {"type": "profile", "attributes": profile}},
        "unique_id": unique_id,
        "time": time.isoformat(),
    }
    if value is not None:
        attributes["value"] = value
        attributes["value_currency"] = currency
    return {"data": {"type": "event", "attributes": attributes}}


def send_event(payload: dict[str, Any], settings: Settings) -> None:
    """Post one event document; raises DeliveryError unless Klaviyo answers 202 Accepted."""
    if not settings.klaviyo_api_key:
        raise DeliveryError("KLAVIYO_API_KEY is not set.", permanent=True)
    post(
        "Klaviyo",
        f"{settings.klaviyo_api_base}/api/events/",
        accepted={202},
        secrets=[settings.klaviyo_api_key],
        json=payload,
        headers={
            "Authorization": f"Klaviyo-API-Key {settings.klaviyo_api_key}",
            "revision": settings.klaviyo_revision,
            "Content-Type": CONTENT_TYPE,
            "Accept": CONTENT_TYPE,
        },
    )

"""Sends one text message through a Twilio-compatible Messages API (Twilio itself, or any provider
or local stand-in that speaks the same form-encoded POST). Knows nothing about the outbox."""

from __future__ import annotations

from urllib.parse import quote

from luckyclub.core.settings import Settings
from luckyclub.integrations.delivery import DeliveryError, post

MAX_LENGTH = 1600  # Twilio refuses longer bodies; it splits up to this into several segments


def send_text(to: str, body: str, settings: Settings) -> None:
    """Hand one text to the provider; raises DeliveryError unless it answers 201 (or 200)."""
    sid, token, sender = settings.sms_account_sid, settings.sms_auth_token, settings.sms_from
    if not (sid and token and sender):
        raise DeliveryError(
            "SMS_ACCOUNT_SID, SMS_AUTH_TOKEN and SMS_FROM must all be set.", permanent=True
        )
    post(
        "The SMS provider",
        f"{settings.sms_api_base}/2010-04-01/Accounts/{quote(sid, safe='')}/Messages.json",
        accepted={200, 201},
        secrets=[token],
        auth=(sid, token),
        data={"To": to, "From": sender, "Body": body},
    )

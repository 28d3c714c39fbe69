"""Signups on a list: first come, first served while spots remain, waitlists, and offers — a
pending signup to accept within 24 hours (a lottery win or a freed spot offered from the waitlist)."""

from __future__ import annotations

import secrets
from datetime import timedelta

OFFER_FOR = timedelta(hours=24)  # how long a pending signup waits for its Accept


def new_token() -> str:
    """The secret in an offer's Accept/Decline link (its email and My Signups)."""
    return secrets.token_urlsafe(24)

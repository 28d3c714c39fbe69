"""Asks drand relays for a beacon round: the one network call a draw makes. Relays are only
messengers, so every answer is verified offline (luckyclub.draws.beacon) before it is used."""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from luckyclub.core.settings import get_settings
from luckyclub.draws.beacon import (
    CHAIN_HASH,
    BeaconInvalid,
    BeaconRound,
    BeaconUnavailable,
    verify_beacon,
)


def fetch_round(
    round_number: int,
    *,
    relays: Sequence[str] | None = None,
    client: httpx.Client | None = None,
    timeout: float = 5.0,
) -> BeaconRound:
    """Ask each relay in turn (DRAND_RELAYS unless `relays` is given) for the round and return the
    first one that verifies.

    BeaconInvalid if some relay answered with a round that does not verify and none with one that
    does; BeaconUnavailable if no relay gave a drand answer at all.
    """
    relays = get_settings().drand_relays if relays is None else relays
    own_client = client is None
    http = httpx.Client(timeout=timeout) if client is None else client
    problems: list[str] = []
    invalid = False
    try:
        for relay in relays:
            url = f"{relay.rstrip('/')}/{CHAIN_HASH}/public/{round_number}"
            try:
                response = http.get(url, timeout=timeout)
                response.raise_for_status()
                answer = response.json()
                signature, randomness = answer["signature"], answer["randomness"]
                if answer["round"] != round_number:
                    raise BeaconInvalid(f"asked for round {round_number}, got {answer['round']}")
                if not isinstance(signature, str) or not isinstance(randomness, str):
                    raise TypeError("signature and randomness are not text")
            except BeaconInvalid as error:
                invalid = True
                problems.append(f"{relay}: {error}")
                continue
            except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
                problems.append(f"{relay}: {type(error).__name__}: {error}")
                continue
            try:
                verified = verify_beacon(round_number, signature, randomness)
            except BeaconInvalid as error:
                invalid = True
                problems.append(f"{relay}: {error}")
                continue
            return BeaconRound(round=round_number, randomness=verified, signature=signature.lower())
    finally:
        if own_client:
            http.close()
    detail = "; ".join(problems) or "no relays configured"
    if invalid:
        raise BeaconInvalid(f"No relay gave a valid drand round {round_number} ({detail}).")
    raise BeaconUnavailable(
        f"drand round {round_number} is not available from any relay yet; try again later "
        f"({detail})."
    )

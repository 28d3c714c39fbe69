"""The public randomness beacon a draw can be bound to: drand quicknet, a round every 3 seconds.

A draw uses the first round published after entries close plus a margin, so no one — LuckyClub
included — knew its randomness when the snapshot was frozen. Relays are only messengers: every
round is checked offline against the chain's public key before it is used. Asking the relays is
the adapter's work (luckyclub/integrations/drand.py); this module does no network.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import drand_verify

NETWORK = "drand-quicknet"
CHAIN_HASH = "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"
GENESIS = 1692803367
PERIOD = 3
_SIGNATURE = re.compile(r"[0-9a-fA-F]{96}")
DEFAULT_RELAYS = (
    "https://api.drand.sh",
    "https://api2.drand.sh",
    "https://api3.drand.sh",
    "https://drand.cloudflare.com",
)


class BeaconError(Exception):
    """The beacon round could not be had or could not be trusted."""


class BeaconUnavailable(BeaconError):
    """No relay answered with the round (down, too early, or not a drand answer)."""


class BeaconInvalid(BeaconError):
    """A round whose signature does not verify against the quicknet public key."""


@dataclass(frozen=True)
class BeaconRound:
    round: int
    randomness: str  # 64 hex digits = SHA-256 of the signature bytes
    signature: str  # 96 hex digits, a BLS signature on G1

    def to_dict(self) -> dict:
        return {
            "network": NETWORK,
            "chain_hash": CHAIN_HASH,
            "round": self.round,
            "randomness": self.randomness,
            "signature": self.signature,
        }


def round_at(moment: int | float | datetime) -> int:
    """The latest round published at or before `moment`: floor((t − genesis) / 3) + 1."""
    seconds = _unix(moment)
    if seconds < GENESIS:
        raise ValueError("drand quicknet had no rounds before its genesis (2023-08-23).")
    return math.floor((seconds - GENESIS) / PERIOD) + 1


def round_time(round_number: int) -> int:
    """When a round is published, in UNIX seconds: genesis + (round − 1) × 3."""
    if type(round_number) is not int or round_number < 1:
        raise ValueError("drand rounds are numbered from 1.")
    return GENESIS + (round_number - 1) * PERIOD


def round_for_close(close_time: int | float | datetime, margin_seconds: int = 0) -> int:
    """The round a draw is bound to: the first one published after close_time + margin_seconds."""
    if margin_seconds < 0:
        raise ValueError("The beacon margin cannot be negative.")
    return round_at(_unix(close_time) + margin_seconds) + 1


def verify_beacon(round_number: object, signature: object, randomness: object = None) -> str:
    """The round's randomness (hex) once its signature verifies; BeaconInvalid otherwise. The
    arguments may come from a proof file, so anything is taken and its shape checked here.

    When `randomness` is given (what a relay or a proof claims), it must be the verified one.
    """
    # drand_verify panics (a BaseException, with a Rust backtrace) on text that is not hex, so the
    # shape is checked here first.
    if type(round_number) is not int or not 1 <= round_number < 1 << 64:
        raise BeaconInvalid(f"{round_number!r} is not a drand round number.")
    if not isinstance(signature, str) or not _SIGNATURE.fullmatch(signature):
        raise BeaconInvalid(
            f"The signature for drand round {round_number} is not 96 hex digits (48 bytes)."
        )
    try:
        verified = drand_verify.verify_quicknet(round_number, signature)
    except ValueError:
        raise BeaconInvalid(
            f"The signature for drand round {round_number} does not verify against the quicknet "
            "public key."
        ) from None
    if randomness is not None and (
        not isinstance(randomness, str) or randomness.lower() != verified
    ):
        raise BeaconInvalid(
            f"drand round {round_number}: randomness {randomness} is not the one its signature "
            f"gives ({verified})."
        )
    return verified


def _unix(moment: int | float | datetime) -> float:
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("Give the close time as a timezone-aware datetime (UTC).")
        return moment.astimezone(UTC).timestamp()
    if isinstance(moment, bool) or not isinstance(moment, int | float):
        raise TypeError("A moment is UNIX seconds or a timezone-aware datetime.")
    return moment

"""Discord's interaction signatures: only the application's key over timestamp + raw body passes;
anything malformed is refused rather than raised."""

from __future__ import annotations

import dataclasses

from nacl.signing import SigningKey

from luckyclub.core.settings import get_settings
from luckyclub.integrations import discord

KEY = SigningKey(b"\x07" * 32)
SETTINGS = dataclasses.replace(get_settings(), discord_public_key=KEY.verify_key.encode().hex())


def _sign(timestamp: str, body: bytes, key: SigningKey = KEY) -> str:
    return key.sign(timestamp.encode() + body).signature.hex()


def test_the_applications_signature_over_timestamp_and_body_verifies():
    assert discord.verify_interaction(
        "1700000000", b'{"type":1}', _sign("1700000000", b'{"type":1}'), settings=SETTINGS
    )


def test_a_changed_body_timestamp_or_key_is_refused():
    signature = _sign("1700000000", b'{"type":1}')
    assert not discord.verify_interaction("1700000000", b'{"type":2}', signature, settings=SETTINGS)
    assert not discord.verify_interaction("1700000001", b'{"type":1}', signature, settings=SETTINGS)
    other = _sign("1700000000", b'{"type":1}', SigningKey(b"\x08" * 32))
    assert not discord.verify_interaction("1700000000", b'{"type":1}', other, settings=SETTINGS)


def test_malformed_signatures_and_keys_are_false_not_errors():
    body = b'{"type":1}'
    for signature in ("", "zz", "ab" * 10, "not hex at all"):
        assert not discord.verify_interaction("1", body, signature, settings=SETTINGS)
    good = _sign("1", body)
    for key in (None, "", "zz", "ab" * 5):
        unset = dataclasses.replace(SETTINGS, discord_public_key=key)
        assert not discord.verify_interaction("1", body, good, settings=unset)
    assert not discord.verify_interaction("", body, good, settings=SETTINGS)

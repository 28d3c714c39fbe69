"""Linking Discord: one Discord id per account and one account per id; a rename follows the id."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from luckyclub.community import discord_link
from luckyclub.core.errors import UserError
from tests.db.factories import add_user

DEC_4 = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def test_one_discord_id_per_account_and_one_account_per_id(session):
    ann = add_user(session, "ann@example.com")
    bob = add_user(session, "bob@example.com")
    discord_link.link_discord(session, ann, 900000000000000001, "ann_d", DEC_4)
    session.commit()

    with pytest.raises(UserError, match="linked to another LuckyClub account"):
        discord_link.link_discord(session, bob, 900000000000000001, "ann_d", DEC_4)
    with pytest.raises(UserError, match="one Discord account per LuckyClub account"):
        discord_link.link_discord(session, ann, 900000000000000002, "ann_alt", DEC_4)
    again = discord_link.link_discord(session, ann, 900000000000000001, "ann_renamed", DEC_4)
    session.commit()

    assert again.username == "ann_renamed" and again.linked_at == DEC_4
    assert discord_link.account_of(session, 900000000000000001).id == ann.id
    assert discord_link.account_of(session, 900000000000000002) is None

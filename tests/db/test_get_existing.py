"""db.get_existing: a row the caller knows is there, or a LookupError naming what is missing."""

from __future__ import annotations

import pytest

from luckyclub.core import db
from luckyclub.models import User, id_of
from tests.db.factories import add_user


def test_get_existing_returns_the_row(session):
    user = add_user(session, "ann@example.com")

    assert db.get_existing(session, User, id_of(user), for_update=True) is user


def test_get_existing_names_the_table_and_key_of_a_missing_row(session):
    with pytest.raises(LookupError, match="User 424242 does not exist"):
        db.get_existing(session, User, 424242)

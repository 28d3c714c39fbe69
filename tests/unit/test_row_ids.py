"""id_of: the id of a row known to be stored, never None passed on into a query."""

from __future__ import annotations

from datetime import date

import pytest

from luckyclub.models import User, id_of


def _user(**fields) -> User:
    return User(
        email="ann@example.com",
        password_hash="not checked here",
        display_name="Ann",
        date_of_birth=date(1990, 4, 21),
        **fields,
    )


def test_id_of_gives_a_stored_rows_id():
    assert id_of(_user(id=7)) == 7


def test_id_of_refuses_a_row_never_flushed_and_names_its_table():
    with pytest.raises(ValueError, match="User has no id yet"):
        id_of(_user())

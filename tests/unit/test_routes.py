"""Reading numbers back out of addresses: ASCII digits only, and never a number the database
would refuse."""

from __future__ import annotations

import pytest

from luckyclub.core import routes


@pytest.mark.parametrize("text", ["", " ", "abc", "12a", "-3", "1.5", "²", "١٢", "1\n2", "+4"])
def test_anything_but_ascii_digits_is_not_a_whole_number(text):
    assert routes.whole_number(text) is None


def test_a_whole_number_is_read_up_to_the_largest_a_column_holds():
    assert routes.whole_number(" 12 ") == 12
    assert routes.whole_number("0") == 0
    assert routes.whole_number(str(2**31 - 1)) == 2**31 - 1
    assert routes.whole_number(str(2**31)) is None  # every integer column is 32-bit
    assert routes.whole_number("1" * 5000) is None  # never int()'s digit limit
    assert routes.whole_number("8", largest=7) is None


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/competitions/42", 42),
        ("/live/42/", 42),
        ("/admin/competitions/7", 7),
        ("/draws/42abc", None),
        ("/draws/²", None),
        ("/competitions/0", None),
        (f"/competitions/{2**31 - 1}", 2**31 - 1),
        (f"/competitions/{2**31}", None),  # PostgreSQL would raise rather than find nothing
        ("/competitions/" + "9" * 20, None),
        ("", None),
    ],
)
def test_an_id_from_a_path_is_one_that_could_exist(path, expected):
    assert routes.id_from_path(path) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (7, 7),
        ("7", 7),
        (2**31 - 1, 2**31 - 1),
        (2**31, None),
        (3_000_000_000, None),
        ("3000000000", None),
        (0, None),
        (-1, None),
        (True, None),  # a bool is an int to Python, never an id
        (7.0, None),
        ("1_000", None),  # int() would take it
        (None, None),
        ([7], None),
    ],
)
def test_an_id_sent_as_a_number_or_as_text_is_read_one_way(value, expected):
    assert routes.whole_id(value) == expected

"""Amounts as people read them, in the currency they are in."""

from __future__ import annotations

import pytest

from luckyclub.core.money import major_units, money


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (250, "gbp", "£2.50"),
        (123_456_789, "GBP", "£1,234,567.89"),
        (100_000, "eur", "€1,000.00"),
        (5, "usd", "$0.05"),
        (250, "chf", "CHF 2.50"),
        (500, "jpy", "JPY 500"),
        (-350, "gbp", "-£3.50"),
    ],
)
def test_an_amount_is_shown_in_its_own_currency(amount, currency, shown):
    assert money(amount, currency) == shown


def test_without_a_currency_an_amount_is_in_pounds():
    assert money(1_000) == "£10.00"


def test_klaviyo_values_are_in_whole_units_of_the_currency():
    assert (major_units(250, "eur"), major_units(500, "jpy")) == (2.5, 500.0)

"""The affiliate stats adapter against tests/fake_affiliate.py: arrays, the 200 that is a rate
limit, 429, malformed rows — and the secret URL never in a message."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from luckyclub.integrations.affiliate import AffiliateError, WagerRow, fetch_stats
from tests.fake_affiliate import FakeAffiliate
from tests.fake_http import Answer

START = datetime(2030, 5, 1, tzinfo=UTC)
END = datetime(2030, 5, 14, 9, 30, tzinfo=UTC)


@pytest.fixture()
def stats():
    with FakeAffiliate().running() as server:
        yield server


def test_rows_come_back_with_exact_amounts_for_the_window(stats):
    stats.totals = {"Ann": Decimal("1234.56"), "bob": 49}
    rows = fetch_stats(stats.stats_url, START, END)
    assert rows == [
        WagerRow("Ann", Decimal("1234.56"), "club"),
        WagerRow("bob", Decimal("49.0"), "club"),
    ]
    assert stats.windows() == [(int(START.timestamp()), int(END.timestamp()))]


def test_an_empty_array_is_no_rows(stats):
    assert fetch_stats(stats.stats_url, START, END) == []


def test_a_200_that_is_not_an_array_is_an_error(stats):
    stats.rate_limited()
    with pytest.raises(AffiliateError, match="TOO_MANY_REQUEST") as raised:
        fetch_stats(stats.stats_url, START, END)
    assert stats.uuid not in str(raised.value)


def test_429_and_server_errors_are_errors(stats):
    stats.answer(429, Answer(502, b"bad gateway"))
    with pytest.raises(AffiliateError, match="429"):
        fetch_stats(stats.stats_url, START, END)
    with pytest.raises(AffiliateError, match="502"):
        fetch_stats(stats.stats_url, START, END)


@pytest.mark.parametrize(
    "row",
    [
        {"username": "ann"},
        {"username": "", "wagerAmount": 10},
        {"username": "ann", "wagerAmount": -1},
        {"username": "ann", "wagerAmount": "lots"},
        {"username": "ann", "wagerAmount": True},
        {"username": 7, "wagerAmount": 10},
        "ann",
    ],
)
def test_a_malformed_row_fails_the_poll(stats, row):
    stats.answer([{"username": "bob", "wagerAmount": 5}, row])
    with pytest.raises(AffiliateError, match="malformed row"):
        fetch_stats(stats.stats_url, START, END)


def test_not_json_is_an_error(stats):
    stats.answer(Answer(200, b"<html>maintenance</html>"))
    with pytest.raises(AffiliateError, match="not JSON"):
        fetch_stats(stats.stats_url, START, END)


def test_unreachable_stats_never_show_the_url(stats):
    url = stats.stats_url
    stats.stop()
    with pytest.raises(AffiliateError) as raised:
        fetch_stats(url, START, END, timeout=2)
    assert stats.uuid not in str(raised.value)


def test_a_falling_total_is_reported_as_it_is(stats):
    stats.totals = {"ann": 2000}
    assert fetch_stats(stats.stats_url, START, END)[0].wagered == 2000
    stats.totals = {"ann": 1500}
    assert fetch_stats(stats.stats_url, START, END)[0].wagered == 1500

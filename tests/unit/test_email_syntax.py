"""Addresses are plain local@domain.tld: nothing a spreadsheet would run or a person misread."""

from __future__ import annotations

import pytest

from luckyclub.core.errors import UserError
from luckyclub.platform.accounts import EMAIL_PROBLEM, normalise_email


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("ann@example.com", "ann@example.com"),
        ("  Ann.Smith+draws@Mail.Example.co.uk ", "ann.smith+draws@mail.example.co.uk"),
        ("first_last-2%x@sub-domain.example.org", "first_last-2%x@sub-domain.example.org"),
        ("admin@luckyclub.local", "admin@luckyclub.local"),
        ("O'Brien@example.ie", "o'brien@example.ie"),
        ("ann@xn--bcher-kva.example", "ann@xn--bcher-kva.example"),
        ("a" * 64 + "@example.com", "a" * 64 + "@example.com"),
    ],
)
def test_a_plain_address_is_accepted_in_lower_case(typed, kept):
    assert normalise_email(typed) == kept


@pytest.mark.parametrize(
    "typed",
    [
        '=HYPERLINK("http://evil.example/?x"&"@x.co","Open")',
        "=cmd@example.com",
        "+ann@example.com",
        "-ann@example.com",
        '"ann smith"@example.com',
        "'ann@example.com",
        "ann(comment)@example.com",
        "ann smith@example.com",
        "ann\t@example.com",
        "ann..smith@example.com",
        ".ann@example.com",
        "ann.@example.com",
        "ann@example",
        "ann@-example.com",
        "ann@example-.com",
        "ann@example.c",
        "ann@example.123",
        "ann@@example.com",
        "ann@exa_mple.com",
        "a" * 65 + "@example.com",
        "ann@example.com\nBcc: x@example.com",
        "ánn@example.com",
        "",
    ],
)
def test_anything_else_is_refused_with_a_sentence_saying_what_to_type(typed):
    with pytest.raises(UserError) as refused:
        normalise_email(typed)

    assert refused.value.message == EMAIL_PROBLEM and refused.value.field == "email"

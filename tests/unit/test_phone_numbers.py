"""Mobile numbers for text messages: whatever a member types becomes E.164, or a clear sentence."""

import pytest

from luckyclub.core.errors import UserError
from luckyclub.platform.accounts import normalise_phone


@pytest.mark.parametrize(
    ("typed", "saved"),
    [
        ("+447700900123", "+447700900123"),
        ("+44 7700 900123", "+447700900123"),
        ("07700 900123", "+447700900123"),
        ("07700-900-123", "+447700900123"),
        ("+44 (0)7700 900123", "+447700900123"),
        ("0044 7700 900123", "+447700900123"),
        ("+1 (415) 555-0100", "+14155550100"),
        ("+353 85 123 4567", "+353851234567"),
    ],
)
def test_a_number_in_any_common_form_is_saved_in_e164(typed, saved):
    assert normalise_phone(typed) == saved


@pytest.mark.parametrize("typed", ["", "   ", " - "])
def test_an_empty_field_means_no_number(typed):
    assert normalise_phone(typed) is None


@pytest.mark.parametrize(
    "typed",
    [
        "7700 900123",  # no country code and no leading 0
        "020 7946 0000",  # a UK landline
        "+0 1234 5678",
        "+44 77OO 900123",  # letters O for zeros
        "+1234",
        "+1234567890123456",  # 16 digits: more than E.164 allows
    ],
)
def test_anything_else_is_refused_with_a_sentence_saying_what_to_type(typed):
    with pytest.raises(UserError) as refused:
        normalise_phone(typed)

    assert refused.value.field == "phone"
    assert refused.value.message.startswith("Enter a mobile number with its country code")

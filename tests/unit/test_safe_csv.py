"""Every CSV LuckyClub writes goes through safe_csv, which writes no cell a spreadsheet runs."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

import luckyclub
from luckyclub.core import safe_csv

IMPORTS_CSV = re.compile(r"^\s*(import csv\b|from csv import)", re.MULTILINE)
EVIL_EMAIL = '=HYPERLINK("http://evil.example/?x"&"@x.co","Open")'


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (EVIL_EMAIL, "'" + EVIL_EMAIL),
        ("+SUM(1,2)", "'+SUM(1,2)"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("ann@example.com", "ann@example.com"),
        ("Road bike", "Road bike"),
        ("", ""),
        (None, ""),
        (-3, "-3"),  # a number LuckyClub wrote stays a number
        (2, "2"),
    ],
)
def test_a_cell_that_starts_like_a_formula_is_written_as_text(value, written):
    out = io.StringIO()
    safe_csv.writer(out).writerow(["x", value])

    assert next(csv.reader(io.StringIO(out.getvalue(), newline=""))) == ["x", written]


def test_no_module_writes_csv_but_through_safe_csv():
    package = Path(luckyclub.__file__).parent
    writers = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.name != "safe_csv.py" and IMPORTS_CSV.search(path.read_text(encoding="utf-8"))
    ]
    assert writers == []

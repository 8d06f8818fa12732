"""Dates as people type them: 2024-03-05, 2024/3/5, 2024.3.5 or 2024年3月5日, or an Excel date serial.

An Excel date serial is the day count Excel stores (45000 = 2023-03-15): it shows up as text when a date
cell lost its date format, or when a date was typed into a text cell. Whole numbers between 1950-01-01
(18264) and 2099-12-31 (73050) in a date column are read as such dates.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

_EXCEL_EPOCH = date(1899, 12, 30)  # Excel's 1900 date system, for every serial after 1900-03-01
_SERIALS = range(18264, 73051)

_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$")


def parse_date(value: str) -> str | None:
    """ISO date for 2024-03-05, 2024/3/5, 2024.3.5 or 2024年3月5日 (time of day ignored); else None."""
    if len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            return None
    match = _DATE.match(value)
    if not match:
        return excel_serial_date(value)
    try:
        return date(int(match[1]), int(match[2]), int(match[3])).isoformat()
    except ValueError:
        return None


def excel_serial_date(value: str) -> str | None:
    """ISO date of an Excel date serial ('45000' or '45000.0'; a time of day ignored); else None."""
    whole, _, fraction = value.partition(".")
    if fraction and not fraction.isdigit():
        return None
    if not (4 <= len(whole) <= 5 and whole.isdigit()):
        return None
    serial = int(whole)
    return (_EXCEL_EPOCH + timedelta(days=serial)).isoformat() if serial in _SERIALS else None

"""Dates as people type them: 2024-03-05, 2024/3/5, 2024.3.5 or 2024年3月5日."""

from __future__ import annotations

import re
from datetime import date

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
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3])).isoformat()
    except ValueError:
        return None

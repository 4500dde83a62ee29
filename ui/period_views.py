"""A period's figures beside the period before: the span before, and a tile's change."""

from __future__ import annotations

from datetime import date, timedelta

from services.figures import half_up, percent_value
from ui.i18n import t

RATES = ("good_rate", "satisfied_rate", "completion_rate")


def previous_span(start: date, end: date) -> tuple[date, date]:
    """The same number of days, ending the day before `start`."""
    days = (end - start).days + 1
    return start - timedelta(days=days), start - timedelta(days=1)


def change(now: dict, before: dict, key: str) -> str | None:
    """A tile's change against the period before, as st.metric's delta: counts and hours as a
    signed number, rates in percentage points; None when either side has no figure."""
    a, b = now.get(key), before.get(key)
    if a is None or b is None:
        return None
    if key in RATES:
        diff = half_up(percent_value(a) - percent_value(b), 1)
        return t("period_change.points", value=f"{diff:+.1f}")
    diff = half_up(a - b, 1)
    return f"{diff:+,.1f}" if isinstance(a, float) else f"{int(diff):+,d}"

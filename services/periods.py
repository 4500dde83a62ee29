"""考核周期: the periods units are evaluated over — a month, a quarter, a year or any custom
span of local dates — and the period before each (for 连续 and for changes).

A month's period starts on `eval_period_start_day` (a setting, default 1). With a start day
other than 1 a month is named by the month it ends in, as county bulletins do: with 19, "2026年
10月" is 19 September to 18 October. Quarters and years are three and twelve such months.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from services.clock import local_midnight_utc

KINDS = ("month", "quarter", "year", "custom")


@dataclass(frozen=True)
class Period:
    """Local dates, both included. `kind`, `year` and `number` (month 1–12 or quarter 1–4)
    name it; a custom period has number 0."""

    start: date
    end: date
    kind: str = "custom"
    year: int = 0
    number: int = 0

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _shift(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + by
    return index // 12, index % 12 + 1


def _month_start(year: int, month: int, start_day: int) -> date:
    """First day of the period named (year, month)."""
    if start_day == 1:
        return date(year, month, 1)
    y, m = _shift(year, month, -1)
    return date(y, m, start_day)


def month(year: int, number: int, start_day: int = 1) -> Period:
    y, m = _shift(year, number, 1)
    return Period(_month_start(year, number, start_day),
                  _month_start(y, m, start_day) - timedelta(days=1), "month", year, number)


def quarter(year: int, number: int, start_day: int = 1) -> Period:
    first = (number - 1) * 3 + 1
    y, m = _shift(year, first, 3)
    return Period(_month_start(year, first, start_day),
                  _month_start(y, m, start_day) - timedelta(days=1), "quarter", year, number)


def year(number: int, start_day: int = 1) -> Period:
    return Period(_month_start(number, 1, start_day),
                  _month_start(number + 1, 1, start_day) - timedelta(days=1), "year", number, 0)


def custom(start: date, end: date) -> Period:
    if end < start:
        start, end = end, start
    return Period(start, end, "custom", start.year, 0)


def of(kind: str, year_number: int, number: int, start_day: int) -> Period:
    if kind == "month":
        return month(year_number, number, start_day)
    if kind == "quarter":
        return quarter(year_number, number, start_day)
    if kind == "year":
        return year(year_number, start_day)
    raise ValueError(kind)


def containing(day: date, kind: str, start_day: int) -> Period:
    """The month, quarter or year period that a local date falls in."""
    y, m = day.year, day.month
    if start_day > 1 and day.day >= start_day:
        y, m = _shift(y, m, 1)  # from the start day on, the date belongs to next month's period
    if kind == "month":
        return month(y, m, start_day)
    if kind == "quarter":
        return quarter(y, (m - 1) // 3 + 1, start_day)
    return year(y, start_day)


def previous(period: Period, start_day: int = 1) -> Period:
    """The period just before: last month, quarter or year; for a custom period the same
    number of days ending the day before it starts."""
    if period.kind == "month":
        y, m = _shift(period.year, period.number, -1)
        return month(y, m, start_day)
    if period.kind == "quarter":
        y, q = (period.year, period.number - 1) if period.number > 1 else (period.year - 1, 4)
        return quarter(y, q, start_day)
    if period.kind == "year":
        return year(period.year - 1, start_day)
    end = period.start - timedelta(days=1)
    return custom(end - timedelta(days=period.days - 1), end)


def months_of(period: Period, start_day: int) -> list[Period]:
    """The month periods a period is made of (a custom one: the calendar months it touches,
    cut to the period)."""
    if period.kind in ("month", "quarter", "year"):
        first = containing(period.start, "month", start_day)
        out = [first]
        while out[-1].end < period.end:
            out.append(month(*_shift(out[-1].year, out[-1].number, 1), start_day))
        return out
    out, day = [], period.start
    while day <= period.end:
        y, m = _shift(day.year, day.month, 1)
        end = min(date(y, m, 1) - timedelta(days=1), period.end)
        out.append(Period(day, end, "month", day.year, day.month))
        day = end + timedelta(days=1)
    return out


def utc_bounds(period: Period, tz: str) -> tuple[datetime, datetime]:
    """[start 00:00, end + 1 day 00:00) local, as UTC instants."""
    return local_midnight_utc(period.start, tz), local_midnight_utc(
        period.end + timedelta(days=1), tz)

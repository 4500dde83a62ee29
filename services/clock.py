"""Local time for a configured zone. Times are stored in UTC; days are counted locally."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def local_today(now: datetime, tz: str) -> date:
    return now.astimezone(ZoneInfo(tz)).date()


def local_midnight_utc(day: date, tz: str) -> datetime:
    """The UTC instant at which a local calendar day begins."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def day_range_utc(start: date, end: date, tz: str) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in local time, as UTC instants."""
    return local_midnight_utc(start, tz), local_midnight_utc(end + timedelta(days=1), tz)


def to_local(moment: datetime | None, tz: str) -> datetime | None:
    return None if moment is None else moment.astimezone(ZoneInfo(tz))

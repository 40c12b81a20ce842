"""Business days: the day a sale is booked on, in its branch's time zone.

A business day D runs from D at the tenant's `business_day_ends_at` (local time) to D + 1 at
the same time. With the default 00:00 it is the calendar date; at 04:00 a sale rung up at
01:30 on Saturday belongs to Friday, the evening the bar opened. A user's own time zone
never moves these boundaries (it only formats timestamps).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ONE_DAY = timedelta(days=1)


def business_day_of(moment: datetime, *, timezone_name: str, ends_at: time) -> date:
    """The business day an aware `moment` belongs to."""
    day = moment.astimezone(ZoneInfo(timezone_name)).date()
    start, _ = business_day_bounds(day, timezone_name=timezone_name, ends_at=ends_at)
    # Compared in UTC: the same instant either side of a DST jump, unlike wall-clock times.
    return day - ONE_DAY if moment.astimezone(UTC) < start.astimezone(UTC) else day


def business_day_bounds(day: date, *, timezone_name: str, ends_at: time) -> tuple[datetime, datetime]:
    """[start, end) of business day `day` as aware datetimes: `business_day_of(t) == day`
    exactly when start <= t < end. A boundary that falls in a DST gap or overlap is read as
    `datetime.combine` reads it (fold=0); both functions agree because one calls the other."""
    zone = ZoneInfo(timezone_name)
    start = datetime.combine(day, ends_at, tzinfo=zone)
    end = datetime.combine(day + ONE_DAY, ends_at, tzinfo=zone)
    return start, end


def local_hour(moment: datetime, *, timezone_name: str) -> int:
    """The hour of the day (0-23) on the branch's wall clock."""
    return moment.astimezone(ZoneInfo(timezone_name)).hour

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from cliqserve.tenants.business_days import business_day_bounds, business_day_of, local_hour

ZONES = ["UTC", "Europe/Paris", "America/New_York", "Pacific/Apia", "Australia/Lord_Howe", "Asia/Kathmandu"]


def test_a_bar_open_till_four_books_the_small_hours_on_the_evening_before() -> None:
    friday_night = datetime(2026, 12, 5, 1, 30, tzinfo=UTC)  # Saturday 01:30 on the wall clock
    assert business_day_of(friday_night, timezone_name="UTC", ends_at=time(4)) == date(2026, 12, 4)
    assert business_day_of(friday_night, timezone_name="UTC", ends_at=time(0)) == date(2026, 12, 5)


def test_the_branch_time_zone_decides_the_day() -> None:
    moment = datetime(2026, 12, 3, 23, 30, tzinfo=UTC)
    assert business_day_of(moment, timezone_name="Europe/Paris", ends_at=time(0)) == date(2026, 12, 4)
    assert business_day_of(moment, timezone_name="America/New_York", ends_at=time(0)) == date(2026, 12, 3)
    assert local_hour(moment, timezone_name="Europe/Paris") == 0


@given(
    moment=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(ZONES),
    ends_at=st.times(),
)
def test_a_moment_lies_within_the_bounds_of_its_business_day(
    moment: datetime, zone: str, ends_at: time
) -> None:
    day = business_day_of(moment, timezone_name=zone, ends_at=ends_at)
    start, end = business_day_bounds(day, timezone_name=zone, ends_at=ends_at)
    assert start.astimezone(UTC) <= moment < end.astimezone(UTC)
    # Consecutive days tile time: no gap and no overlap between them, DST included.
    _, previous_end = business_day_bounds(day - timedelta(days=1), timezone_name=zone, ends_at=ends_at)
    assert previous_end.astimezone(UTC) == start.astimezone(UTC)

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from domainwatch import clock

STORED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
BEIJING = timezone(timedelta(hours=8))


def test_now_is_aware_utc() -> None:
    before = datetime.now(UTC)
    now = clock.now()
    assert now.tzinfo is UTC and before <= now <= datetime.now(UTC)


def test_the_stored_form() -> None:
    assert clock.iso(datetime(2026, 7, 21, 8, 30, 0, tzinfo=UTC)) == "2026-07-21T08:30:00Z"
    assert STORED.match(clock.utcnow())


def test_the_stored_form_is_in_utc_to_the_second() -> None:
    beijing = datetime(2026, 7, 21, 16, 30, 59, 999_999, tzinfo=BEIJING)
    assert clock.iso(beijing) == "2026-07-21T08:30:59Z"
    assert clock.iso(datetime(2026, 7, 21, 8, 30)) == "2026-07-21T08:30:00Z"  # naive is UTC


def test_the_stored_form_has_four_digit_years_so_that_strings_sort_as_times() -> None:
    early = clock.iso(datetime(999, 1, 1, tzinfo=UTC))
    assert early == "0999-01-01T00:00:00Z"
    assert early < clock.iso(datetime(2026, 1, 1, tzinfo=UTC))


def test_bounds_made_from_now_compare_as_before_with_stored_times() -> None:
    # A bound with microseconds (how it was made before) and the stored form of the same
    # moment agree with every stored time for >=.
    now = datetime(2026, 7, 21, 8, 30, 0, 500_000, tzinfo=UTC)
    with_fraction = now.isoformat().replace("+00:00", "Z")
    for stored in ("2026-07-21T08:29:59Z", "2026-07-21T08:30:00Z", "2026-07-21T08:30:01Z"):
        assert (stored >= with_fraction) == (stored >= clock.iso(now))


def test_to_utc() -> None:
    moment = clock.to_utc(datetime(2026, 1, 1, 8, 0, 0, 123, tzinfo=BEIJING))
    assert moment == datetime(2026, 1, 1, tzinfo=UTC) and moment.tzinfo is UTC
    assert clock.to_utc(datetime(2026, 1, 1)).tzinfo is UTC


def test_parse_reads_the_stored_form_back() -> None:
    moment = datetime(2026, 7, 21, 8, 30, tzinfo=UTC)
    assert clock.parse(clock.iso(moment)) == moment
    assert clock.parse("2026-07-21T08:30:00Z").tzinfo is not None


def test_parse_takes_a_time_without_zone_as_utc_and_keeps_an_offset() -> None:
    assert clock.parse("2026-07-21T08:30:00") == datetime(2026, 7, 21, 8, 30, tzinfo=UTC)
    assert clock.parse("2026-07-21T16:30:00+08:00") == datetime(2026, 7, 21, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize("text", ["", "yesterday", "2026-13-01T00:00:00Z", "21/07/2026"])
def test_parse_refuses_what_is_not_iso_8601(text: str) -> None:
    with pytest.raises(ValueError):
        clock.parse(text)

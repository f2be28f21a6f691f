from datetime import UTC, datetime

import pytest

from parley.shared.errors import ValidationFailed
from parley.shared.timeparse import parse_publish_at, utc, zone

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def reason(exc: pytest.ExceptionInfo[ValidationFailed]) -> str:
    return exc.value.problems[0].reason


def test_an_offset_is_converted_to_utc() -> None:
    assert parse_publish_at("2026-03-02T10:00:00+01:00", None, NOW) == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_z_means_utc() -> None:
    assert parse_publish_at("2026-03-02T10:00:00Z", None, NOW) == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_a_local_time_takes_the_given_zone() -> None:
    got = parse_publish_at("2026-07-01T10:00:00", "Europe/Paris", NOW)
    assert got == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)


def test_a_bracketed_zone_is_understood() -> None:
    got = parse_publish_at("2026-07-01T10:00:00[America/New_York]", None, NOW)
    assert got == datetime(2026, 7, 1, 14, 0, tzinfo=UTC)


def test_an_offset_that_contradicts_its_bracketed_zone_is_refused() -> None:
    with pytest.raises(ValidationFailed) as exc:
        parse_publish_at("2026-07-01T10:00:00+01:00[America/New_York]", None, NOW)
    assert "America/New_York" in reason(exc)


def test_a_time_without_offset_or_zone_is_refused() -> None:
    with pytest.raises(ValidationFailed) as exc:
        parse_publish_at("2026-03-02T10:00:00", None, NOW)
    assert exc.value.problems[0].field == "publish_at"
    assert "offset" in reason(exc)


def test_an_unknown_zone_is_refused() -> None:
    with pytest.raises(ValidationFailed) as exc:
        parse_publish_at("2026-03-02T10:00:00", "Mars/Olympus", NOW)
    assert exc.value.problems[0].field == "time_zone"
    assert "Mars/Olympus" in reason(exc)


def test_a_time_in_the_dst_gap_is_refused_not_shifted() -> None:
    # Europe/Paris skips 02:00-03:00 on 2026-03-29.
    with pytest.raises(ValidationFailed) as exc:
        parse_publish_at("2026-03-29T02:30:00", "Europe/Paris", NOW)
    assert "does not exist" in reason(exc)


def test_a_time_in_the_dst_overlap_is_refused_without_an_offset() -> None:
    # Europe/Paris passes 02:00-03:00 twice on 2026-10-25.
    with pytest.raises(ValidationFailed) as exc:
        parse_publish_at("2026-10-25T02:30:00", "Europe/Paris", NOW)
    assert "twice" in reason(exc)


def test_an_offset_picks_one_side_of_the_overlap() -> None:
    got = parse_publish_at("2026-10-25T02:30:00+01:00[Europe/Paris]", None, NOW)
    assert got == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_the_past_beyond_the_grace_is_refused() -> None:
    with pytest.raises(ValidationFailed) as exc:
        parse_publish_at("2026-03-01T11:58:00Z", None, NOW)
    assert "past" in reason(exc)


def test_a_few_seconds_late_is_still_accepted() -> None:
    assert parse_publish_at("2026-03-01T11:59:30Z", None, NOW) == datetime(2026, 3, 1, 11, 59, 30, tzinfo=UTC)


def test_garbage_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationFailed) as exc:
        parse_publish_at("next tuesday", None, NOW)
    assert exc.value.problems[0].field == "publish_at"


def test_a_networks_time_is_read_in_utc_and_garbage_is_none() -> None:
    from parley.shared.timeparse import network_time

    assert network_time("2026-03-01T12:00:00.5Z") == datetime(2026, 3, 1, 12, 0, 0, 500_000, tzinfo=UTC)
    assert network_time("2026-03-01T13:00:00+01:00") == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert network_time("2026-03-01T12:00:00") is None
    assert network_time("2026-03-01T12:00:00", naive_is_utc=True) == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert network_time("soon") is None and network_time(None) is None and network_time("") is None


# Issue 15 item 14: ZoneInfo opens a file by the name (a folder: IsADirectoryError before Python 3.13; a
# name past 255 characters: OSError), and datetime ends at the years 1 and 9999 (OverflowError).
@pytest.mark.parametrize("name", ["America", "Etc", "x" * 300, "../../etc/passwd", ""])
def test_a_zone_is_looked_up_among_the_known_names_before_any_file_is_opened(name: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        zone(name)
    assert exc.value.problems[0].field == "time_zone" and "unknown time zone" in reason(exc)


@pytest.mark.parametrize("value", ["2026-07-01T10:00:00[America]", "2026-07-01T10:00:00[Etc]"])
def test_a_bracketed_folder_is_an_unknown_zone_of_the_field(value: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        parse_publish_at(value, None, NOW)
    assert exc.value.problems[0].field == "publish_at" and "unknown time zone" in reason(exc)


@pytest.mark.parametrize(
    ("value", "time_zone"),
    [
        ("0001-01-01T00:00:00+01:00", None),
        ("9999-12-31T23:59:59-05:00", None),
        ("0001-01-01T00:00:00", "Asia/Tokyo"),
        ("9999-12-31T23:00:00", "America/Los_Angeles"),
        ("9999-12-31T23:00:00Z", None),
    ],
)
def test_a_time_at_the_edges_of_what_datetime_holds_is_refused_naming_the_field(
    value: str, time_zone: str | None
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        parse_publish_at(value, time_zone, NOW)
    assert exc.value.problems[0].field == "publish_at" and "between the years" in reason(exc)


@pytest.mark.parametrize(
    "value",
    [datetime.fromisoformat("0001-01-01T00:00:00+01:00"), datetime.fromisoformat("9999-12-31T23:59:59-05:00")],
)
def test_a_query_time_out_of_range_is_refused_naming_its_field(value: datetime) -> None:
    with pytest.raises(ValidationFailed) as exc:
        utc(value, "since")
    assert exc.value.problems[0].field == "since"


def test_a_query_time_with_an_offset_is_converted_to_utc() -> None:
    converted = utc(datetime.fromisoformat("2030-01-31T09:00:00+05:00"), "since")
    assert converted.isoformat() == "2030-01-31T04:00:00+00:00"

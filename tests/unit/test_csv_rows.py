"""Reading spreadsheets' CSV exports (parley.publishing.csv_rows): each quirk a sheet brings, and problems that
name the line where the row starts and its column."""

from __future__ import annotations

import pytest

from parley.publishing import csv_rows, imports
from parley.publishing.csv_rows import RowProblem
from parley.shared.errors import ValidationFailed

HEADER = "text,channels,publish_at,time_zone\n"


def read(text: str | bytes) -> list[csv_rows.Row]:
    return csv_rows.read(text.encode() if isinstance(text, str) else text)


def refusal(text: str | bytes) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        read(text)
    return [(p.field, p.reason) for p in caught.value.problems]


def test_a_plain_row_becomes_post_fields() -> None:
    (row,) = read(HEADER + "Hello,ch_1 ch_2,2030-01-15T09:00:00,Europe/Paris\n")
    assert (row.line, row.text, row.channels) == (2, "Hello", ["ch_1", "ch_2"])
    assert (row.publish_at, row.time_zone, row.problems) == ("2030-01-15T09:00:00", "Europe/Paris", [])


def test_excel_date_serials_are_the_local_date_time_they_show() -> None:
    assert csv_rows.excel_serial(46023.375) == "2026-01-01T09:00:00"
    assert csv_rows.excel_serial(46023.0) == "2026-01-01T00:00:00"
    assert csv_rows.excel_serial(46023.52083333333) == "2026-01-01T12:30:00"  # rounded to the second
    (row,) = read(HEADER + "Hi,ch_1,46023.375,America/New_York\n")
    assert row.publish_at == "2026-01-01T09:00:00" and row.time_zone == "America/New_York"


def test_crlf_line_ends_and_quoted_newlines_keep_line_numbers_true() -> None:
    text = HEADER.replace("\n", "\r\n") + '"Line one\r\nline two",ch_1,2030-01-15T09:00:00Z,\r\nNext,ch_1,,\r\n'
    first, second = read(text)
    assert first.text == "Line one\r\nline two" and first.line == 2
    assert second.line == 4  # the quoted cell spans lines 2 and 3
    assert second.publish_at is None


def test_semicolon_separated_files_are_sniffed() -> None:
    (row,) = read("Text;Channels;Publish_at\nBonjour, le monde;ch_1|ch_2;2030-01-15T09:00:00Z\n")
    assert row.text == "Bonjour, le monde" and row.channels == ["ch_1", "ch_2"]


def test_tab_separated_files_are_sniffed() -> None:
    (row,) = read("text\tchannels\npost\tch_1\n")
    assert row.channels == ["ch_1"]


def test_a_formula_looking_cell_is_text_kept_verbatim() -> None:
    cell = '=HYPERLINK("https://example.com","Sale")'
    (row,) = read(HEADER + '"=HYPERLINK(""https://example.com"",""Sale"")",ch_1,2030-01-15T09:00:00Z,\n')
    assert row.text == cell


def test_a_bom_and_any_header_case_are_fine() -> None:
    (row,) = read(
        ("TEXT,Channels,Publish At,Time-Zone,Campaign\nHi,@acme.test,2030-01-15T09:00,UTC,spring\n").encode("utf-8-sig")
    )
    assert row.text == "Hi" and row.channels == ["acme.test"] and row.time_zone == "UTC" and row.campaign == "spring"


def test_blank_rows_are_skipped_and_lines_still_count() -> None:
    rows = read(HEADER + "A,ch_1,2030-01-15T09:00:00Z,\n,,,\n\nB,ch_1,2030-01-15T09:00:00Z,\n,,,\n\n")
    assert [(r.line, r.text) for r in rows] == [(2, "A"), (5, "B")]


def test_next_slot_passes_through_as_the_keyword() -> None:
    (row,) = read(HEADER + "Hi,ch_1,Next_Slot,\n")
    assert row.publish_at == "next_slot"


def test_media_urls_and_alt_texts_pair_up_in_order() -> None:
    (row,) = read(
        "text,channels,media_urls,alt_texts\nHi,ch_1,https://a.example/1.png | https://a.example/2.png,One | Two\n"
    )
    assert row.media_urls == ["https://a.example/1.png", "https://a.example/2.png"] and row.alt_texts == ["One", "Two"]
    (row,) = read("text,channels,media_urls,alt_texts\nHi,ch_1,https://a.example/1.png,One|Two\n")
    assert row.problems == [RowProblem(2, "alt_texts", "2 alt texts for 1 media URLs (separate them with |)")]


def test_row_problems_name_line_and_column() -> None:
    (row,) = read(HEADER + "Hi,,2030-01-15T09:00:00Z,,extra\n")
    assert (
        RowProblem(2, "channels", "name at least one channel (ids or handles, space- or |-separated)") in row.problems
    )
    assert RowProblem(2, None, "has 5 cells, the header names 4 columns") in row.problems


def test_the_link_goes_at_the_end_of_the_text_once() -> None:
    assert csv_rows.with_link("Sale today", "https://example.com/s") == "Sale today https://example.com/s"
    assert csv_rows.with_link("Sale https://example.com/s today", "https://example.com/s").count("example") == 1
    assert csv_rows.with_link("", "https://example.com/s") == "https://example.com/s"


def test_file_problems_are_refused_whole() -> None:
    assert refusal("") == [("file", "is empty: line 1 names the columns, each line after is a post")]
    assert refusal(HEADER) == [("file", "has no rows after its header")]
    assert refusal(b"text,channels\nCaf\xe9,ch_1\n") == [
        ("file", "line 2 is not UTF-8: save the sheet as 'CSV UTF-8' and try again")
    ]
    (unknown, missing) = refusal("txt,when\nHi,now\n")
    assert unknown[0] == "header" and "unknown column(s) txt, when" in unknown[1]
    assert missing == ("header", "missing column(s): text, channels (line 1 names the columns)")
    assert refusal("text,channels,Text\nA,B,C\n") == [("header", "column(s) named twice: text")]


def test_more_than_the_maximum_rows_is_refused() -> None:
    rows = "".join(f"Post {i},ch_1\n" for i in range(csv_rows.MAX_ROWS + 1))
    assert refusal("text,channels\n" + rows) == [("file", f"has more than {csv_rows.MAX_ROWS} rows: split it")]
    assert len(read("text,channels\n" + rows[: rows.rindex("Post")])) == csv_rows.MAX_ROWS


def test_check_fields_map_to_the_csv_columns() -> None:
    assert imports.column_of("campaign") == "utm_campaign"
    assert imports.column_of("media[1]") == "media_urls"
    assert imports.column_of("overrides.x.text") == "text"
    assert imports.column_of("publish_at") == "publish_at"


def test_parts_keep_rows_whole_and_map_their_lines_to_the_file() -> None:
    text = HEADER + 'A,ch_1,,\n\n"B\nstill B",ch_1,,\nC,ch_1,,\nD,ch_1,,'
    first, second = csv_rows.parts(text.encode(), 2)
    assert first.body.decode() == HEADER + 'A,ch_1,,\n"B\nstill B",ch_1,,\n'
    assert first.lines == {2: 2, 3: 4}  # the blank line 3 of the file is left out
    assert [r.text for r in read(first.body)] == ["A", "B\nstill B"]
    assert second.lines == {2: 6, 3: 7} and [r.text for r in read(second.body)] == ["C", "D"]
    assert [p.lines for p in second.halves()] == [{2: 6}, {2: 7}]

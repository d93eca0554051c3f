"""The one upload reader: encodings, delimiters, row numbers, limits and the reasons for a refusal."""

import pytest

from data.uploads import decode_upload, read_frame, read_rows

TEXT = "code,name\nA,甲\n\nB,乙\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "gbk", "gb18030"])
def test_the_encodings_excel_writes_are_read(encoding):
    text, used, problem = decode_upload(TEXT.encode(encoding))
    assert problem is None and text.lstrip("\ufeff") == TEXT
    assert used == {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "utf-16": "utf-16"}.get(encoding, "gb18030")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"", "empty"),
        (b" \n\n", "empty"),
        (b"PK\x03\x04 an xlsx", "workbook"),
        (b"\xd0\xcf\x11\xe0 an xls", "workbook"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "binary"),
        (b"code\x01,name\n", "binary"),
        (b"code,name\n\x81\x20\n", "encoding"),
    ],
)
def test_what_is_not_a_csv_file_gets_its_reason(raw, code):
    assert decode_upload(raw)[2].code == code
    assert read_rows(raw, max_rows=10)[1].code == code
    assert [p.code for p in read_frame(raw, max_rows=10)[1]] == [code]


def test_rows_keep_their_spreadsheet_numbers_and_semicolons_are_guessed():
    read, problem = read_rows("code;name\nA;甲\n\nB;乙\n".encode(), max_rows=10)
    assert problem is None and read.header == ["code", "name"]
    assert read.rows == [(2, ["A", "甲"]), (4, ["B", "乙"])]


def test_reading_stops_past_the_row_limit():
    raw = ("code\n" + "A\n" * 50).encode()
    assert read_rows(raw, max_rows=10)[1].values == {"limit": 10}
    assert read_frame(raw, max_rows=10)[1][0].code == "too_many_rows"
    assert len(read_frame(raw, max_rows=50)[0]) == 50


def test_a_frame_is_text_only_and_repeated_columns_are_named():
    frame, problems = read_frame(b"a,b\n001,\n", max_rows=10)
    assert problems == [] and frame.to_dict("records") == [{"a": "001", "b": ""}]
    assert [p.column for p in read_frame(b"a,b,a\n1,2,3\n", max_rows=10)[1]] == ["a"]

"""The one upload reader: encodings, delimiters, row numbers, limits and the reasons for a refusal."""

from pathlib import Path

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


# Issue 21: every encoding case as a file (tests/fixtures/encodings), Western, Chinese and mixed.
ENCODINGS = Path(__file__).resolve().parents[1] / "fixtures" / "encodings"
WESTERN = ["Försäljning Nord", "Personalabteilung Süd", "Jörg Müller Team"]


def _names(raw, encoding=None):
    read, problem = read_rows(raw, max_rows=10, encoding=encoding)
    assert problem is None, problem
    return [cells[1] for _, cells in read.rows], read.encoding


@pytest.mark.parametrize(
    ("file", "detected"),
    [("western_utf8.csv", "utf-8"), ("western_utf8_bom.csv", "utf-8-sig"), ("western_utf16.csv", "utf-16")],
)
def test_western_names_in_the_unicode_encodings_are_read_as_written(file, detected):
    assert _names((ENCODINGS / file).read_bytes()) == (WESTERN, detected)


@pytest.mark.parametrize(("file", "detected"), [("chinese_gb18030.csv", "gb18030"), ("chinese_utf8.csv", "utf-8")])
def test_chinese_names_in_gb18030_and_utf8_are_read_as_written(file, detected):
    names, used = _names((ENCODINGS / file).read_bytes())
    assert (names, used) == (["销售部", "人力资源部", "信息技术部"], detected)


def test_mixed_western_and_chinese_in_utf8_is_read_as_written():
    read, problem = read_rows((ENCODINGS / "mixed_utf8.csv").read_bytes(), max_rows=10)
    assert problem is None
    assert [cells[1:] for _, cells in read.rows] == [
        ["Försäljning Nord", "北区销售部"],
        ["Personalabteilung Süd", "人力资源部"],
        ["IT Service Desk", "IT服务台"],
    ]


def test_a_windows_1252_file_read_as_gb18030_is_refused_naming_the_row_and_the_mangled_text():
    raw = (ENCODINGS / "western_cp1252.csv").read_bytes()
    assert "F鰎s鋖jning" in raw.decode("gb18030")  # what the silent reader used to store
    for problem in (read_rows(raw, max_rows=10)[1], read_frame(raw, max_rows=10)[1][0], decode_upload(raw)[2]):
        assert problem.code == "mojibake"
        assert problem.row == 2
        assert problem.values["text"] == "F鰎s鋖jning"
        assert problem.values["encoding"] == "GB18030"


def test_the_encoding_override_reads_the_windows_1252_file_as_written():
    raw = (ENCODINGS / "western_cp1252.csv").read_bytes()
    assert _names(raw, "cp1252") == (WESTERN, "cp1252")
    assert _names(raw, "latin-1") == (WESTERN, "latin-1")
    frame, problems = read_frame(raw, max_rows=10, encoding="cp1252")
    assert problems == [] and list(frame["name_en"]) == WESTERN


def test_an_override_that_does_not_fit_the_file_is_refused_with_the_chosen_encoding():
    raw = (ENCODINGS / "chinese_gb18030.csv").read_bytes()
    problem = read_rows(raw, max_rows=10, encoding="utf-8")[1]
    assert (problem.code, problem.values) == ("encoding_choice", {"encoding": "UTF-8"})
    assert _names(raw, "gb18030")[0] == ["销售部", "人力资源部", "信息技术部"]
    with pytest.raises(ValueError, match="unknown encoding"):
        read_rows(raw, max_rows=10, encoding="ebcdic")


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("code,name\nA,Anna\nB,FÃ¶rsÃ¤ljning\n".encode(), "FÃ¶rsÃ¤ljning"),  # UTF-8 read as Windows-1252, saved again
        ("code,name\nA,Anna\nB,F\ufffdrs\ufffdljning\n".encode(), "F\ufffdrs\ufffdljning"),  # replacement characters
    ],
)
def test_utf8_text_that_was_mangled_before_is_refused_too(raw, text):
    problem = read_rows(raw, max_rows=10)[1]
    assert (problem.code, problem.row, problem.values["text"]) == ("mojibake", 3, text)


def test_latin_letters_beside_chinese_in_utf8_are_not_mojibake():
    raw = "code,name\nIT,IT服务台\nAPP,iPhone应用组\nB,A座前台\n".encode()
    assert read_rows(raw, max_rows=10)[1] is None


def test_a_roster_of_100000_rows_is_read_in_reasonable_time():
    import time

    from data.invitations import parse_roster

    lines = ["email,name,department,language"]
    lines += [
        f"p{i}@example.com,Jörg Müller {i} 李伟,{'SALES' if i % 2 else 'IT'},{'zh' if i % 3 else 'en'}"
        for i in range(100_000)
    ]
    raw = ("\n".join(lines) + "\n").encode("utf-8")
    started = time.perf_counter()
    roster, errors = parse_roster(raw, departments={"SALES", "IT"})
    elapsed = time.perf_counter() - started
    assert errors == [] and len(roster) == 100_000
    assert roster["name"].iloc[-1] == "Jörg Müller 99999 李伟"
    assert elapsed < 10, f"{elapsed:.1f} s"

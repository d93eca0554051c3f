"""Uploads: the one reader of every CSV file a person uploads (organisation, roster, historical responses).

Decoding (`decode_upload`): UTF-8 with or without a byte order mark (Excel's "CSV UTF-8"), UTF-16
with its byte order mark (Excel's "Unicode text"), else GBK through GB18030, its superset (plain
"CSV" saved by Excel on a Chinese Windows). A workbook (.xlsx, .xls), text with control characters
(GB18030 decodes many byte strings; such text was not a CSV file) and bytes that none of these
decode are refused with a reason.

Reading: the delimiter is guessed from the header line (comma, semicolon or tab: Excel in some
locales writes semicolons, "Unicode text" tabs), blank rows are skipped, every cell stays text, and
reading stops past `max_rows` rows, so a million-row file is refused in seconds, not checked for
minutes. `read_rows` keeps each row as it is in the file with its spreadsheet row number (the
header is row 1), for importers that report ragged rows; `read_frame` gives a DataFrame of strings
(pandas' C reader, for large files).

Every refusal is a `data.problems.Problem` with one of `READ_PROBLEMS` as its code and no area:
each importer words it as its own (e.g. the roster's `roster_xlsx`), see `problem_for`.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import pandas as pd

from data.problems import Problem

# empty, workbook, binary (control characters), encoding (none of the encodings), not_csv,
# duplicate_column (values: column), too_many_rows (values: limit)
READ_PROBLEMS = ("empty", "workbook", "binary", "encoding", "not_csv", "duplicate_column", "too_many_rows")
DELIMITERS = (",", ";", "\t")
_WORKBOOK_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx (a zip) and .xls (OLE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Rows:
    """A file read as rows: the header's cells, then (spreadsheet row, cells) for each non-blank row."""

    header: list[str]
    rows: list[tuple[int, list[str]]]
    encoding: str


def _problem(code: str, row: int | None = None, **values: object) -> Problem:
    return Problem(code, row=row, values=values)


def problem_for(problem: Problem, codes: dict[str, str], area: str) -> Problem:
    """A reading problem as an importer's own: its code renamed by `codes` (unlisted codes kept) and
    its area set, so that it is worded in that importer's texts."""
    return Problem(codes.get(problem.code, problem.code), problem.row, problem.column, problem.values, area)


def decode_upload(raw: bytes) -> tuple[str | None, str | None, Problem | None]:
    """(text, encoding, None), or (None, None, problem) when the bytes are not a CSV file's text."""
    if not raw or not raw.strip():
        return None, None, _problem("empty")
    if raw.startswith(_WORKBOOK_SIGNATURES):
        return None, None, _problem("workbook")
    if raw.startswith(b"\xef\xbb\xbf"):
        candidates = ("utf-8-sig",)
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ("utf-16",)
    elif b"\x00" in raw[:4096]:  # NUL bytes outside UTF-16: a picture or another binary file
        return None, None, _problem("binary")
    else:
        candidates = ("utf-8", "gb18030")
    for encoding in candidates:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _CONTROL.search(text):
            return None, None, _problem("binary")
        return text, encoding, None
    return None, None, _problem("encoding")


def guess_delimiter(text: str) -> str:
    """The delimiter of the header line (the first line that is not blank)."""
    header_line = next((line for line in text.splitlines() if line.strip()), "")
    return max(DELIMITERS, key=header_line.count)


def read_rows(raw: bytes, *, max_rows: int) -> tuple[Rows | None, Problem | None]:
    """The file's header and rows as text, each row with its spreadsheet row number, or the problem."""
    text, encoding, problem = decode_upload(raw)
    if problem is not None:
        return None, problem
    reader = csv.reader(io.StringIO(text), delimiter=guess_delimiter(text))
    records: list[tuple[int, list[str]]] = []
    try:
        for number, cells in enumerate(reader, start=1):
            if any(cell.strip() for cell in cells):
                records.append((number, cells))
                if len(records) > max_rows + 1:
                    return None, _problem("too_many_rows", limit=max_rows)
    except csv.Error as exc:
        # e.g. a lone carriage return inside a field: not a CSV file Excel or a text editor writes
        return None, _problem("not_csv", reader.line_num, detail=str(exc))
    if not records:  # only separators and blanks (e.g. ";"): no header at all
        return None, _problem("empty")
    return Rows(records[0][1], records[1:], encoding), None


def read_frame(raw: bytes, *, max_rows: int) -> tuple[pd.DataFrame | None, list[Problem]]:
    """The file as a DataFrame of strings (nothing converted, empty cells ""), header names stripped,
    or its problems (a repeated column name is one problem per name)."""
    text, _, problem = decode_upload(raw)
    if problem is not None:
        return None, [problem]
    delimiter = guess_delimiter(text)
    try:
        header = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    except csv.Error:
        return None, [_problem("not_csv")]
    header = [h.strip() for h in header]
    duplicates = sorted({h for h in header if header.count(h) > 1 and h})
    if duplicates:
        return None, [Problem("duplicate_column", column=d) for d in duplicates]
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=True,
            nrows=max_rows + 1,
        )
    except (pd.errors.ParserError, csv.Error, ValueError):
        return None, [_problem("not_csv")]
    if len(frame) > max_rows:
        return None, [_problem("too_many_rows", limit=max_rows)]
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        return None, [_problem("empty")]
    return frame, []

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

Text that decodes but looks wrong is refused too (`mangled_text`), naming the row and the text: a
Windows-1252 file read as GB18030 ("Försäljning" becomes "F鰎s鋖jning": a lowercase Latin letter
beside a Chinese character inside one word, which Chinese names do not have, while "IT服务台" or
"A座" are fine), UTF-8 that was read as Windows-1252 and saved again ("FÃ¶rs"), and replacement
characters (U+FFFD: something already lost the text). For the rare legitimate file the person names
its encoding (`encoding`, one of `ENCODINGS`): it is decoded with that one, and only control and
replacement characters are refused.

Every refusal is a `data.problems.Problem` with one of `READ_PROBLEMS` as its code and no area:
each importer words it as its own (e.g. the roster's `roster_xlsx`), see `problem_for`.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from data.problems import Problem

# The template of each import: a small CSV file that the import accepts as it is, in docs/examples
# (the pages offer it for download; tests/data/test_templates.py checks that each one imports).
EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "docs" / "examples"
TEMPLATES = {
    "departments": "departments.csv",
    "relationships": "relationships.csv",
    "roster": "roster.csv",
    "responses": "responses.csv",
}

# empty, workbook, binary (control characters), encoding (none of the encodings), not_csv,
# duplicate_column (values: column), too_many_rows (values: limit), mojibake (row; values: text,
# encoding), encoding_choice (the chosen encoding does not decode the file; values: encoding)
READ_PROBLEMS = (
    "empty",
    "workbook",
    "binary",
    "encoding",
    "not_csv",
    "duplicate_column",
    "too_many_rows",
    "mojibake",
    "encoding_choice",
)
# The encodings a person may choose for a file (the pages' select, the command line's --encoding),
# with the name they are shown by; None (not listed) detects the encoding.
ENCODINGS = {
    "utf-8": "UTF-8",
    "utf-16": "UTF-16",
    "gb18030": "GB18030",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1",
}
_DECODERS = {"utf-8": "utf-8-sig", "utf-8-sig": "utf-8-sig"}  # a chosen UTF-8 drops its byte order mark
_NAMES = {**ENCODINGS, "utf-8-sig": "UTF-8"}
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Windows-1252 read as GB18030: each accented letter and the letter after it became one Chinese
# character, so a lowercase Latin letter touches a Chinese character inside a word.
_GB_MOJIBAKE = re.compile(f"[a-z][{_HAN}]|[{_HAN}][a-z]")
# UTF-8 read as Windows-1252 or Latin-1 (and saved again): "Ã" or "Â" before a Latin-1 symbol.
_UTF8_MOJIBAKE = re.compile("[ÃÂ][\u0080-\u00bf\u2018-\u203a\u20ac\u0152\u0153\u0160\u0161\u017d\u017e\u0178]")
_REPLACEMENT = re.compile("\ufffd")
# What ends the word shown in a refusal (the patterns above find where it is, cheaply).
_WORD_END = re.compile('[\\s,;\t"]')
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


def mangled_text(text: str, encoding: str, *, chosen: bool = False) -> Problem | None:
    """The first place where decoded `text` looks like text read in the wrong encoding (its line and
    the word), or None. Replacement characters always count; the Latin-beside-Chinese sign only in
    text detected as GB18030; the "Ã¶" sign only in text detected as UTF-8; a chosen encoding
    (`chosen`) is trusted for both."""
    patterns = [_REPLACEMENT]
    if not chosen and encoding == "gb18030":
        patterns.append(_GB_MOJIBAKE)
    elif not chosen and encoding in ("utf-8", "utf-8-sig", "utf-16"):
        patterns.append(_UTF8_MOJIBAKE)
    found = [m for m in (p.search(text) for p in patterns) if m is not None]
    if not found:
        return None
    at = min(m.start() for m in found)
    line_start = text.rfind("\n", 0, at) + 1
    word_start = max((m.end() for m in _WORD_END.finditer(text, line_start, at)), default=line_start)
    word_end = _WORD_END.search(text, at)
    word = text[word_start : word_end.start() if word_end else len(text)]
    line = text.count("\n", 0, at) + 1
    return _problem("mojibake", line, text=word[:60], encoding=_NAMES.get(encoding, encoding))


def decode_upload(raw: bytes, encoding: str | None = None) -> tuple[str | None, str | None, Problem | None]:
    """(text, encoding, None), or (None, None, problem) when the bytes are not a CSV file's text or
    the text looks mangled (`mangled_text`). `encoding` (one of `ENCODINGS`) decodes with that one
    instead of detecting; None detects."""
    if encoding is not None and encoding not in ENCODINGS:
        raise ValueError(f"unknown encoding {encoding!r}; expected one of {', '.join(ENCODINGS)}")
    if not raw or not raw.strip():
        return None, None, _problem("empty")
    if raw.startswith(_WORKBOOK_SIGNATURES):
        return None, None, _problem("workbook")
    if encoding is not None:
        try:
            text = raw.decode(_DECODERS.get(encoding, encoding))
        except UnicodeDecodeError:
            return None, None, _problem("encoding_choice", encoding=ENCODINGS[encoding])
        if _CONTROL.search(text.lstrip("\ufeff")):
            return None, None, _problem("binary")
        problem = mangled_text(text, encoding, chosen=True)
        return (None, None, problem) if problem else (text.lstrip("\ufeff"), encoding, None)
    if raw.startswith(b"\xef\xbb\xbf"):
        candidates = ("utf-8-sig",)
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ("utf-16",)
    elif b"\x00" in raw[:4096]:  # NUL bytes outside UTF-16: a picture or another binary file
        return None, None, _problem("binary")
    else:
        candidates = ("utf-8", "gb18030")
    for candidate in candidates:
        try:
            text = raw.decode(candidate)
        except UnicodeDecodeError:
            continue
        if _CONTROL.search(text):
            return None, None, _problem("binary")
        problem = mangled_text(text, candidate)
        return (None, None, problem) if problem else (text, candidate, None)
    return None, None, _problem("encoding")


def guess_delimiter(text: str) -> str:
    """The delimiter of the header line (the first line that is not blank)."""
    header_line = next((line for line in text.splitlines() if line.strip()), "")
    return max(DELIMITERS, key=header_line.count)


def read_rows(raw: bytes, *, max_rows: int, encoding: str | None = None) -> tuple[Rows | None, Problem | None]:
    """The file's header and rows as text, each row with its spreadsheet row number, or the problem.
    `encoding`: as `decode_upload`'s (None detects)."""
    text, encoding, problem = decode_upload(raw, encoding)
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


def read_frame(raw: bytes, *, max_rows: int, encoding: str | None = None) -> tuple[pd.DataFrame | None, list[Problem]]:
    """The file as a DataFrame of strings (nothing converted, empty cells ""), header names stripped,
    or its problems (a repeated column name is one problem per name). `encoding`: as `decode_upload`'s."""
    text, _, problem = decode_upload(raw, encoding)
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


def template_bytes(kind: str) -> bytes:
    """The template file of one import (`TEMPLATES`: departments, relationships, roster, responses)."""
    return (EXAMPLES_DIR / TEMPLATES[kind]).read_bytes()

"""Hostile input: everything a person controls, through the code that reads it. For each input: a
clear message in English and Chinese (never a traceback, never a raw text key), and nothing written
(every table's row count compared before and after), on both backends (DuckDB and PostgreSQL).
Hypothesis example counts stay modest."""

import datetime as dt
import itertools
import re
import shutil
import time

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.db import Database
from data.invitations import create_invitations, hash_token, parse_roster_for
from data.org_import import read_organisation, write_organisation
from data.submissions import PendingSubmission, write_submissions
from data.waves import create_wave
from services.imports import import_file
from surveys.answers import PROBLEM_CODES, AnswerError, validate_submission
from surveys.definition import DEFAULT_SURVEY_PATH, SurveyDefinitionError, load_survey, parse_survey
from tests.conftest import _pg_copy
from texts import describe
from ui.i18n import translate

SURVEY = load_survey()
WAVE = "2027-Q1"
IMPORT_WAVE = "2025-Q4"  # an empty draft wave made for the historical import
TABLES = ("departments", "relationships", "invitations", "responses", "answers", "comments", "waves")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
HOSTILE_TEXT = [
    "<script>window.__pwned=1</script>",
    "<img src=x onerror=window.__pwned=1>",
    "'); DROP TABLE responses; --",
    "Robert'); DELETE FROM answers WHERE ('1'='1",
    "\u202eReversed\u202c and \u200f right-to-left \u200b zero width",
    "😀🔥👍🏽 家人们 ",
    '=HYPERLINK("http://evil","click")',
    "line one\r\nline two\rline three",
    "tab\there \x00 nul \x1b[31m escape \x07 bell",
    "x" * 1000,
    "y" * 1001,
    "   ",
]


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def db(request, demo_db_template, tmp_path_factory):
    """The demo on each backend in turn (a DuckDB file, then a PostgreSQL database of the tests' own
    server), with an empty draft wave for the historical import."""
    if request.param == "duckdb":
        path = tmp_path_factory.mktemp("hostile") / "demo.duckdb"
        shutil.copy(demo_db_template, path)
        database = Database(path)
        yield from _with_import_wave(database)
        database.close()
    else:
        for database in _pg_copy(request.getfixturevalue("pg_server"), request.getfixturevalue("pg_demo_template")):
            yield from _with_import_wave(database)


def _with_import_wave(database):
    create_wave(
        database,
        IMPORT_WAVE,
        name_en="2025 Q4",
        name_zh="2025年第四季度",
        survey_version=database.connection().execute("SELECT min(survey_version) FROM survey_versions").fetchone()[0],
        opens_on=dt.date(2025, 10, 1),
        closes_on=dt.date(2025, 10, 31),
    )
    yield database


@pytest.fixture(scope="module")
def tokens(db):
    roster = pd.DataFrame({"row": range(2, 402), "email": [f"h{i}@x" for i in range(400)], "name": ""})
    roster["department"] = "SALES"
    links = create_invitations(db, WAVE, roster, base_url="http://x", expires_days=30)
    return iter([link.split("token=")[1] for link in links["link"]])


def _counts(db: Database) -> dict[str, int]:
    con = db.connection()
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}  # fixed table names


def _clear(text: str, key: str = "") -> None:
    """A message a person can read: not empty, not a raw text key, no unfilled placeholder, no traceback."""
    assert text and text.strip(), key
    assert not re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", text), f"raw key {text!r}"
    assert "{" not in text and "Traceback" not in text, text


def _raw(comment) -> dict:
    return {
        "frequency": {"PROD": "weekly"},
        "ratings": {"PROD": {"items": {"reliability_1": 4}, "recommend": 7, "comments": {"change": comment}}},
    }


@SETTINGS
@given(text=st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=300), st.text(min_size=990, max_size=1010)))
def test_free_text_is_stored_exactly_as_cleaned_or_refused_with_a_message(db, tokens, text):
    before = _counts(db)
    try:
        valid = validate_submission(SURVEY, _raw(text), rater_dept="SALES", providers=["PROD", "IT"])
    except AnswerError as error:
        for problem in error.problems:
            assert problem.code in PROBLEM_CODES
            for lang in ("en", "zh"):
                _clear(translate(f"survey_err_{problem.code}", lang, provider="PROD", limit=1000), problem.code)
        assert _counts(db) == before
        return
    stored_text = valid.ratings[0].comments.get("change")
    token = next(tokens)
    (result,) = write_submissions(db, [PendingSubmission(hash_token(token), WAVE, valid)])
    assert result.ok
    rows = (
        db.connection()
        .execute(
            "SELECT c.text FROM comments c JOIN responses r USING (response_id) WHERE r.submission_id = ?",
            [result.submission_id],
        )
        .fetchall()
    )
    if stored_text is None:  # blank text is no comment
        assert rows == []
    else:
        assert rows == [(stored_text,)]  # markup, SQL, emoji and marks come back exactly, as text
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", stored_text) and len(stored_text) <= 1000


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=100, deadline=None)
@given(
    raw=st.one_of(
        json_values,
        st.fixed_dictionaries(
            {
                "frequency": st.dictionaries(st.sampled_from(["PROD", "IT", "SALES", "XX"]), json_values, max_size=3),
                "ratings": st.dictionaries(
                    st.sampled_from(["PROD", "IT", "XX"]),
                    st.fixed_dictionaries(
                        {
                            "items": st.dictionaries(st.sampled_from([*SURVEY.item_ids[:3], "x_1"]), json_values),
                            "recommend": json_values,
                            "comments": json_values,
                        }
                    ),
                    max_size=2,
                ),
                "self": json_values,
            }
        ),
    )
)
def test_any_shape_of_answers_is_refused_with_known_problems_only(raw):
    try:
        valid = validate_submission(SURVEY, raw, rater_dept="SALES", providers=["PROD", "IT"])
    except AnswerError as error:
        assert error.problems and all(p.code in PROBLEM_CODES for p in error.problems)
        return
    for rating in valid.ratings:
        assert all(v is None or 1 <= v <= 5 for v in rating.answers.values())
        assert rating.recommend is None or 0 <= rating.recommend <= 10


# --- every CSV the product imports ------------------------------------------------------------------


def _import_org(db, raw: bytes, which: str) -> list[str]:
    changes = read_organisation(db, raw if which == "departments" else None, raw if which == "relationships" else None)
    if changes.ok:
        return []
    with pytest.raises(ValueError):
        write_organisation(db, changes)  # refused whole: nothing half written
    messages = []
    for problem in changes.problems:
        for lang in ("en", "zh"):
            messages.append(describe(problem, lang))
    return messages


def _import_roster(db, raw: bytes) -> list[str]:
    _, problems = parse_roster_for(db, raw)
    return [describe(p, lang) for lang in ("en", "zh") for p in problems]


def _import_responses(db, raw: bytes) -> list[str]:
    checked = import_file(db, "test", IMPORT_WAVE, raw)
    return [describe(p, lang) for p in checked.problems for lang in ("en", "zh")]


IMPORTERS = {
    "departments": lambda db, raw: _import_org(db, raw, "departments"),
    "relationships": lambda db, raw: _import_org(db, raw, "relationships"),
    "roster": _import_roster,
    "responses": _import_responses,
}
GOOD_HEADERS = {
    "departments": "code,name_en,name_zh\n",
    "relationships": "customer_dept,provider_dept,type\n",
    "roster": "email,department\n",
    "responses": ",".join(["rater_dept", "provider_dept", "frequency", "recommend", *SURVEY.item_ids]) + "\n",
}
BAD_FILES = {
    "empty": b"",
    "blank lines": b"\n\n  \n",
    "utf16": "code,name_en\nA,B\n".encode("utf-16"),
    "workbook": b"PK\x03\x04" + b"\x00" * 200,
    "nul bytes": b"code,name\x00,x\n\x00\x00\x00",
    "latin-1": "code,name_en,name_zh\nSALES,Caf\xe9 d\xe9partement,\xe9\n".encode("latin-1"),
    "missing columns": b"something,else\n1,2\n",
    "extra columns": b"code,name_en,name_zh,surprise\nZZ,Zed,\xe5\x85\xb6,<script>x</script>\n",
    "header only": None,  # the importer's own header, no rows
    "ragged rows": None,  # the importer's header, rows with too many or too few cells
    "formula cells": None,
}


def _bad_file(name: str, importer: str) -> bytes:
    header = GOOD_HEADERS[importer]
    if name == "header only":
        return header.encode()
    if name == "ragged rows":
        return (header + "A\nA,B,C,D,E,F,G,H,I,J,K,L,M,N,O,P,Q,R,S,T,U,V,W,X,Y,Z,1,2,3,4,5,6,7,8,9\n").encode()
    if name == "formula cells":
        width = header.count(",") + 1
        return (header + ",".join(["=cmd|' /C calc'!A0"] * width) + "\n").encode()
    return BAD_FILES[name]


@pytest.mark.parametrize("importer", list(IMPORTERS))
@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_files_are_refused_with_a_message_and_nothing_is_written(db, importer, case):
    before = _counts(db)
    messages = IMPORTERS[importer](db, _bad_file(case, importer))
    if case == "extra columns" and importer == "departments":
        # a valid department file with one more column: the organisation import reads the columns it
        # knows and ignores the others (Excel exports often carry extra columns); nothing is written yet
        assert messages == []
    else:
        assert messages, f"{importer} accepted {case}"
    for message in messages:
        _clear(message)
    assert _counts(db) == before


@SETTINGS
@given(raw=st.one_of(st.binary(max_size=600), st.text(max_size=600).map(lambda s: s.encode("utf-8"))))
def test_any_bytes_give_problems_or_an_import_never_an_exception(db, raw):
    before = _counts(db)
    for name, importer in IMPORTERS.items():
        messages = importer(db, raw)
        for message in messages:
            _clear(message, name)
    assert _counts(db) == before  # random bytes never make a whole valid file


@pytest.mark.parametrize("importer", ["roster", "departments"])
def test_a_million_row_file_is_refused_quickly_with_a_message(db, importer):
    n = 1_000_000
    if importer == "roster":
        raw = ("email,department\n" + "".join(f"p{i}@x.com,SALES\n" for i in range(n))).encode()
    else:
        raw = ("code,name_en,name_zh\n" + "".join(f"D{i},Dept {i},部门{i}\n" for i in range(n))).encode()
    before = _counts(db)
    started = time.perf_counter()
    messages = IMPORTERS[importer](db, raw)
    elapsed = time.perf_counter() - started
    assert any("100000" in m or "50000" in m for m in messages), messages
    assert elapsed < 60, f"{importer}: {elapsed:.0f} s for a million rows"
    assert _counts(db) == before


# --- survey definitions --------------------------------------------------------------------------------

DEFAULT_YAML = DEFAULT_SURVEY_PATH.read_text(encoding="utf-8")
DEFAULT_TREE = yaml.safe_load(DEFAULT_YAML)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


PATHS = [p for p in _paths(DEFAULT_TREE) if p]


def _replace(tree, path, value):
    import copy

    out = copy.deepcopy(tree)
    node = out
    for key in path[:-1]:
        node = node[key]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


_DELETE = object()


@settings(max_examples=100, deadline=None)
@given(
    path=st.sampled_from(PATHS),
    value=st.one_of(st.just(_DELETE), json_values, st.sampled_from(["", "{provider", "x" * 500, -1, 0, 99])),
)
def test_a_broken_survey_definition_raises_only_survey_definition_error(path, value):
    source = yaml.safe_dump(_replace(DEFAULT_TREE, path, value), allow_unicode=True)
    try:
        parse_survey(source, "broken.yaml")
    except SurveyDefinitionError as error:
        assert str(error).startswith("broken.yaml")


@settings(max_examples=60, deadline=None)
@given(
    source=st.one_of(st.text(max_size=300), st.sampled_from(["", "- a\n- b", "a: [", "!!python/object:os.system x"]))
)
def test_any_text_as_a_survey_definition_raises_only_survey_definition_error(source):
    with pytest.raises(SurveyDefinitionError):
        parse_survey(source, "random.yaml")


def test_the_two_lists_stay_in_step():
    assert set(itertools.chain(IMPORTERS)) == set(GOOD_HEADERS)

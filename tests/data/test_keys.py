"""Issue 23, integrity first: the keys of responses and answers (migration 0011), tested at the SQL
level on a migrated database, past both writers: the schema itself must refuse these rows."""

import datetime as dt
import uuid

import duckdb
import pytest

from data.db import Database, migration_files

SALES, PROD = "SALES", "PROD"


@pytest.fixture
def keyed_db(tmp_path):
    """A migrated database with two departments, a survey version and a wave W1."""
    db = Database(tmp_path / "keys.duckdb")
    con = db.connection()
    con.execute(
        "INSERT INTO departments (code, name_en, name_zh) VALUES ('SALES', 'Sales', '销售'), ('PROD', 'P', '产')"
    )
    con.execute(
        "INSERT INTO survey_versions (survey_version, survey_id, version, definition) VALUES ('s1', 's', 1, '')"
    )
    con.execute(
        "INSERT INTO waves (wave_id, name_en, name_zh, survey_version, status, opens_on, closes_on)"
        " VALUES ('W1', 'W1', 'W1', 's1', 'open', DATE '2026-01-01', DATE '2026-12-31')"
    )
    yield db
    db.close()


def _response(con, *, response_id=None, wave_id="W1", rater=SALES, provider=PROD, submission_id=None):
    response_id = response_id or str(uuid.uuid4())
    con.execute(
        "INSERT INTO responses (response_id, wave_id, rater_dept, provider_dept, frequency, recommend,"
        " submission_id, submitted_on) VALUES (?, ?, ?, ?, 'weekly', 7, ?, DATE '2026-02-01')",
        [response_id, wave_id, rater, provider, submission_id or str(uuid.uuid4())],
    )
    return response_id


@pytest.mark.parametrize(
    "bad",
    [
        {"wave_id": "NO-WAVE"},
        {"rater": "GHOST"},
        {"provider": "GHOST"},
    ],
    ids=["unknown wave", "unknown rater", "unknown provider"],
)
def test_a_response_of_an_unknown_wave_or_department_is_refused(keyed_db, bad):
    with pytest.raises(duckdb.ConstraintException):
        _response(keyed_db.connection(), **bad)
    assert keyed_db.connection().execute("SELECT count(*) FROM responses").fetchone() == (0,)


def test_a_response_id_stored_twice_is_refused(keyed_db):
    con = keyed_db.connection()
    rid = _response(con)
    with pytest.raises(duckdb.ConstraintException):
        _response(con, response_id=rid, rater=PROD, provider=SALES)


def test_a_provider_rated_twice_in_one_sitting_is_refused(keyed_db):
    con = keyed_db.connection()
    sid = str(uuid.uuid4())
    _response(con, submission_id=sid)
    with pytest.raises(duckdb.ConstraintException):
        _response(con, submission_id=sid)


def test_an_answer_of_a_missing_response_is_refused(keyed_db):
    with pytest.raises(duckdb.ConstraintException):
        keyed_db.connection().execute("INSERT INTO answers VALUES (?, 'reliability_1', 4)", [str(uuid.uuid4())])


def test_an_item_answered_twice_in_one_response_is_refused(keyed_db):
    con = keyed_db.connection()
    rid = _response(con)
    con.execute("INSERT INTO answers VALUES (?, 'reliability_1', 4)", [rid])
    with pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO answers VALUES (?, 'reliability_1', 2)", [rid])


def test_a_comment_of_a_missing_response_or_twice_on_one_response_is_refused(keyed_db):
    con = keyed_db.connection()
    with pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO response_comments VALUES (?, 'Earlier', NULL)", [str(uuid.uuid4())])
    rid = _response(con)
    con.execute("INSERT INTO response_comments VALUES (?, 'Earlier', NULL)", [rid])
    with pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO response_comments VALUES (?, NULL, 'More')", [rid])


def test_a_comment_can_be_corrected_and_removed_while_answers_refer_to_its_response(keyed_db):
    # What an analyst does by hand (docs/operations.md): the response row itself is never updated.
    con = keyed_db.connection()
    rid = _response(con)
    con.execute("INSERT INTO answers VALUES (?, 'reliability_1', 4)", [rid])
    con.execute("INSERT INTO response_comments VALUES (?, 'Ask Wang Wei, he never answers', 'Plans')", [rid])
    con.execute("UPDATE response_comments SET comment_change = '[removed]' WHERE response_id = ?", [rid])
    assert sorted(con.execute("SELECT question, text FROM comments").fetchall()) == [
        ("change", "[removed]"),
        ("need", "Plans"),
    ]
    con.execute("UPDATE response_comments SET comment_need = NULL WHERE response_id = ?", [rid])
    assert con.execute("SELECT question, text FROM comments").fetchall() == [("change", "[removed]")]
    con.execute("DELETE FROM response_comments WHERE response_id = ?", [rid])
    assert con.execute("SELECT count(*) FROM comments").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM answers").fetchone() == (1,)


def test_duckdb_refuses_any_update_of_an_answered_response_which_is_why_comments_have_their_table(keyed_db):
    # DuckDB 2.0.1: the CHECK (rater_dept <> provider_dept) spans columns that carry the foreign keys'
    # indexes, so any UPDATE of responses becomes delete + insert, refused while answers refer to the
    # row, even when they were deleted earlier in the same transaction (migration 0011's header).
    # Should DuckDB allow it one day, this test says that the comments could go back on the row.
    con = keyed_db.connection()
    rid = _response(con)
    con.execute("INSERT INTO answers VALUES (?, 'reliability_1', 4)", [rid])
    with pytest.raises(duckdb.ConstraintException, match="still referenced"):
        con.execute("UPDATE responses SET recommend = 3 WHERE response_id = ?", [rid])
    con.execute("BEGIN TRANSACTION")
    con.execute("DELETE FROM answers WHERE response_id = ?", [rid])
    with pytest.raises(duckdb.ConstraintException, match="still referenced"):
        con.execute("UPDATE responses SET recommend = 3 WHERE response_id = ?", [rid])
    con.execute("ROLLBACK")
    assert con.execute("SELECT recommend FROM responses").fetchone() == (7,)


def test_waves_and_departments_stay_updatable_with_responses_referring_to_them(keyed_db):
    # What the app does to referenced rows: a wave opened and closed, a department renamed, moved
    # under a parent and made inactive (data/org_import.py's upsert), a second import of the same org.
    con = keyed_db.connection()
    rid = _response(con)
    con.execute("INSERT INTO answers VALUES (?, 'reliability_1', 4)", [rid])
    con.execute("UPDATE waves SET status = 'closed' WHERE wave_id = 'W1'")
    con.execute("UPDATE waves SET status = 'open' WHERE wave_id = 'W1' AND status = 'closed'")
    con.execute("UPDATE departments SET name_en = 'Sales & Marketing', parent_code = 'PROD' WHERE code = 'SALES'")
    con.execute("UPDATE departments SET active = FALSE WHERE code = 'PROD'")
    con.execute(
        "INSERT INTO departments (code, name_en, name_zh, parent_code, active) VALUES ('PROD', 'Production', '生产',"
        " NULL, TRUE) ON CONFLICT (code) DO UPDATE SET name_en = excluded.name_en, name_zh = excluded.name_zh,"
        " parent_code = excluded.parent_code, active = excluded.active"
    )
    assert con.execute("SELECT status FROM waves").fetchone() == ("open",)
    assert con.execute("SELECT count(*) FROM responses").fetchone() == (1,)


def test_migration_11_puts_the_keys_back_and_keeps_every_row(tmp_path):
    # A database at version 0010 (keys dropped by 0003/0004, comments on the response row) with two
    # responses of one sitting, their answers (one "not applicable") and comments.
    path = tmp_path / "v10.duckdb"
    files = dict(migration_files())
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    for version in range(1, 11):
        con.execute(files[version].read_text(encoding="utf-8"))
        con.execute("INSERT INTO schema_version (version, name) VALUES (?, ?)", [version, files[version].name])
    con.execute("INSERT INTO departments (code, name_en, name_zh) VALUES ('SALES', 'S', '销'), ('PROD', 'P', '产')")
    con.execute(
        "INSERT INTO survey_versions (survey_version, survey_id, version, definition) VALUES ('s1', 's', 1, '')"
    )
    con.execute(
        "INSERT INTO waves (wave_id, name_en, name_zh, survey_version, status, opens_on, closes_on)"
        " VALUES ('W', 'W', 'W', 's1', 'open', DATE '2026-01-01', DATE '2026-12-31')"
    )
    first, second, sid = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    con.execute(
        "INSERT INTO responses VALUES (?, 'W', 'SALES', 'PROD', 'daily', 7, ?, DATE '2026-02-01', '早点说', NULL),"
        " (?, 'W', 'PROD', 'SALES', 'weekly', NULL, ?, DATE '2026-02-02', NULL, NULL)",
        [first, sid, second, str(uuid.uuid4())],
    )
    con.execute(
        "INSERT INTO answers VALUES (?, 'reliability_1', 4), (?, 'reliability_2', NULL), (?, 'reliability_1', 1)",
        [first, first, second],
    )
    responses_before = con.execute("SELECT count(*) FROM responses").fetchone()
    con.close()

    db = Database(path)  # applies 0011 (and any later migration)
    con = db.connection()
    assert db.schema_version() >= 11
    assert con.execute("SELECT count(*) FROM responses").fetchone() == responses_before
    assert sorted(
        con.execute(
            "SELECT CAST(response_id AS VARCHAR), wave_id, rater_dept, provider_dept, frequency, recommend,"
            " submitted_on FROM responses"
        ).fetchall()
    ) == sorted(
        [
            (first, "W", "SALES", "PROD", "daily", 7, dt.date(2026, 2, 1)),
            (second, "W", "PROD", "SALES", "weekly", None, dt.date(2026, 2, 2)),
        ]
    )
    assert sorted(
        con.execute("SELECT CAST(response_id AS VARCHAR), item_id, value FROM answers").fetchall(), key=str
    ) == sorted([(first, "reliability_1", 4), (first, "reliability_2", None), (second, "reliability_1", 1)], key=str)
    assert con.execute("SELECT CAST(response_id AS VARCHAR), question, text FROM comments").fetchall() == [
        (first, "change", "早点说")
    ]
    kinds = {
        table: sorted(
            kind
            for (kind,) in con.execute(
                "SELECT constraint_type FROM duckdb_constraints() WHERE table_name = ?", [table]
            ).fetchall()
        )
        for table in ("responses", "answers", "response_comments")
    }
    assert kinds["responses"].count("PRIMARY KEY") == 1 and kinds["responses"].count("FOREIGN KEY") == 3
    assert kinds["responses"].count("UNIQUE") == 1 and kinds["responses"].count("CHECK") == 3
    assert kinds["answers"].count("PRIMARY KEY") == 1 and kinds["answers"].count("FOREIGN KEY") == 1
    assert kinds["answers"].count("CHECK") == 2
    assert kinds["response_comments"].count("PRIMARY KEY") == 1 and kinds["response_comments"].count("FOREIGN KEY") == 1
    tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert not {"responses_0011", "answers_0011", "comments"} & tables
    db.close()


def test_migration_11_refuses_a_database_whose_rows_break_a_key_and_changes_nothing(tmp_path):
    path = tmp_path / "v10.duckdb"
    files = dict(migration_files())
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    for version in range(1, 11):
        con.execute(files[version].read_text(encoding="utf-8"))
        con.execute("INSERT INTO schema_version (version, name) VALUES (?, ?)", [version, files[version].name])
    con.execute("INSERT INTO answers VALUES (?, 'reliability_1', 4)", [str(uuid.uuid4())])  # of no response
    con.close()
    with pytest.raises(duckdb.ConstraintException):
        Database(path)
    con = duckdb.connect(str(path))
    assert con.execute("SELECT max(version) FROM schema_version").fetchone() == (10,)
    assert con.execute("SELECT count(*) FROM answers").fetchone() == (1,)
    con.close()

"""Issue 23, integrity first: the keys of responses and answers (migration 0011) and of accounts
(0012), tested at the SQL level on a migrated database, past both writers: the schema itself must
refuse these rows. On both backends (`keyed_db`), but for what pins DuckDB's own behaviour and its
migrations."""

import datetime as dt
import uuid

import duckdb
import pytest

from data.db import Database, migration_files
from data.responses import integrity_counts

SALES, PROD = "SALES", "PROD"


def _seed(db):
    """Two departments, a survey version and a wave W1 in a migrated database."""
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
    return db


@pytest.fixture
def keyed_db(store):
    """A migrated database with two departments, a survey version and a wave W1, on each backend
    (PostgreSQL's baseline has the same keys: tests/data/test_pg_schema.py)."""
    return _seed(store)


@pytest.fixture
def duckdb_keyed_db(tmp_path):
    """The same on DuckDB only, for what pins DuckDB's own behaviour."""
    db = _seed(Database(tmp_path / "keys.duckdb"))
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
    with pytest.raises(keyed_db.constraint_errors):
        _response(keyed_db.connection(), **bad)
    assert keyed_db.connection().execute("SELECT count(*) FROM responses").fetchone() == (0,)


def test_a_response_id_stored_twice_is_refused(keyed_db):
    con = keyed_db.connection()
    rid = _response(con)
    with pytest.raises(keyed_db.constraint_errors):
        _response(con, response_id=rid, rater=PROD, provider=SALES)


def test_a_provider_rated_twice_in_one_sitting_is_refused(keyed_db):
    con = keyed_db.connection()
    sid = str(uuid.uuid4())
    _response(con, submission_id=sid)
    with pytest.raises(keyed_db.constraint_errors):
        _response(con, submission_id=sid)


def test_an_answer_of_a_missing_response_is_refused(keyed_db):
    with pytest.raises(keyed_db.constraint_errors):
        keyed_db.connection().execute("INSERT INTO answers VALUES (?, 'reliability_1', 4, 'W1')", [str(uuid.uuid4())])


def test_an_answer_in_another_wave_than_its_response_is_refused_or_counted(keyed_db):
    """Migration 0014: an answer carries its response's wave. PostgreSQL's foreign key (response_id,
    wave_id) refuses any other; DuckDB cannot add that key to a filled table, so `cli.py check`
    counts such an answer (the writers copy the wave from the response they write)."""
    con = keyed_db.connection()
    con.execute(
        "INSERT INTO waves (wave_id, name_en, name_zh, survey_version, status, opens_on, closes_on)"
        " VALUES ('W2', 'W2', 'W2', 's1', 'draft', DATE '2027-01-01', DATE '2027-12-31')"
    )
    rid = _response(con)  # in W1
    if keyed_db.backend == "postgres":
        with pytest.raises(keyed_db.constraint_errors):
            con.execute("INSERT INTO answers VALUES (?, 'reliability_1', 4, 'W2')", [rid])
        assert integrity_counts(keyed_db)["answers whose wave is not their response's"] == 0
    else:
        con.execute("INSERT INTO answers VALUES (?, 'reliability_1', 4, 'W2')", [rid])
        assert integrity_counts(keyed_db)["answers whose wave is not their response's"] == 1
    with pytest.raises(keyed_db.constraint_errors):  # and never without a wave
        con.execute("INSERT INTO answers VALUES (?, 'reliability_2', 4, NULL)", [rid])


def test_an_item_answered_twice_in_one_response_is_refused(keyed_db):
    con = keyed_db.connection()
    rid = _response(con)
    con.execute("INSERT INTO answers VALUES (?, 'reliability_1', 4, 'W1')", [rid])
    with pytest.raises(keyed_db.constraint_errors):
        con.execute("INSERT INTO answers VALUES (?, 'reliability_1', 2, 'W1')", [rid])


def test_a_comment_of_a_missing_response_or_twice_on_one_response_is_refused(keyed_db):
    con = keyed_db.connection()
    with pytest.raises(keyed_db.constraint_errors):
        con.execute("INSERT INTO response_comments VALUES (?, 'Earlier', NULL)", [str(uuid.uuid4())])
    rid = _response(con)
    con.execute("INSERT INTO response_comments VALUES (?, 'Earlier', NULL)", [rid])
    with pytest.raises(keyed_db.constraint_errors):
        con.execute("INSERT INTO response_comments VALUES (?, NULL, 'More')", [rid])


def test_a_comment_can_be_corrected_and_removed_while_answers_refer_to_its_response(keyed_db):
    # What an analyst does by hand (docs/operations.md): the response row itself is never updated.
    con = keyed_db.connection()
    rid = _response(con)
    con.execute("INSERT INTO answers VALUES (?, 'reliability_1', 4, 'W1')", [rid])
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


def test_duckdb_refuses_any_update_of_an_answered_response_which_is_why_comments_have_their_table(duckdb_keyed_db):
    # DuckDB 2.0.1: the CHECK (rater_dept <> provider_dept) spans columns that carry the foreign keys'
    # indexes, so any UPDATE of responses becomes delete + insert, refused while answers refer to the
    # row, even when they were deleted earlier in the same transaction (migration 0011's header).
    # Should DuckDB allow it one day, this test says that the comments could go back on the row.
    con = duckdb_keyed_db.connection()
    rid = _response(con)
    con.execute("INSERT INTO answers VALUES (?, 'reliability_1', 4, 'W1')", [rid])
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
    con.execute("INSERT INTO answers VALUES (?, 'reliability_1', 4, 'W1')", [rid])
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
    # and 0014 gave each answer its response's wave
    assert con.execute("SELECT DISTINCT wave_id FROM answers").fetchall() == [("W",)]
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


# Migration 0012: department scopes and plan owners refer to their account.


def _plan(con, owner_a="li.na", owner_b="li.na"):
    (plan_id,) = con.execute(
        "INSERT INTO action_plans (dept_a, dept_b, wave_id, created_by) VALUES ('SALES', 'PROD', 'W1', 't')"
        " RETURNING plan_id"
    ).fetchone()
    con.execute(
        "INSERT INTO plan_terms (plan_id, title, owner_a, owner_b) VALUES (?, 'Faster answers', ?, ?)",
        [plan_id, owner_a, owner_b],
    )
    return plan_id


def test_a_scope_or_a_plan_owner_of_no_account_is_refused(keyed_db):
    from data.users import add_user

    con = keyed_db.connection()
    add_user(keyed_db, "li.na", "leader", password="a long secret 123")
    with pytest.raises(keyed_db.constraint_errors):
        con.execute("INSERT INTO user_departments VALUES ('nobody', 'SALES')")
    with pytest.raises(keyed_db.constraint_errors):
        _plan(con, owner_b="ghost")
    plan_id = _plan(con)
    with pytest.raises(keyed_db.constraint_errors):
        con.execute(
            "INSERT INTO plan_commitments (plan_id, side, owner, title, due_on) VALUES (?, 'SALES', 'ghost', 'x',"
            " DATE '2026-03-01')",
            [plan_id],
        )
    with pytest.raises(keyed_db.constraint_errors):
        con.execute("UPDATE plan_terms SET owner_a = 'ghost' WHERE plan_id = ?", [plan_id])


def test_an_account_referred_to_signs_in_fails_is_locked_changed_and_disabled(keyed_db):
    from data import users

    con = keyed_db.connection()
    users.add_user(keyed_db, "li.na", "leader", password="a long secret 123")
    users.add_user(keyed_db, "boss", "admin", password="a long secret 456")
    con.execute("INSERT INTO user_departments VALUES ('li.na', 'SALES')")
    plan_id = _plan(con)
    con.execute(
        "INSERT INTO plan_commitments (plan_id, side, owner, title, due_on) VALUES (?, 'SALES', 'li.na', 'x',"
        " DATE '2026-03-01')",
        [plan_id],
    )
    now = dt.datetime(2026, 11, 27, 9, 0, 0)
    for n in range(12):  # enough failures to pause the account
        users.verify(keyed_db, "li.na", "wrong password", address=f"10.0.0.{n}", now=now)
    (failures, locked_until) = con.execute(
        "SELECT failed_attempts, locked_until FROM users WHERE username = 'li.na'"
    ).fetchone()
    assert failures == 12 and locked_until is not None
    users.unlock_user(keyed_db, "li.na")
    assert users.verify(keyed_db, "li.na", "a long secret 123", now=now).status == "ok"
    users.set_password(keyed_db, "li.na", "another secret 789")
    con.execute("DELETE FROM user_departments WHERE username = 'li.na'")  # only a leader has a scope
    users.set_role(keyed_db, "li.na", "analyst")  # still a plan owner
    users.set_active(keyed_db, "li.na", False)
    assert con.execute("SELECT role, active FROM users WHERE username = 'li.na'").fetchone() == ("analyst", False)
    assert con.execute("SELECT count(*) FROM plan_commitments WHERE owner = 'li.na'").fetchone() == (1,)


def test_migration_12_gives_scopes_and_owners_their_key_and_keeps_every_row(tmp_path):
    path = tmp_path / "v11.duckdb"
    files = dict(migration_files())
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    for version in range(1, 12):
        con.execute(files[version].read_text(encoding="utf-8"))
        con.execute("INSERT INTO schema_version (version, name) VALUES (?, ?)", [version, files[version].name])
    con.execute("INSERT INTO departments (code, name_en, name_zh) VALUES ('SALES', 'S', '销'), ('PROD', 'P', '产')")
    con.execute(
        "INSERT INTO survey_versions (survey_version, survey_id, version, definition) VALUES ('s1', 's', 1, '')"
    )
    con.execute(
        "INSERT INTO waves (wave_id, name_en, name_zh, survey_version, status, opens_on, closes_on)"
        " VALUES ('W1', 'W', 'W', 's1', 'open', DATE '2026-01-01', DATE '2026-12-31')"
    )
    con.execute("INSERT INTO users (username, display_name, role) VALUES ('li.na', 'Li Na', 'leader')")
    con.execute("INSERT INTO user_departments VALUES ('li.na', 'SALES')")
    plan_id = _plan(con)
    con.execute(
        "UPDATE plan_terms SET focus = 'Replies', target_rater = 'SALES', target_provider = 'PROD', target_value = 70,"
        " accepted_a = TRUE WHERE plan_id = ?",
        [plan_id],
    )
    con.execute(
        "INSERT INTO plan_commitments (plan_id, side, owner, title, due_on, status) VALUES (?, 'PROD', 'li.na',"
        " 'Weekly call', DATE '2026-03-01', 'in_progress')",
        [plan_id],
    )
    before = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in _ACCOUNT_TABLES}
    con.close()

    db = Database(path)  # applies 0012
    con = db.connection()
    assert db.schema_version() >= 12
    assert {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in _ACCOUNT_TABLES} == before
    for table, column in (("user_departments", "username"), ("plan_terms", "owner_a"), ("plan_commitments", "owner")):
        texts = [
            text
            for (text,) in con.execute(
                "SELECT constraint_text FROM duckdb_constraints()"
                " WHERE table_name = ? AND constraint_type = 'FOREIGN KEY'",
                [table],
            ).fetchall()
        ]
        assert f"FOREIGN KEY ({column}) REFERENCES users(username)" in [text.replace('"', "") for text in texts]
    # the next commitment still takes its id from the sequence
    con.execute(
        "INSERT INTO plan_commitments (plan_id, side, owner, title, due_on) VALUES (?, 'SALES', 'li.na', 'y',"
        " DATE '2026-04-01')",
        [plan_id],
    )
    assert con.execute("SELECT count(DISTINCT commitment_id) FROM plan_commitments").fetchone() == (2,)
    db.close()


_ACCOUNT_TABLES = ("user_departments", "plan_terms", "plan_commitments")

"""The store: migrations, per-thread connections, and constraints that refuse bad rows."""

import datetime as dt
import threading
import uuid

import duckdb
import pandas as pd
import pytest

from data.db import Database, db_path_from_env, migration_files
from data.org import insert_organisation
from data.responses import insert_responses
from data.waves import create_wave, register_survey
from surveys.definition import load_survey


def test_migrations_are_recorded_and_running_them_again_changes_nothing(tmp_path):
    path = tmp_path / "x.duckdb"
    db = Database(path)
    latest = max(v for v, _ in migration_files())
    assert db.schema_version() == latest
    tables_before = db.connection().execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()
    assert db.migrate() == []
    db.close()
    again = Database(path)  # reopening applies nothing new and keeps the tables
    assert again.migrate() == []
    tables_after = again.connection().execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()
    assert tables_after == tables_before
    assert {"departments", "responses", "answers", "invitations", "users", "audit_log"} <= {t for (t,) in tables_after}
    again.close()


def test_migration_2_moves_drafts_of_unused_invitations_onto_the_invitation(tmp_path):
    # A database made by migration 0001 alone, with a draft on an unused and on a used invitation.
    path = tmp_path / "old.duckdb"
    (first, first_file), *_ = migration_files()
    assert first == 1
    con = duckdb.connect(str(path))
    con.execute(first_file.read_text(encoding="utf-8"))
    con.execute(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    con.execute("INSERT INTO schema_version (version, name) VALUES (1, ?)", [first_file.name])
    con.execute("INSERT INTO departments (code, name_en, name_zh) VALUES ('SALES', 'Sales', '销售部')")
    con.execute(
        "INSERT INTO survey_versions (survey_version, survey_id, version, definition) VALUES ('s1', 's', 1, '')"
    )
    con.execute(
        "INSERT INTO waves (wave_id, name_en, name_zh, survey_version, status, opens_on, closes_on)"
        " VALUES ('W', 'W', 'W', 's1', 'open', DATE '2026-01-01', DATE '2026-12-31')"
    )
    unused, used = "a" * 64, "b" * 64
    for token_hash, is_used in ((unused, False), (used, True)):
        con.execute(
            "INSERT INTO invitations VALUES (?, 'W', 'SALES', TIMESTAMP '2030-01-01', ?)", [token_hash, is_used]
        )
        con.execute("INSERT INTO drafts (token_hash, payload) VALUES (?, '{\"pos\": 2}')", [token_hash])
    con.close()

    db = Database(path)  # applies 0002 and later
    assert db.schema_version() == max(v for v, _ in migration_files())
    rows = dict(db.connection().execute("SELECT token_hash, draft FROM invitations").fetchall())
    assert rows == {unused: '{"pos": 2}', used: None}
    tables = {t for (t,) in db.connection().execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert "drafts" not in tables
    db.close()


def test_migration_3_moves_comments_onto_their_response_and_keeps_every_row(tmp_path):
    # A database made by migrations 0001 and 0002, with two responses: one with both comments and
    # two answers (one "not applicable"), one with neither.
    path = tmp_path / "old.duckdb"
    files = dict(migration_files())
    con = duckdb.connect(str(path))
    for version in (1, 2):
        con.execute(files[version].read_text(encoding="utf-8"))
    con.execute(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    con.execute("INSERT INTO schema_version (version, name) VALUES (1, 'a'), (2, 'b')")
    con.execute("INSERT INTO departments (code, name_en, name_zh) VALUES ('SALES', 'S', '销'), ('PROD', 'P', '产')")
    con.execute(
        "INSERT INTO survey_versions (survey_version, survey_id, version, definition) VALUES ('s1', 's', 1, '')"
    )
    con.execute(
        "INSERT INTO waves (wave_id, name_en, name_zh, survey_version, status, opens_on, closes_on)"
        " VALUES ('W', 'W', 'W', 's1', 'closed', DATE '2026-01-01', DATE '2026-12-31')"
    )
    with_notes, without = str(uuid.uuid4()), str(uuid.uuid4())
    for rid in (with_notes, without):
        con.execute(
            "INSERT INTO responses VALUES (?, 'W', 'SALES', 'PROD', 'weekly', 0, ?, DATE '2026-02-01')",
            [rid, str(uuid.uuid4())],
        )
    con.execute("INSERT INTO answers VALUES (?, 'reliability_1', 4), (?, 'reliability_2', NULL)", [with_notes] * 2)
    con.execute("INSERT INTO comments VALUES (?, 'change', '早点说'), (?, 'need', 'Plans')", [with_notes] * 2)
    con.close()

    db = Database(path)  # applies 0003 and later
    con = db.connection()
    assert db.schema_version() == max(v for v, _ in migration_files())
    rows = con.execute(  # the comments have their own table since migration 0011
        "SELECT CAST(response_id AS VARCHAR), recommend, comment_change, comment_need"
        " FROM responses LEFT JOIN response_comments USING (response_id) ORDER BY 3"
    ).fetchall()
    assert sorted(rows, key=str) == sorted([(with_notes, 0, "早点说", "Plans"), (without, 0, None, None)], key=str)
    assert sorted(con.execute("SELECT item_id, value FROM answers").fetchall(), key=str) == [
        ("reliability_1", 4),
        ("reliability_2", None),
    ]
    # the view keeps the former shape for reads
    assert sorted(con.execute("SELECT CAST(response_id AS VARCHAR), question, text FROM comments").fetchall()) == [
        (with_notes, "change", "早点说"),
        (with_notes, "need", "Plans"),
    ]
    tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert {"responses", "answers"} <= tables and "comments" not in tables
    db.close()


def test_migration_4_drops_the_keys_of_responses_and_keeps_rows_checks_and_the_comments_view(tmp_path):
    # A database made by migrations 0001-0003 with one commented response and its answer.
    path = tmp_path / "v3.duckdb"
    files = dict(migration_files())
    con = duckdb.connect(str(path))
    for version in (1, 2, 3):
        con.execute(files[version].read_text(encoding="utf-8"))
    con.execute(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    con.execute("INSERT INTO schema_version (version, name) VALUES (1, 'a'), (2, 'b'), (3, 'c')")
    con.execute("INSERT INTO departments (code, name_en, name_zh) VALUES ('SALES', 'S', '销'), ('PROD', 'P', '产')")
    con.execute(
        "INSERT INTO survey_versions (survey_version, survey_id, version, definition) VALUES ('s1', 's', 1, '')"
    )
    con.execute(
        "INSERT INTO waves (wave_id, name_en, name_zh, survey_version, status, opens_on, closes_on)"
        " VALUES ('W', 'W', 'W', 's1', 'open', DATE '2026-01-01', DATE '2026-12-31')"
    )
    rid, sid = str(uuid.uuid4()), str(uuid.uuid4())
    con.execute(
        "INSERT INTO responses VALUES (?, 'W', 'SALES', 'PROD', 'daily', 7, ?, DATE '2026-02-01', '早点说', NULL)",
        [rid, sid],
    )
    con.execute("INSERT INTO answers VALUES (?, 'reliability_1', 4)", [rid])
    invitation = ("c" * 64, "W", "SALES", dt.datetime(2030, 1, 1), False, '{"pos": 1}', dt.datetime(2026, 3, 1))
    con.execute("INSERT INTO invitations VALUES (?, ?, ?, ?, ?, ?, ?)", list(invitation))
    constraints = "SELECT constraint_type FROM duckdb_constraints() WHERE table_name = 'responses'"
    invitation_constraints = (
        "SELECT constraint_type, constraint_text FROM duckdb_constraints() WHERE table_name = 'invitations'"
    )
    kinds_before = sorted(kind for kind, _ in con.execute(invitation_constraints).fetchall())
    before = [t for (t,) in con.execute(constraints).fetchall()]
    assert before.count("PRIMARY KEY") == 1 and before.count("FOREIGN KEY") == 3
    # 0004 alone (migration 0011 puts the keys back: tests/data/test_keys.py)
    con.execute(files[4].read_text(encoding="utf-8"))
    after = [t for (t,) in con.execute(constraints).fetchall()]
    assert "PRIMARY KEY" not in after and "FOREIGN KEY" not in after
    assert after.count("CHECK") == before.count("CHECK") and after.count("NOT NULL") == before.count("NOT NULL")
    assert con.execute(
        "SELECT CAST(response_id AS VARCHAR), wave_id, rater_dept, provider_dept, frequency, recommend,"
        " CAST(submission_id AS VARCHAR), submitted_on, comment_change, comment_need FROM responses"
    ).fetchall() == [(rid, "W", "SALES", "PROD", "daily", 7, sid, dt.date(2026, 2, 1), "早点说", None)]
    assert con.execute("SELECT CAST(response_id AS VARCHAR), question, text FROM comments").fetchall() == [
        (rid, "change", "早点说")
    ]
    # invitations: the same rows and the same kinds of constraint, the hash CHECK without a regexp
    # the first seven columns (migration 0006 adds the language after them)
    assert [row[:7] for row in con.execute("SELECT * FROM invitations").fetchall()] == [invitation]
    after_invitations = con.execute(invitation_constraints).fetchall()
    assert sorted(kind for kind, _ in after_invitations) == kinds_before
    assert not any("regexp" in text for _, text in after_invitations)
    con.close()


def test_each_thread_gets_its_own_connection(memory_db):
    seen = []

    def grab():
        seen.append(memory_db.connection())

    threads = [threading.Thread(target=grab) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(c) for c in seen}) == 3
    assert memory_db.connection() is memory_db.connection()


def test_extension_autoloading_is_off(memory_db):
    settings = dict(
        memory_db.connection()
        .execute(
            "SELECT name, value FROM duckdb_settings()"
            " WHERE name IN ('autoinstall_known_extensions', 'autoload_known_extensions')"
        )
        .fetchall()
    )
    assert settings == {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}


def test_database_path_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ICSAT_DB", str(tmp_path / "a.duckdb"))
    assert db_path_from_env() == tmp_path / "a.duckdb"
    monkeypatch.delenv("ICSAT_DB")
    assert db_path_from_env().name == "icsat.duckdb" and db_path_from_env().parent.name == "data"


@pytest.fixture
def org_db(store):
    import pandas as pd

    deps = pd.DataFrame(
        {
            "code": ["SALES", "PROD"],
            "name_en": ["Sales", "Production"],
            "name_zh": ["销售部", "生产部"],
            "parent_code": [None, None],
            "active": [True, True],
        }
    )
    rels = pd.DataFrame({"customer_dept": ["SALES"], "provider_dept": ["PROD"], "type": ["process"]})
    insert_organisation(store, deps, rels)
    survey = load_survey()
    register_survey(store, survey)
    create_wave(
        store,
        "W1",
        name_en="W1",
        name_zh="W1",
        survey_version=survey.survey_version,
        opens_on=dt.date(2026, 1, 1),
        closes_on=dt.date(2026, 1, 31),
    )
    return store


def _response(**overrides):
    row = {
        "response_id": str(uuid.uuid4()),
        "wave_id": "W1",
        "rater_dept": "SALES",
        "provider_dept": "PROD",
        "frequency": "weekly",
        "recommend": 0,
        "submission_id": str(uuid.uuid4()),
        "submitted_on": dt.date(2026, 1, 5),
    }
    row.update(overrides)
    return row


def _insert_response(db, **overrides):
    row = _response(**overrides)
    columns, marks = ", ".join(row), ", ".join("?" * len(row))
    db.connection().execute(f"INSERT INTO responses ({columns}) VALUES ({marks})", list(row.values()))
    return row["response_id"]


def test_a_valid_response_with_recommend_zero_is_stored_as_zero(org_db):
    rid = _insert_response(org_db, recommend=0)
    assert org_db.connection().execute("SELECT recommend FROM responses WHERE response_id = ?", [rid]).fetchone() == (
        0,
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"recommend": 11},
        {"recommend": -1},
        {"frequency": "never"},  # "never" skips the provider: it is never stored
        {"frequency": "hourly"},
        {"provider_dept": "SALES"},  # a department rating itself
        {"submitted_on": None},
    ],
)
def test_bad_responses_are_refused_by_the_schema(org_db, overrides):
    with pytest.raises(org_db.constraint_errors):
        _insert_response(org_db, **overrides)


def test_answers_outside_1_to_5_and_unlike_an_item_id_are_refused(org_db):
    rid = _insert_response(org_db)
    con = org_db.connection()
    con.execute("INSERT INTO answers VALUES (?, 'reliability_1', 5, 'W1')", [rid])
    con.execute("INSERT INTO answers VALUES (?, 'reliability_2', NULL, 'W1')", [rid])  # not applicable
    for value in (0, 6):
        with pytest.raises(org_db.constraint_errors):
            con.execute("INSERT INTO answers VALUES (?, 'reliability_3', ?, 'W1')", [rid, value])
    with pytest.raises(org_db.constraint_errors):
        con.execute("INSERT INTO answers VALUES (?, 'Reliability 1', 4, 'W1')", [rid])  # not an item id


def test_a_comment_can_be_corrected_in_place(org_db):
    # A response row cannot be updated once answers refer to it (migration 0011 says why); its
    # comments have their own table, which nothing refers to: a comment naming a person can be
    # redacted without touching the response.
    rid = _insert_response(org_db)
    con = org_db.connection()
    con.execute("INSERT INTO answers VALUES (?, 'reliability_1', 4, 'W1')", [rid])
    con.execute(
        "INSERT INTO response_comments (response_id, comment_need) VALUES (?, 'Ask Wang Wei, he never answers')", [rid]
    )
    con.execute("UPDATE response_comments SET comment_need = '[removed]' WHERE response_id = ?", [rid])
    assert con.execute("SELECT question, text FROM comments").fetchall() == [("need", "[removed]")]


@pytest.mark.parametrize("text", ["", "x" * 1001])
def test_comments_outside_1_to_1000_characters_are_refused_by_the_schema(org_db, text):
    rid = _insert_response(org_db)
    with pytest.raises(org_db.constraint_errors):
        org_db.connection().execute(
            "INSERT INTO response_comments (response_id, comment_need) VALUES (?, ?)", [rid, text]
        )


def _frames(**changes):
    """One sitting of two responses with answers and a comment, as insert_responses takes them."""
    first, second = _response(), _response(rater_dept="PROD", provider_dept="SALES")
    frames = {
        "responses": pd.DataFrame([first, second]),
        "answers": pd.DataFrame(
            {
                "response_id": [first["response_id"], first["response_id"], second["response_id"]],
                "item_id": ["reliability_1", "reliability_2", "reliability_1"],
                "value": [5, None, 3],
            }
        ),
        "comments": pd.DataFrame({"response_id": [first["response_id"]], "question": ["change"], "text": ["早"]}),
    }
    for name, change in changes.items():
        frames[name] = change(frames[name])
    return frames


def test_bulk_insert_puts_comments_on_their_response(org_db):
    frames = _frames()
    assert insert_responses(org_db, frames["responses"], frames["answers"], frames["comments"]) == 2
    con = org_db.connection()
    assert sorted(
        con.execute(
            "SELECT provider_dept, comment_change, comment_need FROM responses LEFT JOIN response_comments"
            " USING (response_id)"
        ).fetchall()
    ) == [
        ("PROD", "早", None),
        ("SALES", None, None),
    ]
    assert con.execute("SELECT count(*) FROM answers").fetchone() == (3,)


# The bulk writer checks what the keys refuse (migration 0011) before it writes, and says which rule
# a file breaks (ValueError, shown by the import). Each case must fail with nothing written.
@pytest.mark.parametrize(
    "changes",
    [
        {"responses": lambda r: r.assign(provider_dept=["NOPE", "SALES"])},  # unknown department
        {"responses": lambda r: r.assign(rater_dept=["SALES", "NOPE"])},  # unknown department
        {"responses": lambda r: r.assign(wave_id="W9")},  # unknown wave
        {"responses": lambda r: r.assign(response_id=r.response_id[0])},  # a response id twice
        {"answers": lambda a: pd.concat([a, a.iloc[[0]]])},  # an item answered twice
        {"answers": lambda a: a.assign(response_id=str(uuid.uuid4()))},  # answers of no response
        # a provider rated twice in one sitting
        {"responses": lambda r: r.assign(rater_dept="SALES", provider_dept="PROD", submission_id=r.submission_id[0])},
        {"comments": lambda c: pd.concat([c, c])},  # a question commented twice
        {"comments": lambda c: c.assign(question="other")},  # not an open question
        {"comments": lambda c: c.assign(response_id=str(uuid.uuid4()))},  # a comment of no response
    ],
)
def test_bulk_insert_refuses_rows_that_break_a_key_with_a_message(org_db, changes):
    frames = _frames(**changes)
    with pytest.raises(ValueError):
        insert_responses(org_db, frames["responses"], frames["answers"], frames["comments"])
    assert org_db.connection().execute("SELECT count(*) FROM responses").fetchone() == (0,)


def test_bulk_insert_refuses_a_response_id_already_stored(org_db):
    frames = _frames()
    insert_responses(org_db, frames["responses"], frames["answers"], frames["comments"])
    again = _frames()
    again["responses"] = again["responses"].assign(
        response_id=[frames["responses"].response_id[1], again["responses"].response_id[1]]
    )
    again["answers"] = again["answers"][again["answers"].response_id.isin(again["responses"].response_id)]
    again["comments"] = again["comments"].iloc[0:0]
    with pytest.raises(ValueError, match="already stored"):
        insert_responses(org_db, again["responses"], again["answers"], again["comments"])
    assert org_db.connection().execute("SELECT count(*) FROM responses").fetchone() == (2,)


def test_wave_thresholds_and_dates_are_checked(org_db):
    con = org_db.connection()
    base = "INSERT INTO waves (wave_id, name_en, name_zh, survey_version, k_min, k_comments, opens_on, closes_on)"
    with pytest.raises(org_db.constraint_errors):
        con.execute(base + " VALUES ('W2', 'a', 'b', 'icsat-default-v1', 2, 10, DATE '2026-01-01', DATE '2026-01-02')")
    with pytest.raises(org_db.constraint_errors):
        con.execute(base + " VALUES ('W2', 'a', 'b', 'icsat-default-v1', 5, 4, DATE '2026-01-01', DATE '2026-01-02')")
    with pytest.raises(org_db.constraint_errors):
        con.execute(base + " VALUES ('W2', 'a', 'b', 'icsat-default-v1', 5, 10, DATE '2026-02-01', DATE '2026-01-02')")
    with pytest.raises(org_db.constraint_errors):
        con.execute("UPDATE waves SET status = 'paused' WHERE wave_id = 'W1'")


def test_invitations_keep_only_a_sha256_hash(org_db):
    con = org_db.connection()
    with pytest.raises(org_db.constraint_errors):
        con.execute(
            "INSERT INTO invitations (token_hash, wave_id, dept_code, expires_at)"
            " VALUES ('plain-token', 'W1', 'SALES', TIMESTAMP '2026-02-01 00:00:00')"
        )
    columns = {
        c
        for (c,) in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'responses'"
        ).fetchall()
    }
    assert not columns & {"token", "token_hash", "email", "name", "submitted_at"}


# Migration 0004 wrote the token-hash CHECK without a regular expression (binding one cost every
# claim ~0.5 ms); it must refuse and accept exactly what '[0-9a-f]{64}' does.
@pytest.mark.parametrize(
    "token_hash",
    ["0" * 63, "0" * 65, "A" * 64, "g" + "0" * 63, "0" * 63 + " ", "０" + "0" * 63, "", "0" * 32 + "-" + "0" * 31],
)
def test_invitation_hashes_that_are_not_64_lowercase_hex_digits_are_refused(org_db, token_hash):
    import re

    assert not re.fullmatch("[0-9a-f]{64}", token_hash)  # the rule the CHECK states
    with pytest.raises(org_db.constraint_errors):
        org_db.connection().execute(
            "INSERT INTO invitations (token_hash, wave_id, dept_code, expires_at)"
            " VALUES (?, 'W1', 'SALES', TIMESTAMP '2026-02-01 00:00:00')",
            [token_hash],
        )


def test_a_sha256_hex_digest_is_a_valid_invitation_hash(org_db):
    import hashlib

    digest = hashlib.sha256(b"token").hexdigest()
    org_db.connection().execute(
        "INSERT INTO invitations (token_hash, wave_id, dept_code, expires_at)"
        " VALUES (?, 'W1', 'SALES', TIMESTAMP '2026-02-01 00:00:00')",
        [digest],
    )
    assert org_db.connection().execute("SELECT token_hash FROM invitations").fetchall() == [(digest,)]


def test_bad_departments_and_relationships_are_refused(org_db):
    con = org_db.connection()
    with pytest.raises(org_db.constraint_errors):
        con.execute("INSERT INTO departments VALUES ('bad code', 'x', 'y', NULL, TRUE)")
    # A department that is its own parent is refused by data/org_import.py before any write (the schema
    # has no such CHECK so departments stay editable): tests/data/test_org_import.py.
    with pytest.raises(org_db.constraint_errors):
        con.execute("INSERT INTO relationships VALUES ('SALES', 'SALES', 'process')")
    with pytest.raises(org_db.constraint_errors):
        con.execute("INSERT INTO relationships VALUES ('PROD', 'SALES', 'friendly')")
    with pytest.raises(org_db.constraint_errors):
        con.execute("INSERT INTO relationships VALUES ('SALES', 'PROD', 'functional')")  # duplicate pair


def test_a_failed_transaction_writes_nothing(org_db):
    with pytest.raises(org_db.constraint_errors), org_db.transaction() as con:
        con.execute("INSERT INTO departments VALUES ('HR', 'HR', '人力资源部', NULL, TRUE)")
        con.execute("INSERT INTO relationships VALUES ('HR', 'HR', 'process')")
    assert org_db.connection().execute("SELECT count(*) FROM departments WHERE code = 'HR'").fetchone() == (0,)


def test_a_transaction_can_register_frames_after_a_partly_read_result(org_db):
    import pandas as pd

    con = org_db.connection()
    assert con.execute("SELECT code FROM departments ORDER BY code").fetchone() == ("PROD",)  # one row left unread
    with org_db.transaction() as tx:
        tx.register("extra", pd.DataFrame({"code": ["HR"], "name_en": ["HR"], "name_zh": ["人力资源部"]}))
        tx.execute("INSERT INTO departments (code, name_en, name_zh) SELECT * FROM extra")
        tx.unregister("extra")
    assert con.execute("SELECT count(*) FROM departments").fetchone() == (3,)

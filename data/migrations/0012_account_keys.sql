-- Issue 23, integrity first: department scopes (0007) and action plan owners (0010) get the foreign
-- key to users they were written without. Those migrations left it out because DuckDB refused the
-- sign-in's `UPDATE users ... RETURNING` of an account another table refers to. Measured with DuckDB
-- 2.0.1 (tests/data/test_keys.py): only RETURNING, or a change of an indexed column (username,
-- email), turns an UPDATE of users into the delete + insert that a reference refuses; every UPDATE
-- the app makes (attempts counted and reset, lock, password, role, active flag) changes none of those
-- and is done in place. The sign-in now counts its attempt with an UPDATE and a SELECT in one
-- transaction (data/users.py). Accounts are disabled, never deleted, and a username or an email
-- address is never changed, so the keys cost the app nothing else.
--
-- `cli.py check` still counts scopes of an account that is not a leader (a role the schema cannot
-- compare). Like 0011, this copies every row into the keyed tables: it fails, and changes nothing, on
-- a database with a scope or an owner of no account (`cli.py check` counted them).
-- Nothing refers to these three tables, so each is rebuilt with its rows and constraints unchanged.

CREATE TABLE user_departments_0012 AS SELECT * FROM user_departments;
DROP TABLE user_departments;
CREATE TABLE user_departments (
    username  VARCHAR NOT NULL REFERENCES users (username),
    dept_code VARCHAR NOT NULL REFERENCES departments (code),
    PRIMARY KEY (username, dept_code)
);
INSERT INTO user_departments SELECT username, dept_code FROM user_departments_0012;
DROP TABLE user_departments_0012;

CREATE TABLE plan_terms_0012 AS SELECT * FROM plan_terms;
DROP TABLE plan_terms;
-- As in 0010, the owners now with their foreign key.
CREATE TABLE plan_terms (
    plan_id         BIGINT PRIMARY KEY REFERENCES action_plans (plan_id),
    title           VARCHAR NOT NULL CHECK (length(trim(title)) BETWEEN 1 AND 200),
    owner_a         VARCHAR NOT NULL REFERENCES users (username),
    owner_b         VARCHAR NOT NULL REFERENCES users (username),
    focus           VARCHAR NOT NULL DEFAULT '' CHECK (length(focus) <= 4000),
    target_rater    VARCHAR REFERENCES departments (code),
    target_provider VARCHAR REFERENCES departments (code),
    target_from     DOUBLE,
    target_value    DOUBLE CHECK (target_value BETWEEN 0 AND 100),
    target_wave_id  VARCHAR REFERENCES waves (wave_id),
    accepted_a      BOOLEAN NOT NULL DEFAULT FALSE,
    accepted_b      BOOLEAN NOT NULL DEFAULT FALSE,
    CHECK ((target_rater IS NULL) = (target_value IS NULL))
);
INSERT INTO plan_terms SELECT * FROM plan_terms_0012;
DROP TABLE plan_terms_0012;

CREATE TABLE plan_commitments_0012 AS SELECT * FROM plan_commitments;
DROP TABLE plan_commitments;
CREATE TABLE plan_commitments (
    commitment_id BIGINT PRIMARY KEY DEFAULT nextval('plan_commitments_seq'),
    plan_id       BIGINT NOT NULL REFERENCES action_plans (plan_id),
    side          VARCHAR NOT NULL REFERENCES departments (code),
    owner         VARCHAR NOT NULL REFERENCES users (username),
    title         VARCHAR NOT NULL CHECK (length(trim(title)) BETWEEN 1 AND 200),
    due_on        DATE NOT NULL,
    status        VARCHAR NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'in_progress', 'done', 'dropped')),
    note          VARCHAR NOT NULL DEFAULT '' CHECK (length(note) <= 1000)
);
INSERT INTO plan_commitments SELECT * FROM plan_commitments_0012;
DROP TABLE plan_commitments_0012;

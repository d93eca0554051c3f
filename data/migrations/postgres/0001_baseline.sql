-- ICSAT on PostgreSQL: one baseline equal to the DuckDB schema after its migrations 0001-0012
-- (tests/data/test_pg_schema.py compares tables, columns, types and keys, so that the two cannot
-- drift), with the keys DuckDB does not have: foreign keys of sign-in sessions to users, the
-- department tree and the language CHECK on invitations. The keys DuckDB gave up and took back
-- (responses and answers: dropped by its 0004, restored by its 0011; scopes and plan owners to
-- users: its 0012) were here from the start. Like DuckDB's 0011, the comments are a table of their
-- own, response_comments, so that a response row is never updated.
-- Later changes get their own numbered files here, beside DuckDB's own.

-- DuckDB's list_contains(list, value), so that the queries in data/ that bind a Python list as one
-- parameter run unchanged on both backends (inlined by the planner: `value = ANY(list)`).
CREATE FUNCTION list_contains(anycompatiblearray, anycompatible) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS 'SELECT $2 = ANY($1)';

CREATE TABLE departments (
    code        VARCHAR PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9_]{0,15}$'),
    name_en     VARCHAR NOT NULL CHECK (length(trim(name_en)) BETWEEN 1 AND 80),
    name_zh     VARCHAR NOT NULL CHECK (length(trim(name_zh)) BETWEEN 1 AND 80),
    -- checked at COMMIT, so that a tree can be loaded or rearranged in any order of statements
    parent_code VARCHAR REFERENCES departments (code) DEFERRABLE INITIALLY DEFERRED,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    CHECK (parent_code IS NULL OR parent_code <> code)
);

CREATE TABLE relationships (
    customer_dept VARCHAR NOT NULL REFERENCES departments (code),
    provider_dept VARCHAR NOT NULL REFERENCES departments (code),
    type          VARCHAR NOT NULL
        CHECK (type IN ('hierarchical', 'functional', 'process', 'cross_functional')),
    PRIMARY KEY (customer_dept, provider_dept),
    CHECK (customer_dept <> provider_dept)
);

CREATE TABLE survey_versions (
    survey_version VARCHAR PRIMARY KEY CHECK (length(survey_version) BETWEEN 1 AND 64),
    survey_id      VARCHAR NOT NULL,
    version        INTEGER NOT NULL CHECK (version >= 1),
    definition     VARCHAR NOT NULL,  -- the validated YAML text, kept so old waves stay readable
    created_at     TIMESTAMP NOT NULL DEFAULT current_timestamp,
    UNIQUE (survey_id, version)
);

CREATE TABLE waves (
    wave_id         VARCHAR PRIMARY KEY CHECK (wave_id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$'),
    name_en         VARCHAR NOT NULL,
    name_zh         VARCHAR NOT NULL,
    survey_version  VARCHAR NOT NULL REFERENCES survey_versions (survey_version),
    status          VARCHAR NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'open', 'closed')),
    k_min           INTEGER NOT NULL DEFAULT 5 CHECK (k_min >= 3),
    k_comments      INTEGER NOT NULL DEFAULT 10,
    self_assessment BOOLEAN NOT NULL DEFAULT FALSE,
    default_lang    VARCHAR NOT NULL DEFAULT 'en' CHECK (default_lang IN ('en', 'zh')),
    opens_on        DATE NOT NULL,
    closes_on       DATE NOT NULL,
    created_at      TIMESTAMP NOT NULL DEFAULT current_timestamp,
    CHECK (k_comments >= k_min),
    CHECK (closes_on >= opens_on)
);

-- Only the SHA-256 of a token is stored; the token itself exists only in the links file.
-- The draft, address and reminder columns are DuckDB's 0002, 0006 and 0008.
CREATE TABLE invitations (
    token_hash     VARCHAR PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    wave_id        VARCHAR NOT NULL REFERENCES waves (wave_id),
    dept_code      VARCHAR NOT NULL REFERENCES departments (code),
    expires_at     TIMESTAMP NOT NULL,
    used           BOOLEAN NOT NULL DEFAULT FALSE,
    draft          VARCHAR,
    draft_saved_at TIMESTAMP,
    language       VARCHAR CHECK (language IN ('en', 'zh')),
    contact_enc    VARCHAR,
    last_reminded  DATE
);

CREATE TABLE responses (
    response_id    UUID PRIMARY KEY,
    wave_id        VARCHAR NOT NULL REFERENCES waves (wave_id),
    rater_dept     VARCHAR NOT NULL REFERENCES departments (code),
    provider_dept  VARCHAR NOT NULL REFERENCES departments (code),
    frequency      VARCHAR NOT NULL
        CHECK (frequency IN ('less_than_monthly', 'monthly', 'weekly', 'daily')),
    recommend      SMALLINT CHECK (recommend BETWEEN 0 AND 10),
    -- random per sitting, never derived from the token: groups the providers rated together
    submission_id  UUID NOT NULL,
    submitted_on   DATE NOT NULL,
    CHECK (rater_dept <> provider_dept),
    UNIQUE (submission_id, provider_dept)
);
CREATE INDEX responses_wave ON responses (wave_id);

-- One row per Likert item answered; value NULL means "not applicable" was chosen.
CREATE TABLE answers (
    response_id UUID NOT NULL REFERENCES responses (response_id),
    item_id     VARCHAR NOT NULL CHECK (item_id ~ '^[a-z][a-z_]*_[0-9]+$'),
    value       SMALLINT CHECK (value BETWEEN 1 AND 5),
    PRIMARY KEY (response_id, item_id)
);

-- The open questions of a response, NULL when not answered; a row only for a response with a
-- comment (DuckDB's 0011). A correction or removal is an UPDATE of this table, never of responses.
CREATE TABLE response_comments (
    response_id    UUID PRIMARY KEY REFERENCES responses (response_id),
    comment_change VARCHAR CHECK (length(comment_change) BETWEEN 1 AND 1000),
    comment_need   VARCHAR CHECK (length(comment_need) BETWEEN 1 AND 1000)
);

-- The comments one row per answered open question (DuckDB's view, reading response_comments
-- since its 0011).
CREATE VIEW comments AS
SELECT response_id, CAST('change' AS VARCHAR) AS question, comment_change AS text FROM response_comments
WHERE comment_change IS NOT NULL
UNION ALL
SELECT response_id, CAST('need' AS VARCHAR) AS question, comment_need AS text FROM response_comments
WHERE comment_need IS NOT NULL;

-- Members of provider_dept predict how customer_dept rates them, per dimension (1-5).
CREATE TABLE self_assessments (
    wave_id       VARCHAR NOT NULL REFERENCES waves (wave_id),
    provider_dept VARCHAR NOT NULL REFERENCES departments (code),
    customer_dept VARCHAR NOT NULL REFERENCES departments (code),
    dimension     VARCHAR NOT NULL,
    value         SMALLINT NOT NULL CHECK (value BETWEEN 1 AND 5),
    submission_id UUID NOT NULL,
    submitted_on  DATE NOT NULL,
    CHECK (provider_dept <> customer_dept),
    UNIQUE (submission_id, customer_dept, dimension)
);

CREATE TABLE users (
    username        VARCHAR PRIMARY KEY CHECK (username ~ '^[a-z0-9][a-z0-9._@-]{1,63}$'),
    display_name    VARCHAR NOT NULL,
    email           VARCHAR UNIQUE,
    role            VARCHAR NOT NULL CHECK (role IN ('leader', 'analyst', 'admin')),
    password_hash   VARCHAR,  -- argon2id; NULL for single-sign-on-only accounts
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    is_demo         BOOLEAN NOT NULL DEFAULT FALSE,
    failed_attempts INTEGER NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    locked_until    TIMESTAMP,
    created_at      TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE SEQUENCE audit_log_seq;
CREATE TABLE audit_log (
    event_id    BIGINT PRIMARY KEY DEFAULT nextval('audit_log_seq'),
    occurred_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    actor       VARCHAR NOT NULL,
    action      VARCHAR NOT NULL,
    target      VARCHAR,
    detail      VARCHAR
);

-- DuckDB 0005: signed-in sessions, stored as the SHA-256 of the cookie's value.
CREATE TABLE sign_in_sessions (
    session_hash VARCHAR PRIMARY KEY CHECK (length(session_hash) = 64),
    username     VARCHAR NOT NULL REFERENCES users (username),
    method       VARCHAR NOT NULL CHECK (method IN ('password', 'sso')),
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL CHECK (expires_at > created_at)
);
CREATE INDEX sign_in_sessions_username ON sign_in_sessions (username);

-- DuckDB 0007: a department head's scope.
CREATE TABLE user_departments (
    username  VARCHAR NOT NULL REFERENCES users (username),
    dept_code VARCHAR NOT NULL REFERENCES departments (code),
    PRIMARY KEY (username, dept_code)
);

-- DuckDB 0009: waves that open and close on their dates.
CREATE TABLE wave_schedules (
    wave_id      VARCHAR PRIMARY KEY REFERENCES waves (wave_id),
    scheduled_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- DuckDB 0010: bilateral action plans. Owners are accounts (services/actions.py admits only an
-- active leader or administrator); created_by and actor may be 'cli', so they have no key.
CREATE SEQUENCE action_plans_seq;
CREATE TABLE action_plans (
    plan_id    BIGINT PRIMARY KEY DEFAULT nextval('action_plans_seq'),
    dept_a     VARCHAR NOT NULL REFERENCES departments (code),
    dept_b     VARCHAR NOT NULL REFERENCES departments (code),
    wave_id    VARCHAR NOT NULL REFERENCES waves (wave_id),
    created_by VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    CHECK (dept_a <> dept_b)
);

CREATE TABLE plan_terms (
    plan_id         BIGINT PRIMARY KEY REFERENCES action_plans (plan_id),
    title           VARCHAR NOT NULL CHECK (length(trim(title)) BETWEEN 1 AND 200),
    owner_a         VARCHAR NOT NULL REFERENCES users (username),
    owner_b         VARCHAR NOT NULL REFERENCES users (username),
    focus           VARCHAR NOT NULL DEFAULT '' CHECK (length(focus) <= 4000),
    target_rater    VARCHAR REFERENCES departments (code),
    target_provider VARCHAR REFERENCES departments (code),
    target_from     DOUBLE PRECISION,
    target_value    DOUBLE PRECISION CHECK (target_value BETWEEN 0 AND 100),
    target_wave_id  VARCHAR REFERENCES waves (wave_id),
    accepted_a      BOOLEAN NOT NULL DEFAULT FALSE,
    accepted_b      BOOLEAN NOT NULL DEFAULT FALSE,
    CHECK ((target_rater IS NULL) = (target_value IS NULL))
);

CREATE SEQUENCE plan_commitments_seq;
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

CREATE SEQUENCE plan_meetings_seq;
CREATE TABLE plan_meetings (
    meeting_id   BIGINT PRIMARY KEY DEFAULT nextval('plan_meetings_seq'),
    plan_id      BIGINT NOT NULL REFERENCES action_plans (plan_id),
    held_on      DATE NOT NULL,
    kind         VARCHAR NOT NULL CHECK (kind IN ('one_to_one', 'coordination')),
    attended_a   BOOLEAN NOT NULL,
    attended_b   BOOLEAN NOT NULL,
    decisions    VARCHAR NOT NULL DEFAULT '' CHECK (length(decisions) <= 2000),
    next_meeting DATE,
    CHECK (attended_a OR attended_b),
    CHECK (next_meeting IS NULL OR next_meeting > held_on)
);

CREATE SEQUENCE plan_history_seq;
CREATE TABLE plan_history (
    event_id    BIGINT PRIMARY KEY DEFAULT nextval('plan_history_seq'),
    plan_id     BIGINT NOT NULL REFERENCES action_plans (plan_id),
    occurred_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    actor       VARCHAR NOT NULL,
    change      VARCHAR NOT NULL,
    detail      VARCHAR NOT NULL DEFAULT ''
);

-- ICSAT initial schema. Constraints live here so that bad rows are refused even when a bug
-- elsewhere lets them through. Nothing in a response identifies a person: no token, no name,
-- no exact time (the submission date only).

CREATE TABLE departments (
    code        VARCHAR PRIMARY KEY CHECK (regexp_full_match(code, '[A-Z][A-Z0-9_]{0,15}')),
    name_en     VARCHAR NOT NULL CHECK (length(trim(name_en)) BETWEEN 1 AND 80),
    name_zh     VARCHAR NOT NULL CHECK (length(trim(name_zh)) BETWEEN 1 AND 80),
    -- The parent tree (existence, not its own parent, no cycles) is checked by data/org_import.py
    -- before any write. Not in the schema: DuckDB cannot load a self-referencing foreign key in one
    -- statement, and a CHECK naming the key turns every UPDATE of a department into delete+insert,
    -- which the foreign keys of responses then refuse (no department could be renamed).
    parent_code VARCHAR,
    active      BOOLEAN NOT NULL DEFAULT TRUE
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
    wave_id         VARCHAR PRIMARY KEY CHECK (regexp_full_match(wave_id, '[A-Za-z0-9][A-Za-z0-9_.-]{0,31}')),
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
CREATE TABLE invitations (
    token_hash VARCHAR PRIMARY KEY CHECK (regexp_full_match(token_hash, '[0-9a-f]{64}')),
    wave_id    VARCHAR NOT NULL REFERENCES waves (wave_id),
    dept_code  VARCHAR NOT NULL REFERENCES departments (code),
    expires_at TIMESTAMP NOT NULL,
    used       BOOLEAN NOT NULL DEFAULT FALSE
);

-- A respondent's unfinished answers, keyed by the token hash, deleted when the survey is submitted.
-- No foreign key to invitations: DuckDB refuses to mark an invitation used while a draft refers to
-- it, even after the draft was deleted in the same transaction. data/submissions.py writes drafts
-- only for existing unused invitations and deletes them in the transaction that marks it used.
CREATE TABLE drafts (
    token_hash VARCHAR PRIMARY KEY CHECK (regexp_full_match(token_hash, '[0-9a-f]{64}')),
    payload    VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE responses (
    response_id   UUID PRIMARY KEY,
    wave_id       VARCHAR NOT NULL REFERENCES waves (wave_id),
    rater_dept    VARCHAR NOT NULL REFERENCES departments (code),
    provider_dept VARCHAR NOT NULL REFERENCES departments (code),
    frequency     VARCHAR NOT NULL
        CHECK (frequency IN ('less_than_monthly', 'monthly', 'weekly', 'daily')),
    recommend     SMALLINT CHECK (recommend BETWEEN 0 AND 10),
    -- random per sitting, never derived from the token: groups the providers rated together
    submission_id UUID NOT NULL,
    submitted_on  DATE NOT NULL,
    CHECK (rater_dept <> provider_dept),
    UNIQUE (submission_id, provider_dept)
);

-- One row per Likert item answered; value NULL means "not applicable" was chosen.
CREATE TABLE answers (
    response_id UUID NOT NULL REFERENCES responses (response_id),
    item_id     VARCHAR NOT NULL CHECK (regexp_full_match(item_id, '[a-z][a-z_]*_[0-9]+')),
    value       SMALLINT CHECK (value BETWEEN 1 AND 5),
    PRIMARY KEY (response_id, item_id)
);

CREATE TABLE comments (
    response_id UUID NOT NULL REFERENCES responses (response_id),
    question    VARCHAR NOT NULL CHECK (question IN ('change', 'need')),
    text        VARCHAR NOT NULL CHECK (length(text) BETWEEN 1 AND 1000),
    PRIMARY KEY (response_id, question)
);

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
    username        VARCHAR PRIMARY KEY CHECK (regexp_full_match(username, '[a-z0-9][a-z0-9._@-]{1,63}')),
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
    event_id BIGINT PRIMARY KEY DEFAULT nextval('audit_log_seq'),
    occurred_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    actor    VARCHAR NOT NULL,
    action   VARCHAR NOT NULL,
    target   VARCHAR,
    detail   VARCHAR
);

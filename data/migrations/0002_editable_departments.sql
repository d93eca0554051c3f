-- Departments become editable (names, parent, active flag) once other rows refer to them.
--
-- DuckDB turns an UPDATE into delete + insert of the primary key when a CHECK constraint names the
-- key column, and then refuses it while any foreign key points at the row. 0001's
-- CHECK (parent_code <> code) named the key, so no department could be renamed or deactivated after
-- the first relationship or response. DuckDB cannot drop a CHECK constraint, so this migration
-- rebuilds departments without it and, because DuckDB also cannot drop a referenced table, every
-- table that refers to it (directly or through invitations and responses), data kept.
-- The rule itself stays: data/org_import.py refuses a department that is its own parent (and any
-- cycle in the parent tree) before writing.

CREATE TEMP TABLE keep_departments AS SELECT * FROM departments;
CREATE TEMP TABLE keep_relationships AS SELECT * FROM relationships;
CREATE TEMP TABLE keep_invitations AS SELECT * FROM invitations;
CREATE TEMP TABLE keep_drafts AS SELECT * FROM drafts;
CREATE TEMP TABLE keep_responses AS SELECT * FROM responses;
CREATE TEMP TABLE keep_answers AS SELECT * FROM answers;
CREATE TEMP TABLE keep_comments AS SELECT * FROM comments;
CREATE TEMP TABLE keep_self_assessments AS SELECT * FROM self_assessments;

DROP TABLE self_assessments;
DROP TABLE comments;
DROP TABLE answers;
DROP TABLE responses;
DROP TABLE drafts;
DROP TABLE invitations;
DROP TABLE relationships;
DROP TABLE departments;

CREATE TABLE departments (
    code        VARCHAR PRIMARY KEY CHECK (regexp_full_match(code, '[A-Z][A-Z0-9_]{0,15}')),
    name_en     VARCHAR NOT NULL CHECK (length(trim(name_en)) BETWEEN 1 AND 80),
    name_zh     VARCHAR NOT NULL CHECK (length(trim(name_zh)) BETWEEN 1 AND 80),
    parent_code VARCHAR,  -- existence and no cycles: checked by data/org_import.py before any write
    active      BOOLEAN NOT NULL DEFAULT TRUE
);

-- The tables below are 0001's, unchanged.
CREATE TABLE relationships (
    customer_dept VARCHAR NOT NULL REFERENCES departments (code),
    provider_dept VARCHAR NOT NULL REFERENCES departments (code),
    type          VARCHAR NOT NULL
        CHECK (type IN ('hierarchical', 'functional', 'process', 'cross_functional')),
    PRIMARY KEY (customer_dept, provider_dept),
    CHECK (customer_dept <> provider_dept)
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
CREATE TABLE drafts (
    token_hash VARCHAR PRIMARY KEY REFERENCES invitations (token_hash),
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

INSERT INTO departments SELECT * FROM keep_departments;
INSERT INTO relationships SELECT * FROM keep_relationships;
INSERT INTO invitations SELECT * FROM keep_invitations;
INSERT INTO drafts SELECT * FROM keep_drafts;
INSERT INTO responses SELECT * FROM keep_responses;
INSERT INTO answers SELECT * FROM keep_answers;
INSERT INTO comments SELECT * FROM keep_comments;
INSERT INTO self_assessments SELECT * FROM keep_self_assessments;

DROP TABLE keep_departments;
DROP TABLE keep_relationships;
DROP TABLE keep_invitations;
DROP TABLE keep_drafts;
DROP TABLE keep_responses;
DROP TABLE keep_answers;
DROP TABLE keep_comments;
DROP TABLE keep_self_assessments;

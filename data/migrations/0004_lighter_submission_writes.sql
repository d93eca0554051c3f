-- Two changes that make every submission group cheaper inside DuckDB, same rows (docs/performance.md
-- has the measurements, write_group in a loop, variants interleaved on one machine).
--
-- 1. The responses table loses its primary key on response_id and its three foreign keys (wave_id
--    to waves, rater_dept and provider_dept to departments). Every CHECK and NOT NULL stays.
--    Every group inserts its responses in one statement, and DuckDB maintains the key's index and
--    probes the two referenced tables for each foreign key at every insert and again at COMMIT, a
--    fixed cost per group whatever its size ("Constraints have a strong impact on performance: they
--    slow down loading and updates", DuckDB's constraints page): 20.8 -> 18.0 ms per group of 24.
--    Nothing needs the index: reports scan and join, and correcting one comment scans in milliseconds.
--
--    What the schema no longer checks, the two writers guarantee, and each guarantee is tested:
--    - The submission writer (data/submissions.py) writes a response only in the transaction whose
--      claim checked that the invitation belongs to the submission's wave and department (the
--      invitations table keeps its foreign keys). It checks that every provider is a stored
--      department before the transaction (data/org.departments_exist). Response ids are uuid4s.
--    - The bulk writer (data/responses.insert_frames: demo, historical import) refuses, before it
--      writes anything, an unknown wave or department and a response id repeated or already stored.
--    Departments and waves are never deleted (departments are made inactive), so a stored response
--    keeps the rows it names.
--
-- 2. The invitations' token-hash CHECK says "64 characters, each 0-9 or a-f" without a regular
--    expression. DuckDB binds every CHECK of a table at every UPDATE of it, and binding
--    regexp_full_match compiles the pattern: the claim (one UPDATE per group, which never changes the
--    hash) spent ~0.5 ms per group compiling it (perf). Same rule, same refusals (tests/data/test_db.py).
--
-- DuckDB cannot drop or change a constraint in place, so both tables are rebuilt with their rows;
-- the comments view reads responses and is made again. No table refers to invitations.

DROP VIEW comments;

CREATE TABLE responses_0004 AS SELECT * FROM responses;

DROP TABLE responses;

CREATE TABLE responses (
    response_id    UUID NOT NULL,
    wave_id        VARCHAR NOT NULL,
    rater_dept     VARCHAR NOT NULL,
    provider_dept  VARCHAR NOT NULL,
    frequency      VARCHAR NOT NULL
        CHECK (frequency IN ('less_than_monthly', 'monthly', 'weekly', 'daily')),
    recommend      SMALLINT CHECK (recommend BETWEEN 0 AND 10),
    -- random per sitting, never derived from the token: groups the providers rated together
    submission_id  UUID NOT NULL,
    submitted_on   DATE NOT NULL,
    -- the open questions, NULL when not answered
    comment_change VARCHAR CHECK (length(comment_change) BETWEEN 1 AND 1000),
    comment_need   VARCHAR CHECK (length(comment_need) BETWEEN 1 AND 1000),
    CHECK (rater_dept <> provider_dept)
);
INSERT INTO responses SELECT * FROM responses_0004;

DROP TABLE responses_0004;

-- The comments in their former shape, one row per answered open question (as in 0003).
CREATE VIEW comments AS
SELECT response_id, 'change' AS question, comment_change AS text FROM responses WHERE comment_change IS NOT NULL
UNION ALL
SELECT response_id, 'need' AS question, comment_need AS text FROM responses WHERE comment_need IS NOT NULL;

CREATE TABLE invitations_0004 AS SELECT * FROM invitations;

DROP TABLE invitations;

-- As in 0001 and 0002; only the CHECK on token_hash is written differently.
CREATE TABLE invitations (
    token_hash     VARCHAR PRIMARY KEY
        CHECK (length(token_hash) = 64 AND ltrim(token_hash, '0123456789abcdef') = ''),
    wave_id        VARCHAR NOT NULL REFERENCES waves (wave_id),
    dept_code      VARCHAR NOT NULL REFERENCES departments (code),
    expires_at     TIMESTAMP NOT NULL,
    used           BOOLEAN NOT NULL DEFAULT FALSE,
    draft          VARCHAR,
    draft_saved_at TIMESTAMP
);
INSERT INTO invitations SELECT * FROM invitations_0004;

DROP TABLE invitations_0004;

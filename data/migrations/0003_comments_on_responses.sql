-- The submission writer's group transaction was bound by per-table and per-index costs inside
-- DuckDB, not by the disk: every table a transaction inserts into, every unique index it maintains
-- and every foreign key it checks cost time at insert and again at COMMIT, a fixed 1-3 ms per table
-- whatever the number of rows (measured, docs/performance.md). Three changes, same rows:
--
-- 1. A response's two comments (the open questions 'change' and 'need') become two columns of its
--    row, as DESIGN.md section 2 describes a response. The table `comments` becomes a view of the
--    same shape (response_id, question, text), so reads written against it are unchanged.
-- 2. Two unique constraints that no writer can break are dropped: UNIQUE (submission_id,
--    provider_dept) on responses and PRIMARY KEY (response_id, item_id) on answers.
-- 3. The foreign key from answers to responses is dropped. It also made every response row
--    impossible to UPDATE (DuckDB refuses to update a row a foreign key refers to), so a comment
--    could not even be corrected; now it can.
--
-- What the schema no longer checks, the two writers guarantee: the submission writer builds a
-- response's answers and comments from mappings and its answers with the response's own new id in
-- the same transaction (data/submissions.py); the bulk writer (demo, historical import) refuses a
-- duplicate item, provider or comment and an answer or comment of no response before it writes
-- (data/responses.py). Both are tested. Every CHECK stays.
--
-- DuckDB cannot drop a constraint in place, so both tables are rebuilt with their rows.

CREATE TABLE responses_0003 AS
SELECT r.response_id, r.wave_id, r.rater_dept, r.provider_dept, r.frequency, r.recommend,
       r.submission_id, r.submitted_on,
       c.comment_change, c.comment_need
FROM responses r
LEFT JOIN (
    SELECT response_id,
           max(text) FILTER (WHERE question = 'change') AS comment_change,
           max(text) FILTER (WHERE question = 'need') AS comment_need
    FROM comments
    GROUP BY response_id
) c ON c.response_id = r.response_id;

CREATE TABLE answers_0003 AS SELECT response_id, item_id, value FROM answers;

DROP TABLE comments;
DROP TABLE answers;
DROP TABLE responses;

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
    -- the open questions, NULL when not answered
    comment_change VARCHAR CHECK (length(comment_change) BETWEEN 1 AND 1000),
    comment_need   VARCHAR CHECK (length(comment_need) BETWEEN 1 AND 1000),
    CHECK (rater_dept <> provider_dept)
);
INSERT INTO responses SELECT * FROM responses_0003;

-- One row per Likert item answered; value NULL means "not applicable" was chosen.
CREATE TABLE answers (
    response_id UUID NOT NULL,
    item_id     VARCHAR NOT NULL CHECK (regexp_full_match(item_id, '[a-z][a-z_]*_[0-9]+')),
    value       SMALLINT CHECK (value BETWEEN 1 AND 5)
);
INSERT INTO answers SELECT * FROM answers_0003;

DROP TABLE responses_0003;
DROP TABLE answers_0003;

-- The comments in their former shape, one row per answered open question.
CREATE VIEW comments AS
SELECT response_id, 'change' AS question, comment_change AS text FROM responses WHERE comment_change IS NOT NULL
UNION ALL
SELECT response_id, 'need' AS question, comment_need AS text FROM responses WHERE comment_need IS NOT NULL;

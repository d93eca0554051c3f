-- Issue 23, integrity first: the keys migrations 0003 and 0004 dropped are back, and the schema
-- refuses again what the writers had to check by themselves (DESIGN.md: integrity constraints are
-- never traded for throughput). Every CHECK and NOT NULL stays as it was.
--
-- responses: PRIMARY KEY (response_id); FOREIGN KEYs wave_id -> waves, rater_dept and
--            provider_dept -> departments; UNIQUE (submission_id, provider_dept) (a sitting rates a
--            provider once).
-- answers:   PRIMARY KEY (response_id, item_id); FOREIGN KEY response_id -> responses.
-- self_assessments keep the foreign keys and the unique constraint they always had (0001).
--
-- The comments leave the response row for a table of their own, response_comments (one row per
-- response with at least one comment, its PRIMARY KEY and FOREIGN KEY on response_id). Why: an
-- analyst must still be able to correct or remove a comment (docs/operations.md), and DuckDB 2.0.1
-- refuses every UPDATE of a responses row once answers refer to it. The responses table has a CHECK
-- over two columns (rater_dept <> provider_dept) whose columns carry the foreign keys' indexes;
-- DuckDB then turns any UPDATE of the table, even of a comment column, into delete + insert, and the
-- delete is refused ("still referenced by a foreign key"), also when the answers were deleted
-- earlier in the same transaction (DuckDB 2.0.1; tests/data/test_keys.py). So a response row is never
-- updated now: a correction is `UPDATE response_comments SET comment_need = '[removed]' WHERE
-- response_id = '...'` (nothing refers to response_comments, so DuckDB allows it), a removal the
-- same with NULL. Waves and departments stay updatable with responses referring to them (status,
-- names, active flag, parent: tested), as they already were with invitations referring to them.
-- The view `comments` keeps its shape (response_id, question, text) and now reads response_comments.
--
-- The migration copies every row into the keyed tables, so it fails, and changes nothing, on a
-- database whose rows break a key (`cli.py check` counts them; run it before upgrading).

DROP VIEW comments;

CREATE TABLE responses_0011 AS SELECT * FROM responses;
CREATE TABLE answers_0011 AS SELECT * FROM answers;

DROP TABLE answers;
DROP TABLE responses;

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
INSERT INTO responses
SELECT response_id, wave_id, rater_dept, provider_dept, frequency, recommend, submission_id, submitted_on
FROM responses_0011;

-- One row per Likert item answered; value NULL means "not applicable" was chosen.
CREATE TABLE answers (
    response_id UUID NOT NULL REFERENCES responses (response_id),
    item_id     VARCHAR NOT NULL CHECK (regexp_full_match(item_id, '[a-z][a-z_]*_[0-9]+')),
    value       SMALLINT CHECK (value BETWEEN 1 AND 5),
    PRIMARY KEY (response_id, item_id)
);
INSERT INTO answers SELECT response_id, item_id, value FROM answers_0011;

-- The open questions of a response, NULL when not answered; a row only for a response with a comment.
CREATE TABLE response_comments (
    response_id    UUID PRIMARY KEY REFERENCES responses (response_id),
    comment_change VARCHAR CHECK (length(comment_change) BETWEEN 1 AND 1000),
    comment_need   VARCHAR CHECK (length(comment_need) BETWEEN 1 AND 1000)
);
INSERT INTO response_comments
SELECT response_id, comment_change, comment_need FROM responses_0011
WHERE comment_change IS NOT NULL OR comment_need IS NOT NULL;

DROP TABLE responses_0011;
DROP TABLE answers_0011;

-- The comments in their former shape, one row per answered open question (as in 0003 and 0004).
CREATE VIEW comments AS
SELECT response_id, 'change' AS question, comment_change AS text FROM response_comments WHERE comment_change IS NOT NULL
UNION ALL
SELECT response_id, 'need' AS question, comment_need AS text FROM response_comments WHERE comment_need IS NOT NULL;

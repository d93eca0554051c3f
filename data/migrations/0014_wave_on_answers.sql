-- Issue 23: each answer carries its response's wave, so that a wave's answers are read without
-- joining every answer to its response. On PostgreSQL that join was most of the cold wave report
-- at 1,000,000 responses (postgres/0004 says more); DuckDB keeps the same columns so that the two
-- schemas stay one, and its zone maps skip the other waves' answers on their own.
--
-- The writers take the wave from the response they insert in the same statement group
-- (data/submissions.py, data/responses.py). PostgreSQL's foreign key (response_id, wave_id) refuses
-- an answer whose wave is not its response's; DuckDB cannot add that key to a filled table, so
-- `cli.py check` counts such answers (data/responses.INTEGRITY_CHECKS): 0 in a sound database.
--
-- The table is rebuilt (DuckDB 2.0.1 refuses SET NOT NULL after an UPDATE in one transaction:
-- "Cannot create index with outstanding updates"); nothing refers to answers, and its keys and
-- checks are 0011's.
ALTER TABLE answers RENAME TO answers_0014;

-- One row per Likert item answered; value NULL means "not applicable" was chosen.
CREATE TABLE answers (
    response_id UUID NOT NULL REFERENCES responses (response_id),
    item_id     VARCHAR NOT NULL CHECK (regexp_full_match(item_id, '[a-z][a-z_]*_[0-9]+')),
    value       SMALLINT CHECK (value BETWEEN 1 AND 5),
    wave_id     VARCHAR NOT NULL,
    PRIMARY KEY (response_id, item_id)
);
INSERT INTO answers
SELECT a.response_id, a.item_id, a.value, r.wave_id
FROM answers_0014 a JOIN responses r ON r.response_id = a.response_id
ORDER BY r.wave_id;
DROP TABLE answers_0014;

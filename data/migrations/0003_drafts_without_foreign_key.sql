-- Drafts lose their foreign key to invitations.
--
-- DuckDB cannot update a row that another table references (the UPDATE is a delete plus an insert
-- and the reference blocks the delete, even when the referencing row was deleted earlier in the same
-- transaction). With drafts referencing invitations, marking an invitation used failed for everyone
-- who had saved a draft. Drafts are written only for existing, unused invitations (data/submissions.py
-- save_draft inserts from a SELECT on invitations) and deleted in the transaction that marks the
-- invitation used, so the code keeps the reference instead. Saved drafts are kept.
CREATE TEMP TABLE keep_drafts AS SELECT * FROM drafts;
DROP TABLE drafts;
CREATE TABLE drafts (
    token_hash VARCHAR PRIMARY KEY CHECK (regexp_full_match(token_hash, '[0-9a-f]{64}')),
    payload    VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
INSERT INTO drafts SELECT * FROM keep_drafts;
DROP TABLE keep_drafts;

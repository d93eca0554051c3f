-- DuckDB cannot update a row that another table references (an UPDATE of a referenced row is a
-- delete plus an insert, and the reference blocks the delete, even one deleted in the same
-- transaction). With drafts referencing invitations, marking an invitation used would fail for
-- everyone who saved a draft. Drafts are written only for existing, unused invitations
-- (data/submissions.py save_draft inserts from a SELECT on invitations) and deleted in the same
-- transaction that marks the invitation used, so the reference is kept by the code instead.
DROP TABLE drafts;
CREATE TABLE drafts (
    token_hash VARCHAR PRIMARY KEY CHECK (regexp_full_match(token_hash, '[0-9a-f]{64}')),
    payload    VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

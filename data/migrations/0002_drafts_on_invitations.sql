-- A respondent's unfinished answers move onto the invitation row: the UPDATE that marks an
-- invitation used also clears its draft, so a submission group needs no separate DELETE (one
-- statement fewer per group, data/submissions.py). Drafts of unused invitations are kept.
ALTER TABLE invitations ADD COLUMN draft VARCHAR;
ALTER TABLE invitations ADD COLUMN draft_saved_at TIMESTAMP;
UPDATE invitations SET draft = d.payload, draft_saved_at = d.updated_at
FROM drafts d
WHERE d.token_hash = invitations.token_hash AND NOT invitations.used;
DROP TABLE drafts;

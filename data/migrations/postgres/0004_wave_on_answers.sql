-- Issue 23: DuckDB's 0014 (data/migrations/0014_wave_on_answers.sql): each answer carries its
-- response's wave. Reading a wave's answers into a replica's analysis copy (data/replica.py) joined
-- every answer of every wave to its response: measured at 1,000,000 responses (4 waves), 3.1 s of
-- server time per wave of 3,000,000 answers, where reading 3,000,000 answers alone took 0.2 s.
--
-- The foreign key becomes (response_id, wave_id), to the responses' new unique (response_id,
-- wave_id): an answer names a stored response, and its wave is that response's (one check per row,
-- as before). A BRIN index on wave_id finds a wave's pages: answers arrive wave after wave, so each
-- range of pages holds one wave or two; it costs the writers next to nothing, where a B-tree over
-- every answer would cost each submission a dozen index entries.
--
-- The answers' version triggers (postgres/0002) now read the wave on the row itself.
DROP TRIGGER answers_version_update ON answers;
DROP TRIGGER answers_version_delete ON answers;
ALTER TABLE answers ADD COLUMN wave_id VARCHAR;
UPDATE answers a SET wave_id = r.wave_id FROM responses r WHERE r.response_id = a.response_id;
ALTER TABLE answers ALTER COLUMN wave_id SET NOT NULL;
ALTER TABLE responses ADD CONSTRAINT responses_response_id_wave_id_key UNIQUE (response_id, wave_id);
ALTER TABLE answers DROP CONSTRAINT answers_response_id_fkey;
ALTER TABLE answers ADD CONSTRAINT answers_response_id_wave_id_fkey
    FOREIGN KEY (response_id, wave_id) REFERENCES responses (response_id, wave_id);
CREATE INDEX answers_wave ON answers USING brin (wave_id) WITH (autosummarize = on);
CREATE TRIGGER answers_version_update AFTER UPDATE ON answers
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_waves('edits');
CREATE TRIGGER answers_version_delete AFTER DELETE ON answers
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_waves('edits');

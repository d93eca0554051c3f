-- Data versions on PostgreSQL (issue 23): what each app replica's caches (ui/results.py) and its
-- DuckDB copy for analysis (data/replica.py) are keyed by. With DuckDB one process owns the file and
-- an in-process counter sees every write (services/versions.py); with several replicas and cli.py
-- writing to one PostgreSQL database, the counter lives here and the triggers below move it inside
-- the writing transaction, whoever writes. A reader that sees the rows also sees their bump.
--
-- Scopes:
--   'organisation'  departments, relationships, survey_versions, waves: what the analysis copy
--                   holds whole (a change rebuilds the copy);
--   'settings'      what pages cache besides: schedules, department scopes, action plans;
--   'wave:<id>'     one wave's invitations (who was invited, who answered; not drafts, addresses or
--                   reminders), responses, answers, comments and self-assessments;
--   'edits:<id>'    moved as well when a wave's responses, answers or comments changed other than
--                   by new responses arriving with theirs: the copy then reads the wave again
--                   whole, else it adds the new responses only (an open wave, incrementally).
-- PostgreSQL only: DuckDB keeps its in-process counter (tests/data/test_pg_schema.py knows).
CREATE TABLE data_versions (
    scope   VARCHAR PRIMARY KEY,
    version BIGINT NOT NULL
);

CREATE FUNCTION bump_scope() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO data_versions (scope, version) VALUES (TG_ARGV[0], 1)
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
    RETURN NULL;
END $$;

-- The waves of the statement's rows (transition table changed_rows, which has wave_id), in one
-- order so that two writers lock their version rows alike. With the argument 'edits' (UPDATE and
-- DELETE of responses) the wave's 'edits:<id>' moves too: its rows changed, not only grew.
CREATE FUNCTION bump_waves() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT scope, 1 FROM (
        SELECT DISTINCT 'wave:' || wave_id AS scope FROM changed_rows
        UNION
        SELECT DISTINCT 'edits:' || wave_id FROM changed_rows WHERE TG_NARGS > 0 AND TG_ARGV[0] = 'edits'
    ) AS s ORDER BY 1
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
    RETURN NULL;
END $$;

-- Rows that name a response (answers, response_comments): the waves of those responses. An INSERT
-- for a response that this same transaction inserted (a submission, an import) only grows the
-- wave; any other INSERT, UPDATE or DELETE edits it. (`xmin` of a row inserted by this transaction
-- is its id; a row inserted under a savepoint has another, which counts as an edit: the safe side.)
CREATE FUNCTION bump_waves_of_responses() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO data_versions (scope, version)
    SELECT scope, 1 FROM (
        SELECT DISTINCT 'wave:' || r.wave_id AS scope
        FROM changed_rows c JOIN responses r ON r.response_id = c.response_id
        UNION
        SELECT DISTINCT 'edits:' || r.wave_id
        FROM changed_rows c JOIN responses r ON r.response_id = c.response_id
        WHERE TG_OP <> 'INSERT'
           OR r.xmin::text::bigint <> pg_current_xact_id()::text::bigint % 4294967296
    ) AS s ORDER BY 1
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
    RETURN NULL;
END $$;

-- An invitation changed in what the figures use (one row: claims and corrections are few per
-- statement; drafts, addresses and reminders do not bump).
CREATE FUNCTION bump_wave_of_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO data_versions (scope, version) VALUES ('wave:' || NEW.wave_id, 1)
    ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
    IF OLD.wave_id <> NEW.wave_id THEN
        INSERT INTO data_versions (scope, version) VALUES ('wave:' || OLD.wave_id, 1)
        ON CONFLICT (scope) DO UPDATE SET version = data_versions.version + 1;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER departments_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON departments
    FOR EACH STATEMENT EXECUTE FUNCTION bump_scope('organisation');
CREATE TRIGGER relationships_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON relationships
    FOR EACH STATEMENT EXECUTE FUNCTION bump_scope('organisation');
CREATE TRIGGER survey_versions_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON survey_versions
    FOR EACH STATEMENT EXECUTE FUNCTION bump_scope('organisation');
CREATE TRIGGER waves_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON waves
    FOR EACH STATEMENT EXECUTE FUNCTION bump_scope('organisation');

CREATE TRIGGER wave_schedules_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON wave_schedules
    FOR EACH STATEMENT EXECUTE FUNCTION bump_scope('settings');
CREATE TRIGGER user_departments_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON user_departments
    FOR EACH STATEMENT EXECUTE FUNCTION bump_scope('settings');
CREATE TRIGGER action_plans_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON action_plans
    FOR EACH STATEMENT EXECUTE FUNCTION bump_scope('settings');
CREATE TRIGGER plan_terms_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON plan_terms
    FOR EACH STATEMENT EXECUTE FUNCTION bump_scope('settings');
CREATE TRIGGER plan_commitments_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON plan_commitments
    FOR EACH STATEMENT EXECUTE FUNCTION bump_scope('settings');
CREATE TRIGGER plan_meetings_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON plan_meetings
    FOR EACH STATEMENT EXECUTE FUNCTION bump_scope('settings');
CREATE TRIGGER plan_history_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON plan_history
    FOR EACH STATEMENT EXECUTE FUNCTION bump_scope('settings');

-- Per wave. A trigger with a transition table takes one event, hence three per table.
CREATE TRIGGER invitations_version_insert AFTER INSERT ON invitations
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_waves();
CREATE TRIGGER invitations_version_delete AFTER DELETE ON invitations
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_waves();
CREATE TRIGGER invitations_version_update AFTER UPDATE OF wave_id, dept_code, expires_at, used ON invitations
    FOR EACH ROW
    WHEN (OLD.wave_id IS DISTINCT FROM NEW.wave_id OR OLD.dept_code IS DISTINCT FROM NEW.dept_code
          OR OLD.expires_at IS DISTINCT FROM NEW.expires_at OR OLD.used IS DISTINCT FROM NEW.used)
    EXECUTE FUNCTION bump_wave_of_row();

CREATE TRIGGER responses_version_insert AFTER INSERT ON responses
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_waves();
CREATE TRIGGER responses_version_update AFTER UPDATE ON responses
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_waves('edits');
CREATE TRIGGER responses_version_delete AFTER DELETE ON responses
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_waves('edits');

CREATE TRIGGER self_assessments_version_insert AFTER INSERT ON self_assessments
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_waves();
CREATE TRIGGER self_assessments_version_update AFTER UPDATE ON self_assessments
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_waves();
CREATE TRIGGER self_assessments_version_delete AFTER DELETE ON self_assessments
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_waves();

-- answers and comments come with their responses; on their own (a correction) they edit the wave.
-- A deletion runs before its responses' (the keys), so the join still finds them.
CREATE TRIGGER answers_version_insert AFTER INSERT ON answers
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_waves_of_responses();
CREATE TRIGGER answers_version_update AFTER UPDATE ON answers
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_waves_of_responses();
CREATE TRIGGER answers_version_delete AFTER DELETE ON answers
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_waves_of_responses();
CREATE TRIGGER response_comments_version_insert AFTER INSERT ON response_comments
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_waves_of_responses();
CREATE TRIGGER response_comments_version_update AFTER UPDATE ON response_comments
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_waves_of_responses();
CREATE TRIGGER response_comments_version_delete AFTER DELETE ON response_comments
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_waves_of_responses();

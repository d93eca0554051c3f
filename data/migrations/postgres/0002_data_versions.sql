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
--
-- A scope's version is the sum of its rows, one row per slot: each writing session bumps the slot
-- of its server process (pg_backend_pid() % 64), so two replicas' writers, each with its own
-- connection, do not queue behind one row lock from their first statement to their COMMIT (with
-- one row per scope, measured: two replicas made 304 submissions/s, one writer alone 561/s). The
-- sum only grows, whatever order the writers commit in.
CREATE TABLE data_versions (
    scope   VARCHAR NOT NULL,
    slot    SMALLINT NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (scope, slot)
);

CREATE FUNCTION bump_scope() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO data_versions (scope, slot, version) VALUES (TG_ARGV[0], pg_backend_pid() % 64, 1)
    ON CONFLICT (scope, slot) DO UPDATE SET version = data_versions.version + 1;
    RETURN NULL;
END $$;

-- The waves of the statement's rows (transition table changed_rows, which has wave_id), in one
-- order so that two writers lock their version rows alike. With the argument 'edits' (UPDATE and
-- DELETE of responses) the wave's 'edits:<id>' moves too: its rows changed, not only grew.
CREATE FUNCTION bump_waves() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO data_versions (scope, slot, version)
    SELECT scope, pg_backend_pid() % 64, 1 FROM (
        SELECT DISTINCT 'wave:' || wave_id AS scope FROM changed_rows
        UNION
        SELECT DISTINCT 'edits:' || wave_id FROM changed_rows WHERE TG_NARGS > 0 AND TG_ARGV[0] = 'edits'
    ) AS s ORDER BY 1
    ON CONFLICT (scope, slot) DO UPDATE SET version = data_versions.version + 1;
    RETURN NULL;
END $$;

-- Rows that name a response (answers, response_comments): the waves of those responses. An INSERT
-- for a response that this same transaction inserted (a submission, an import) only grows the
-- wave; any other INSERT, UPDATE or DELETE edits it. (`xmin` of a row inserted by this transaction
-- is its id; a row inserted under a savepoint has another, which counts as an edit: the safe side.)
CREATE FUNCTION bump_waves_of_responses() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO data_versions (scope, slot, version)
    SELECT scope, pg_backend_pid() % 64, 1 FROM (
        SELECT DISTINCT 'wave:' || r.wave_id AS scope
        FROM changed_rows c JOIN responses r ON r.response_id = c.response_id
        UNION
        SELECT DISTINCT 'edits:' || r.wave_id
        FROM changed_rows c JOIN responses r ON r.response_id = c.response_id
        WHERE TG_OP <> 'INSERT'
           OR r.xmin::text::bigint <> pg_current_xact_id()::text::bigint % 4294967296
    ) AS s ORDER BY 1
    ON CONFLICT (scope, slot) DO UPDATE SET version = data_versions.version + 1;
    RETURN NULL;
END $$;

-- Invitations changed in what the figures use (who was invited, where, until when, who answered);
-- an UPDATE of drafts, addresses or reminders alone moves nothing.
CREATE FUNCTION bump_waves_of_invitations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO data_versions (scope, slot, version)
    SELECT scope, pg_backend_pid() % 64, 1 FROM (
        SELECT DISTINCT 'wave:' || w.wave_id AS scope
        FROM old_rows o JOIN new_rows n ON n.token_hash = o.token_hash
        CROSS JOIN LATERAL (VALUES (o.wave_id), (n.wave_id)) AS w (wave_id)
        WHERE o.used IS DISTINCT FROM n.used OR o.wave_id IS DISTINCT FROM n.wave_id
           OR o.dept_code IS DISTINCT FROM n.dept_code OR o.expires_at IS DISTINCT FROM n.expires_at
    ) AS s ORDER BY 1
    ON CONFLICT (scope, slot) DO UPDATE SET version = data_versions.version + 1;
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
CREATE TRIGGER invitations_version_update AFTER UPDATE ON invitations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_waves_of_invitations();

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

-- Comments come with their responses; on their own (a correction) they edit the wave. Answers are
-- only ever inserted with their response, in its transaction (a submission, an import: the
-- responses' trigger moves the wave), so an INSERT of answers has no trigger: it is the bulk of
-- every submission (a dozen rows per response), and joining them to their responses cost the
-- writers more than half their speed (measured: two replicas 555/s with it, 1,311/s without any
-- version trigger). Their UPDATE and DELETE edit the wave. A deletion runs before its responses'
-- (the keys), so the join still finds them.
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

-- Issue 22: bilateral action plans on a pair of departments (A <-> B), with commitments on both
-- sides, coordination meetings and the plan's own history. services/actions.py validates every
-- write (texts in both languages) and records it in the audit log; these constraints refuse bad
-- rows even when a bug lets them through. No CHECK names a key: DuckDB turns an UPDATE of a row
-- whose CHECK names its key into delete+insert, which the foreign keys below would refuse.
-- Owners are account names without a foreign key to users: DuckDB refuses the sign-in's
-- `UPDATE users ... RETURNING` of any account another table refers to. services/actions.py admits
-- only an active leader or administrator as an owner (its `_owner_problem`).

-- The plan itself: the pair and the wave it starts from, never changed once written (the tables
-- below refer to it, and DuckDB refuses an UPDATE of a row that other tables refer to).
CREATE SEQUENCE action_plans_seq;
CREATE TABLE action_plans (
    plan_id    BIGINT PRIMARY KEY DEFAULT nextval('action_plans_seq'),
    dept_a     VARCHAR NOT NULL REFERENCES departments (code),
    dept_b     VARCHAR NOT NULL REFERENCES departments (code),
    wave_id    VARCHAR NOT NULL REFERENCES waves (wave_id),  -- the wave the plan starts from
    created_by VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    CHECK (dept_a <> dept_b)
);

-- What the two sides agree on: edited in place (nothing refers to it). Editing the terms of an
-- agreed plan withdraws both acceptances (services/actions.py): an agreement is on these words.
CREATE TABLE plan_terms (
    plan_id         BIGINT PRIMARY KEY REFERENCES action_plans (plan_id),
    title           VARCHAR NOT NULL CHECK (length(trim(title)) BETWEEN 1 AND 200),
    owner_a         VARCHAR NOT NULL,
    owner_b         VARCHAR NOT NULL,
    focus           VARCHAR NOT NULL DEFAULT '' CHECK (length(focus) <= 4000),
    -- the target: mean satisfaction of target_rater with target_provider reaching target_value
    -- (services/actions.py checks that both are the plan's departments)
    target_rater    VARCHAR REFERENCES departments (code),
    target_provider VARCHAR REFERENCES departments (code),
    target_from     DOUBLE,
    target_value    DOUBLE CHECK (target_value BETWEEN 0 AND 100),
    target_wave_id  VARCHAR REFERENCES waves (wave_id),
    accepted_a      BOOLEAN NOT NULL DEFAULT FALSE,
    accepted_b      BOOLEAN NOT NULL DEFAULT FALSE,
    CHECK ((target_rater IS NULL) = (target_value IS NULL))
);

CREATE SEQUENCE plan_commitments_seq;
CREATE TABLE plan_commitments (
    commitment_id BIGINT PRIMARY KEY DEFAULT nextval('plan_commitments_seq'),
    plan_id       BIGINT NOT NULL REFERENCES action_plans (plan_id),
    side          VARCHAR NOT NULL REFERENCES departments (code),
    owner         VARCHAR NOT NULL,
    title         VARCHAR NOT NULL CHECK (length(trim(title)) BETWEEN 1 AND 200),
    due_on        DATE NOT NULL,
    status        VARCHAR NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'in_progress', 'done', 'dropped')),
    note          VARCHAR NOT NULL DEFAULT '' CHECK (length(note) <= 1000)
);

CREATE SEQUENCE plan_meetings_seq;
CREATE TABLE plan_meetings (
    meeting_id   BIGINT PRIMARY KEY DEFAULT nextval('plan_meetings_seq'),
    plan_id      BIGINT NOT NULL REFERENCES action_plans (plan_id),
    held_on      DATE NOT NULL,
    kind         VARCHAR NOT NULL CHECK (kind IN ('one_to_one', 'coordination')),
    attended_a   BOOLEAN NOT NULL,
    attended_b   BOOLEAN NOT NULL,
    decisions    VARCHAR NOT NULL DEFAULT '' CHECK (length(decisions) <= 2000),
    next_meeting DATE,
    CHECK (attended_a OR attended_b),
    CHECK (next_meeting IS NULL OR next_meeting > held_on)
);

-- Who changed what in a plan, and when: shown with the plan (the audit log has the same events).
CREATE SEQUENCE plan_history_seq;
CREATE TABLE plan_history (
    event_id    BIGINT PRIMARY KEY DEFAULT nextval('plan_history_seq'),
    plan_id     BIGINT NOT NULL REFERENCES action_plans (plan_id),
    occurred_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    actor       VARCHAR NOT NULL,
    change      VARCHAR NOT NULL,
    detail      VARCHAR NOT NULL DEFAULT ''
);

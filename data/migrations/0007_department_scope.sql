-- Issue 20: a department head's view. An account with rows here is scoped to those departments: it
-- sees their report cards, every pair in which one of them is rater or provider, their comments and
-- hotspots, and the organisation's headline figures, nothing of other pairs (ui/scope.py applies it).
-- No rows: the whole organisation. data/users.py admits only existing leaders (an admin is never
-- scoped). The username has no foreign key, like sign_in_sessions: DuckDB refuses any UPDATE of a
-- referenced users row (a sign-in counts its attempt there), so `cli.py check` counts scopes of an
-- unknown account or of a non-leader instead (data/responses.py INTEGRITY_CHECKS).
CREATE TABLE user_departments (
    username  VARCHAR NOT NULL,
    dept_code VARCHAR NOT NULL REFERENCES departments (code),
    PRIMARY KEY (username, dept_code)
);

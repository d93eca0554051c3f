-- Issue 20: a department head's view. An account with rows here is scoped to those departments: it
-- sees their report cards, every pair in which one of them is rater or provider, their comments and
-- hotspots, and the organisation's headline figures, nothing of other pairs (ui/scope.py applies it).
-- No rows: the whole organisation. data/users.py admits only leaders (an admin is never scoped).
-- Note (DuckDB): a row here keeps its user's indexed columns (username, email) from being updated;
-- nothing updates them today (users are disabled, never renamed).
CREATE TABLE user_departments (
    username  VARCHAR NOT NULL REFERENCES users (username),
    dept_code VARCHAR NOT NULL REFERENCES departments (code),
    PRIMARY KEY (username, dept_code)
);

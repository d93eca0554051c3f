-- Issue 23, replicas: the sign-in brakes (data/users.py) count in the database instead of in one
-- process's memory, so that several app processes sharing one store brake a guesser together.
--
-- sign_in_failures: one row per checked sign-in that failed, with the client address. The pair waits
-- (one name at one address) count the rows of their pair, a success deletes them, and an admin's
-- unlock or new password deletes the name's; the address and overall ceilings count the rows in
-- their windows. Rows older than a day are pruned now and then (users.FAILURES_KEPT_SECONDS).
-- No index on DuckDB: the table stays small (pruned) and DuckDB reads it column by column;
-- PostgreSQL's twin has its indexes.
--
-- sign_in_unknown_names: the attempts and pause of a name without an account, as users has for an
-- account (failed_attempts, locked_until), so that an unknown name is braked like a real one.
CREATE TABLE sign_in_failures (
    failed_at TIMESTAMP NOT NULL,
    username  VARCHAR NOT NULL,
    address   VARCHAR NOT NULL
);

CREATE TABLE sign_in_unknown_names (
    username        VARCHAR PRIMARY KEY,
    failed_attempts INTEGER NOT NULL,
    locked_until    TIMESTAMP,
    last_attempt_at TIMESTAMP NOT NULL
);

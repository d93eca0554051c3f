-- Issue 23, replicas: DuckDB's 0013 (data/migrations/0013_sign_in_failures.sql says why). The
-- sign-in brakes count here so that every replica sees every failure; 0002 is another change's.
-- Indexes for the pair count and deletes (username, address), the address window
-- (address, failed_at), the overall window and pruning (failed_at), the pruning of unknown names.
CREATE TABLE sign_in_failures (
    failed_at TIMESTAMP NOT NULL,
    username  VARCHAR NOT NULL,
    address   VARCHAR NOT NULL
);
CREATE INDEX sign_in_failures_pair ON sign_in_failures (username, address);
CREATE INDEX sign_in_failures_address ON sign_in_failures (address, failed_at);
CREATE INDEX sign_in_failures_at ON sign_in_failures (failed_at);

CREATE TABLE sign_in_unknown_names (
    username        VARCHAR PRIMARY KEY,
    failed_attempts INTEGER NOT NULL,
    locked_until    TIMESTAMP,
    last_attempt_at TIMESTAMP NOT NULL
);
CREATE INDEX sign_in_unknown_names_last_attempt ON sign_in_unknown_names (last_attempt_at);

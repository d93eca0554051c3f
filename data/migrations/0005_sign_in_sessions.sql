-- Issue 16: signed-in sessions of our own, kept server-side so that a sign-out, an expiry or a
-- disabled account ends them on every tab at the next click (and, on PostgreSQL, on every replica).
--
-- The browser holds a random value (secrets.token_urlsafe(32)) in an HttpOnly, SameSite=Strict
-- cookie set by the sign-in route; this table holds only its SHA-256, so a copy of the database
-- (a backup) cannot be replayed as a cookie. A row exists only when the server issued the value at a
-- successful sign-in: a value chosen by the client matches nothing, and sign-out deletes the row.

CREATE TABLE sign_in_sessions (
    session_hash VARCHAR PRIMARY KEY CHECK (length(session_hash) = 64),
    username     VARCHAR NOT NULL,
    method       VARCHAR NOT NULL CHECK (method IN ('password', 'sso')),
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL CHECK (expires_at > created_at)
);

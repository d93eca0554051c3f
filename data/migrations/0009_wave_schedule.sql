-- Issue 21: waves that open and close on their dates. A wave listed here is scheduled: the app's
-- scheduler (services/scheduler.py) and `cli.py tick` open it on its opening date and close it after
-- its closing date, in the deployment's time zone (ICSAT_TIMEZONE). A table of its own rather than a
-- column on waves: DuckDB cannot alter a table that other tables reference.
CREATE TABLE wave_schedules (
    wave_id      VARCHAR PRIMARY KEY REFERENCES waves (wave_id),
    scheduled_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

"""The Streamlit server's database: one instance per process, cached as a resource.

It lives in ui/ because the caching is Streamlit's (st.cache_resource): data/ stays free of Streamlit
and is used alike by the app and `cli.py`.

`ICSAT_DB` is a DuckDB file (the default: this process owns it) or a `postgresql://` URL (several
app processes, replicas, and `cli.py` share it; docs/operations.md, "Running replicas"). On
PostgreSQL the pages' caches also follow the database's own data versions (services/versions.py),
since other processes write too, and the analysis runs on this process's DuckDB copy
(data/replica.py).
"""

from __future__ import annotations

import streamlit as st

from data.backup import start_backup_watcher
from data.db import Database, db_path_from_env, open_database
from data.pg import PostgresDatabase
from data.submissions import SubmissionWriter
from services import versions
from services.scheduler import start_scheduler


@st.cache_resource(show_spinner=False)
def get_database() -> Database | PostgresDatabase:
    """The process's database instance (ICSAT_DB), migrated on first use. Its scheduler thread opens
    and closes scheduled waves on their dates (on PostgreSQL every replica ticks: each step is taken
    once, services/scheduler.py). On DuckDB it also answers `cli.py backup` requests while the app
    runs (the app owns the file; see data/backup.py); PostgreSQL serves `cli.py` itself."""
    database = open_database(db_path_from_env())
    if database.backend == "postgres":
        versions.follow(database)
    else:
        start_backup_watcher(database)
    start_scheduler(database)
    return database


@st.cache_resource(show_spinner=False)
def _submission_writer() -> SubmissionWriter:
    return SubmissionWriter(get_database())


def get_submission_writer() -> SubmissionWriter:
    """The process's one submission writer (group commit), always on the current database instance
    (tests swap the database between runs)."""
    writer = _submission_writer()
    if writer.db is not get_database():
        writer.close()
        _submission_writer.clear()
        writer = _submission_writer()
    return writer

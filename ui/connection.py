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

import logging
import threading

import streamlit as st

from data.backup import start_backup_watcher
from data.db import Database, db_path_from_env, open_database
from data.pg import PostgresDatabase
from data.replica import analysis_db
from data.responses import response_count
from data.submissions import SubmissionWriter
from data.waves import list_waves
from services import versions
from services.scheduler import start_scheduler

_LOG = logging.getLogger("icsat")


@st.cache_resource(show_spinner=False)
def get_database() -> Database | PostgresDatabase:
    """The process's database instance (ICSAT_DB), migrated on first use. Its scheduler thread opens
    and closes scheduled waves on their dates (on PostgreSQL every replica ticks: each step is taken
    once, services/scheduler.py). On DuckDB it also answers `cli.py backup` requests while the app
    runs (the app owns the file; see data/backup.py); PostgreSQL serves `cli.py` itself."""
    database = open_database(db_path_from_env())
    if database.backend == "postgres":
        versions.follow(database)
        threading.Thread(target=_warm_analysis_copy, args=(database,), name="icsat-warm", daemon=True).start()
    else:
        versions.follow(None)  # one process owns the file: its own counters see every write
        start_backup_watcher(database)
    start_scheduler(database)
    return database


def _warm_analysis_copy(database: PostgresDatabase) -> None:
    """Read the two newest waves with answers (what the Overview shows first: a wave and the one it
    is compared with) into this process's analysis copy now, in the background: the first page of a
    replica opens the database, usually the sign-in page, and the copy then loads while the person
    types, instead of when their first dashboard asks (seconds on a large organisation:
    docs/performance.md)."""
    try:
        waves = [w.wave_id for w in list_waves(database) if response_count(database, w.wave_id) > 0]
        analysis_db(database, waves[-2:])
    except Exception:  # a page will read the copy itself; the server log says why this failed
        _LOG.exception("warming the analysis copy failed")


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

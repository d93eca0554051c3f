"""The Streamlit server's database: one instance per process, cached as a resource.

It lives in ui/ because the caching is Streamlit's (st.cache_resource): data/ stays free of Streamlit
and is used alike by the app and `cli.py`.
"""

from __future__ import annotations

import streamlit as st

from data.backup import start_backup_watcher
from data.db import Database, db_path_from_env, require_app_backend
from data.submissions import SubmissionWriter
from services.scheduler import start_scheduler


@st.cache_resource(show_spinner=False)
def get_database() -> Database:
    """The process's database instance (path from ICSAT_DB), migrated on first use. It also answers
    `cli.py backup` requests while the app runs (the app owns the file; see data/backup.py), and its
    scheduler thread opens and closes scheduled waves on their dates."""
    target = db_path_from_env()
    require_app_backend(target)  # PostgreSQL serves the store's basics, not every page yet
    database = Database(target)
    start_backup_watcher(database)
    start_scheduler(database)  # waves that open and close on their dates (services/scheduler.py)
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

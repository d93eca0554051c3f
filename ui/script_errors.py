"""What a person sees when a page fails: one sentence in their language, no traceback and no
outside links (Streamlit's own display offers "Ask Google" and "Ask ChatGPT" buttons, which send
the error text to outside hosts). The exception goes to the server log for the admin."""

from __future__ import annotations

import logging

import streamlit as st

from ui.frame import t

_LOG = logging.getLogger("icsat")


def show_script_error(error: Exception) -> bool:
    """st.App's on_script_error: log the error, show a plain message, suppress Streamlit's display."""
    from psycopg import OperationalError
    from psycopg_pool import PoolTimeout

    from data.db import DatabaseInUse

    _LOG.error("a page failed", exc_info=error)
    causes = (error, error.__cause__)
    if any(isinstance(e, DatabaseInUse) for e in causes):
        # another process (a command-line task run while the app was stopped) holds the DuckDB file
        key = "error_database_in_use"
    elif any(isinstance(e, (OperationalError, PoolTimeout)) for e in causes):
        # PostgreSQL is down, restarting or out of connections: the next run tries again
        key = "error_database_unreachable"
    else:
        key = "error_generic"
    st.error(t(key), icon=":material/error:")
    return True

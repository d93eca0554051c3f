"""What a failing page shows: one sentence in the person's language, never the error itself."""

import pytest
from streamlit.testing.v1 import AppTest

from texts import translate


def _page(kind: str, lang: str) -> None:
    import streamlit as st

    from data.db import DatabaseInUse
    from ui.script_errors import show_script_error

    st.session_state["lang"] = lang
    from psycopg import OperationalError

    error = {
        "busy": DatabaseInUse("/srv/icsat.duckdb", 4242),
        "down": OperationalError("connection to 10.0.0.7 port 4242 failed: secret detail"),
    }.get(kind, ValueError("secret detail"))
    show_script_error(error)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(
    ("kind", "key"),
    [("busy", "error_database_in_use"), ("down", "error_database_unreachable"), ("other", "error_generic")],
)
def test_a_failing_page_says_what_happened_in_plain_words(kind, key, lang):
    at = AppTest.from_function(_page, args=(kind, lang)).run()
    assert [e.value for e in at.error] == [translate(key, lang)]
    assert "4242" not in at.error[0].value and "secret" not in at.error[0].value

"""Problems on a page: every refusal (data.problems) drawn the same way, in the reader's language.

The wording is texts.py `describe` (shared with cli.py, which prints it in English);
this module only draws: one problem as an error, several as a table of sentences shown as text,
never as HTML or Markdown.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import streamlit as st

from data.problems import Problem
from texts import describe


def problems_table(problems: Iterable[Problem], lang: str) -> pd.DataFrame:
    """Problems as a table: one column of sentences."""
    return pd.DataFrame({"": [describe(p, lang) for p in problems]})


def show_problems(problems: list[Problem], lang: str, *, intro: str | None = None) -> None:
    """Say why something was refused: each problem as an error line, or (with `intro`, for a file's
    many row-level problems) the intro as an error and the problems as a table."""
    if intro is None:
        for problem in problems:
            st.error(describe(problem, lang))
        return
    st.error(intro)
    st.dataframe(problems_table(problems, lang), hide_index=True, width="stretch")

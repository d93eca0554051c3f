"""What the administration pages share: the problems table and the links file.

The problem messages themselves are worded in `texts.py`, which `cli.py` uses too.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from data.invitations import write_links_csv
from data.org_import import Problem
from texts import describe_problem, describe_user_error, describe_wave_error

__all__ = ["describe_problem", "describe_user_error", "describe_wave_error", "links_file_bytes", "problems_table"]


def problems_table(problems: list[Problem], lang: str) -> pd.DataFrame:
    """Problems as a table for the page: one column of sentences (shown as text, never as HTML)."""
    return pd.DataFrame({"": [describe_problem(p, lang) for p in problems]})


def links_file_bytes(links: pd.DataFrame) -> bytes:
    """The links file exactly as `cli.py invite` writes it (data.invitations.write_links_csv), as bytes
    for a download button."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "links.csv"
        write_links_csv(links, path)
        return path.read_bytes()

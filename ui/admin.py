"""What the administration pages and the command line share: problem messages and the links file.

No Streamlit here, so that `cli.py` can say the same things in English as the pages do.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from data.invitations import write_links_csv
from data.org_import import Problem
from data.users import UserError
from data.wave_setup import WaveError
from ui.i18n import translate


def describe_problem(problem: Problem, lang: str) -> str:
    """One import problem as a sentence in `lang`, with its file and line."""
    message = translate("orgimp_" + problem.code, lang, **problem.values)
    file = translate("admin_org_file_" + problem.file, lang)
    if problem.row is None:
        return translate("admin_org_problem_file", lang, file=file, message=message)
    return translate("admin_org_problem_row", lang, file=file, row=problem.row, message=message)


def problems_table(problems: list[Problem], lang: str) -> pd.DataFrame:
    """Problems as a table for the page: one column of sentences (shown as text, never as HTML)."""
    return pd.DataFrame({"": [describe_problem(p, lang) for p in problems]})


def describe_wave_error(error: WaveError, lang: str) -> str:
    """A refused wave change as a sentence in `lang`."""
    return translate("wave_err_" + error.code, lang, **error.values)


def describe_user_error(error: UserError, lang: str) -> str:
    """A refused account change as a sentence in `lang`."""
    return translate("user_err_" + error.code, lang, **error.values)


def links_file_bytes(links: pd.DataFrame) -> bytes:
    """The links file exactly as `cli.py invite` writes it (data.invitations.write_links_csv), as bytes
    for a download button."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "links.csv"
        write_links_csv(links, path)
        return path.read_bytes()

"""What the administration pages and the command line share: the links file, the previews of uploads.

No Streamlit here. Refusals are worded by texts.py and drawn by ui/problems.py.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from data.invitations import ROSTER_LANGUAGE_COLUMN, write_links_csv
from texts import translate

# How many rows an upload's preview shows before anything is written (the confirm step).
PREVIEW_ROWS = 10
# The roster's columns in a preview, with the text key of each heading.
_ROSTER_PREVIEW = {
    "row": "admin_col_row",
    "email": "admin_col_email",
    "name": "admin_col_display",
    "department": "admin_col_department",
    ROSTER_LANGUAGE_COLUMN: "admin_col_language",
}


# The organisation files' columns in a preview (data.org_import's DEPARTMENT_COLUMNS and
# RELATIONSHIP_COLUMNS), with the text key of each heading.
ORG_PREVIEW = {
    "departments": {
        "code": "admin_col_code",
        "name_en": "admin_col_name_en",
        "name_zh": "admin_col_name_zh",
        "parent_code": "admin_col_parent",
        "active": "admin_col_active",
    },
    "relationships": {
        "customer_dept": "admin_col_customer",
        "provider_dept": "admin_col_provider",
        "type": "admin_col_type",
    },
}


def preview_frame(frame: pd.DataFrame, headings: dict[str, str], rows: int, lang: str) -> pd.DataFrame:
    """The first `rows` rows of `frame`, only the columns of `headings` (column -> text key) that it
    has, headed in `lang`: what an upload's preview shows before anything is written."""
    present = [c for c in headings if c in frame.columns]
    shown = frame.head(rows)[present]
    shown = shown.astype(object).where(shown.notna(), "")  # an empty cell, not "None"
    return shown.rename(columns={c: translate(headings[c], lang) for c in present})


def roster_preview(roster: pd.DataFrame, rows: int, lang: str) -> pd.DataFrame:
    """The first rows of a roster as invitations will be made of them (department codes in capitals)."""
    shown = roster.head(rows).copy()
    shown["department"] = shown["department"].astype(str).str.upper()
    return preview_frame(shown, _ROSTER_PREVIEW, rows, lang)


def links_file_bytes(links: pd.DataFrame) -> bytes:
    """The links file exactly as `cli.py invite` writes it (data.invitations.write_links_csv), as bytes
    for a download button."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "links.csv"
        write_links_csv(links, path)
        return path.read_bytes()

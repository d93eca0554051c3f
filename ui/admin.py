"""What the administration pages and the command line share: the links file.

No Streamlit here. Refusals are worded by texts.py and drawn by ui/problems.py.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from data.invitations import write_links_csv


def links_file_bytes(links: pd.DataFrame) -> bytes:
    """The links file exactly as `cli.py invite` writes it (data.invitations.write_links_csv), as bytes
    for a download button."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "links.csv"
        write_links_csv(links, path)
        return path.read_bytes()

"""Every text users read, in English and Chinese: the pages, the exported codebook, the links file,
the hotspot reasons, the problem messages.

Texts live in `ui/locales/*.yaml` (one file per area of the product), each key mapping to its
`en` and `zh` text, a template with optional str.format placeholders (`{name}`, `{value:.2f}`).
Every key must have both languages with the same placeholders; tests/ui/test_i18n.py checks that.
No Streamlit here, so data/, report/ and `cli.py` word things as the pages do; the current language
comes from the caller.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:  # only the type: data/ may use these texts too
    from data.problems import Problem

LANGUAGES = ("en", "zh")
LANGUAGE_NAMES = {"en": "English", "zh": "中文"}
LOCALES_DIR = Path(__file__).resolve().parent / "ui" / "locales"


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    """Every interface text: key -> {"en": ..., "zh": ...}. Raises on a duplicate key."""
    texts: dict[str, dict[str, str]] = {}
    for path in sorted(LOCALES_DIR.glob("*.yaml")):
        for key, value in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            if key in texts:
                raise ValueError(f"{path.name}: text key '{key}' is defined twice")
            texts[key] = value
    return texts


def translate(key: str, lang: str, **values: object) -> str:
    """The text for `key` in `lang`, placeholders filled; the key itself when it is unknown."""
    entry = catalogue().get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry.get("en") or key
    return text.format(**values) if values else text


# Problems and refusals (data.problems), worded alike on the pages and by cli.py.

# The text key of a problem is its area's prefix followed by its code.
_PREFIXES = {
    "wave": "wave_err_",
    "user": "user_err_",
    "departments": "orgimp_",
    "relationships": "orgimp_",
    "responses": "exports_import_",
    "roster": "roster_",
    "export": "export_err_",
    "actions": "actions_err_",
}


def problem_key(problem: Problem) -> str:
    """The text key that words `problem` (ui/locales)."""
    return _PREFIXES.get(problem.area, "") + problem.code


def describe(problem: Problem, lang: str = "en", *, with_row: bool = True) -> str:
    """One problem as a sentence in `lang`, starting with where it is (file and line) unless `with_row`
    is False (a table that shows the row in a column of its own)."""
    values = dict(problem.values)
    if problem.area in ("departments", "relationships"):
        message = translate(problem_key(problem), lang, **values)
        file = translate("admin_org_file_" + problem.area, lang)
        if problem.row is None:
            return translate("admin_org_problem_file", lang, file=file, message=message)
        return translate("admin_org_problem_row", lang, file=file, row=problem.row, message=message)
    if problem.area == "responses":
        text = translate(problem_key(problem), lang, column=problem.column or "", **values)
        if problem.row is None or not with_row:
            return text
        return translate("exports_import_at_row", lang, row=problem.row, text=text)
    if problem.area == "roster" and problem.row is not None:
        values["row"] = problem.row  # the roster's texts name their row themselves
    return translate(problem_key(problem), lang, **values)

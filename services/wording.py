"""The words: interface texts (ui/locales/*.yaml) and what a refusal says, with no Streamlit.

Why here and not in ui/: cli.py says the same things in English as the pages do in English or
Chinese, and cli.py must not import ui/ (the interface layer). So the locale loader and the wording of
a `data.problems.Problem` live here, as pure functions over the YAML files; ui/i18n.py re-exports the
loader for the pages and ui/problems.py draws problems on a page with `describe`. The texts
themselves stay in ui/locales/, one file per area of the product.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from data.problems import Problem

LANGUAGES = ("en", "zh")
LANGUAGE_NAMES = {"en": "English", "zh": "中文"}
LOCALES_DIR = Path(__file__).resolve().parent.parent / "ui" / "locales"

# The text key of a problem is its area's prefix followed by its code.
_PREFIXES = {
    "wave": "wave_err_",
    "user": "user_err_",
    "departments": "orgimp_",
    "relationships": "orgimp_",
    "responses": "exports_import_",
    "roster": "roster_",
    "export": "export_err_",
}


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

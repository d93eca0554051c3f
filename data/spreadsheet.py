"""Text a spreadsheet must not run as a formula: the one rule for every file ICSAT writes for Excel
(exports, the links file) and its inverse for files imported again."""

from __future__ import annotations

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_text(value: object) -> object:
    """A text that a spreadsheet could run as a formula, prefixed with a single quote.

    Only `str` values change: numbers (also negative ones), booleans and missing values pass as
    they are. A text starting with = + - @ tab or carriage return gets a leading ``'``.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def restore_text(value: object) -> object:
    """Undo `neutralise_text` (used when an exported file is imported again)."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1:].startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value

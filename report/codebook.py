"""The codebook: every question of a wave's survey, and what every column of every export means.

One table with the columns of `CODEBOOK_COLUMNS`:
- table: the export table the row describes (responses, cells, hotspots ...);
- column: the column name in that table;
- question_id: the survey's question id, for columns that hold answers (else empty);
- dimension: the dimension of an item (understanding, reliability ...), else empty;
- kind: key, likert, recommend, frequency, open, figure, flag or text;
- scale: the values the column holds;
- text_en, text_zh: the question's wording from the survey definition, or the column's meaning (the
  texts codebook_* in ui/locales/codebook.yaml).

No Streamlit here; the page and the command line both write it through report/exports.py.
"""

from __future__ import annotations

import pandas as pd

from analysis.hotspots import FLAGS, LEVELS
from surveys.definition import Survey
from texts import translate

DIMENSION_PREFIX = "dim_"
UNDESCRIBED = translate("codebook_undescribed", "en")  # what a column nobody described says

CODEBOOK_COLUMNS = ("table", "column", "question_id", "dimension", "kind", "scale", "text_en", "text_zh")

SCORE_SCALE = "0-100"

# column -> (kind, scale), shared by every aggregate table; its meaning is the text codebook_column_<column>
COLUMN_KINDS: dict[str, tuple[str, str]] = {
    "wave": ("key", "wave id"),
    "wave_id": ("key", "wave id"),
    "previous_wave": ("key", "wave id"),
    "previous_wave_id": ("key", "wave id"),
    "rater_dept": ("key", "department code"),
    "provider_dept": ("key", "department code"),
    "dept": ("key", "department code"),
    "dept_code": ("key", "department code"),
    "department": ("key", "department code"),
    "level": ("key", "cell, provider, rater or organisation"),
    "scope": ("key", "organisation or department code"),
    "relationship_type": ("key", "hierarchical, functional, process, cross_functional"),
    "dimension": ("key", "dimension id"),
    "n": ("figure", "whole number; empty when hidden"),
    "n_responses": ("figure", "whole number"),
    "n_recommend": ("figure", "whole number"),
    "n_previous": ("figure", "whole number"),
    "mean": ("figure", SCORE_SCALE),
    "sd": ("figure", SCORE_SCALE),
    "ci_low": ("figure", SCORE_SCALE),
    "ci_high": ("figure", SCORE_SCALE),
    "favourable": ("figure", "share 0-1"),
    "promoters": ("figure", "whole number"),
    "passives": ("figure", "whole number"),
    "detractors": ("figure", "whole number"),
    "inps": ("figure", "-100 to 100"),
    "inps_ci_low": ("figure", "-100 to 100"),
    "inps_ci_high": ("figure", "-100 to 100"),
    "suppressed": ("flag", "true/false"),
    "hidden_figures": ("text", "comma-separated names; empty = none"),
    "k": ("figure", "whole number >= 3"),
    "k_comments": ("figure", "whole number"),
    "frequency": ("figure", "1-4"),
    "flags": ("text", "friction, low, asymmetric, mutual, polarised, declining (comma-separated)"),
    "severity": ("figure", "0 or more"),
    "reason_en": ("text", "text"),
    "reason_zh": ("text", "text"),
    "relationship_effect": ("figure", "points on 0-100"),
    "relationship_ci_low": ("figure", "points"),
    "relationship_ci_high": ("figure", "points"),
    "pair_effect": ("figure", "points"),
    "pair_ci_low": ("figure", "points"),
    "pair_ci_high": ("figure", "points"),
    "q_value": ("figure", "0-1"),
    "rater_effect": ("figure", "points"),
    "provider_effect": ("figure", "points"),
    "org_mean": ("figure", SCORE_SCALE),
    "reverse_mean": ("figure", SCORE_SCALE),
    "difference": ("figure", "points"),
    "p_value": ("figure", "0-1"),
    "alpha": ("figure", "-inf to 1"),
    "alpha_ci_low": ("figure", "-inf to 1"),
    "alpha_ci_high": ("figure", "-inf to 1"),
    "icc1": ("figure", "-1 to 1"),
    "icc": ("figure", "-1 to 1"),
    "icc_ci_low": ("figure", "-1 to 1"),
    "icc_ci_high": ("figure", "-1 to 1"),
    "n_items": ("figure", "whole number"),
    "note": ("text", "text"),
    "importance": ("figure", "share 0-1"),
    "performance": ("figure", SCORE_SCALE),
    "quadrant": ("text", "fix_first, keep_up, secondary, possible_overkill, unclear"),
    "importance_ci_low": ("figure", "percent"),
    "importance_ci_high": ("figure", "percent"),
    "change": ("figure", "points"),
    "previous_mean": ("figure", SCORE_SCALE),
    "change_ci_low": ("figure", "points"),
    "change_ci_high": ("figure", "points"),
    "significant": ("flag", "true/false"),
    "invited": ("figure", "whole number"),
    "responded": ("figure", "whole number"),
    "rate": ("figure", "share 0-1"),
    "response_rate": ("figure", "share 0-1"),
    "low_rate": ("flag", "true/false"),
}

# Columns whose meaning depends on the table (the same name says something else there): (table, column)
# -> (kind, scale); the meaning is the text codebook_table_<table>__<column>.
TABLE_KINDS: dict[tuple[str, str], tuple[str, str]] = {
    ("cells", "expected"): ("figure", SCORE_SCALE),
    ("reliability", "measure"): ("key", "alpha, icc1"),
    ("reliability", "value"): ("figure", "alpha: up to 1 (< 0.7 weak, > 0.95 redundant); icc1: -1 to 1"),
    ("reliability", "ci_low"): ("figure", "as value"),
    ("reliability", "ci_high"): ("figure", "as value"),
    ("reliability", "n"): ("figure", "whole number"),
    ("reliability", "n_items"): ("figure", "whole number"),
    ("reliability", "note"): ("text", "low, redundant or empty"),
    ("drivers", "scope"): ("key", "organisation, provider"),
    ("drivers", "provider_dept"): ("key", "department code; empty for the organisation"),
    ("drivers", "n"): ("figure", "whole number"),
    ("drivers", "importance"): ("figure", "percent 0-100, sums to 100 per scope"),
    ("drivers", "r2"): ("figure", "0-1"),
    ("drivers", "coef"): ("figure", "points of recommend per point"),
    ("drivers", "performance"): ("figure", SCORE_SCALE),
    ("trends", "level"): ("key", "cell, provider, rater, organisation"),
    ("trends", "rater_dept"): ("key", "department code; empty where not applicable"),
    ("trends", "provider_dept"): ("key", "department code; empty where not applicable"),
    ("trends", "previous_n"): ("figure", "whole number"),
    ("trends", "change"): ("figure", "points"),
    ("trends", "t"): ("figure", "number"),
    ("trends", "dof"): ("figure", "number"),
    ("trends", "suppressed"): ("flag", "true/false"),
    ("hotspots", "change"): ("figure", "points"),
    ("participation", "dept_code"): ("key", "department code"),
    ("participation", "low_participation"): ("flag", "true/false"),
    ("participation", "rate"): ("figure", "share 0-1"),
}

# Hotspot flags and the `low` level: kind flag, true/false; the meaning is codebook_flag with the rule
# codebook_flag_<flag>.
HOTSPOT_FLAGS = (*FLAGS, *LEVELS)


def _texts(key: str, **values: object) -> tuple[str, str]:
    """(English, Chinese) of a codebook text."""
    return (translate(key, "en", **values), translate(key, "zh", **values))


def column_meaning(column: str, table: str | None = None) -> tuple[str, str, str, str] | None:
    """(kind, scale, English, Chinese) of a known column (in `table`, where its meaning depends on it)."""
    if (table, column) in TABLE_KINDS:
        return (*TABLE_KINDS[(table, column)], *_texts(f"codebook_table_{table}__{column}"))
    if column in COLUMN_KINDS:
        return (*COLUMN_KINDS[column], *_texts(f"codebook_column_{column}"))
    if column in HOTSPOT_FLAGS:
        en, zh = _texts(f"codebook_flag_{column}")
        return (
            "flag",
            "true/false",
            translate("codebook_flag", "en", flag=column, rule=en),
            translate("codebook_flag", "zh", flag=column, rule=zh),
        )
    return None


def _label(text: object) -> tuple[str, str]:
    return (text.en, text.zh)


def question_rows(survey: Survey) -> list[dict]:
    """Codebook rows of the responses table: its keys and every question of `survey`."""
    options = ", ".join(o.id for o in survey.frequency_options if o.id != "never")
    likert = "; ".join(f"{k} = {v.en} / {v.zh}" for k, v in sorted(survey.likert_labels.items()))
    rows = [
        _row("responses", "wave", None, None, *column_meaning("wave")),
        _row("responses", "rater_dept", None, None, *column_meaning("rater_dept")),
        _row("responses", "provider_dept", None, None, *column_meaning("provider_dept")),
        _row("responses", "frequency", "frequency", None, "frequency", options, *_label(survey.frequency_text)),
        _row(
            "responses",
            "recommend",
            "recommend",
            None,
            "recommend",
            f"{survey.recommend_min}-{survey.recommend_max} ({survey.recommend_low.en} - {survey.recommend_high.en});"
            " empty = not answered",
            *_label(survey.recommend_text),
        ),
    ]
    for item in survey.items:
        rows.append(
            _row(
                "responses",
                item.id,
                item.id,
                item.dimension,
                "likert",
                f"{survey.likert_min}-{survey.likert_max} ({likert}); empty = {survey.not_applicable.en}",
                *_label(item.text),
            )
        )
    for question in survey.open_questions:
        rows.append(
            _row(
                "responses",
                question.id,
                question.id,
                None,
                "open",
                f"free text up to {question.max_length} characters; empty = none or below the comment threshold",
                *_label(question.text),
            )
        )
    rows.append(
        _row(
            "responses",
            "hidden_figures",
            None,
            None,
            "text",
            "comma-separated names; empty = none",
            *_texts("codebook_hidden_figures"),
        )
    )
    return rows


def _row(
    table: str,
    column: str,
    question_id: str | None,
    dimension: str | None,
    kind: str,
    scale: str,
    text_en: str,
    text_zh: str,
) -> dict:
    return dict(
        zip(CODEBOOK_COLUMNS, (table, column, question_id, dimension, kind, scale, text_en, text_zh), strict=True)
    )


def describe_column(survey: Survey, column: str, table: str | None = None) -> tuple[str | None, str, str, str, str]:
    """(dimension, kind, scale, English, Chinese) meaning of an aggregate table's column."""
    meaning = column_meaning(column, table)
    if meaning is not None:
        return (None, *meaning)
    if column.startswith(DIMENSION_PREFIX):
        dimension = next((d for d in survey.dimensions if d.id == column[len(DIMENSION_PREFIX) :]), None)
        if dimension is not None:
            return (
                dimension.id,
                "figure",
                SCORE_SCALE,
                translate("codebook_dimension", "en", label=dimension.label.en, description=dimension.description.en),
                translate("codebook_dimension", "zh", label=dimension.label.zh, description=dimension.description.zh),
            )
    return (None, "figure", "", *_texts("codebook_undescribed"))


def build_codebook(survey: Survey, tables: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """The codebook of a wave: the survey's questions and the columns of each exported table.

    Parameters
    ----------
    survey : the wave's survey definition (wording in English and Chinese).
    tables : table name -> its column names, for the aggregate tables (cells, hotspots ...).

    Returns a frame with the columns of `CODEBOOK_COLUMNS`, the responses table first.
    """
    rows = question_rows(survey)
    for table, columns in (tables or {}).items():
        if table in ("responses", "codebook"):
            continue
        for column in columns:
            dimension, kind, scale, text_en, text_zh = describe_column(survey, column, table)
            rows.append(_row(table, column, None, dimension, kind, scale, text_en, text_zh))
    return pd.DataFrame(rows, columns=list(CODEBOOK_COLUMNS))

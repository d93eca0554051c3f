"""Validation of one staff submission against its survey definition. No Streamlit, no storage.

A submission arrives as the plain dict the survey page keeps as its draft (the same shape is saved
server-side, so it must stay JSON):

    {
        "frequency": {"PROD": "weekly", "HR": "never", ...},          # screener, per department
        "ratings": {
            "PROD": {
                "items": {"reliability_1": 4, "empathy_2": "na", ...},  # 1-5, or "na"; absent = skipped
                "recommend": 0,                                          # 0-10; None/absent = not answered
                "comments": {"change": "...", "need": "..."},
            },
        },
        "self": {"SALES": {"reliability": 4, ...}},                     # self-assessment, per customer
    }

`validate_submission` returns a `ValidSubmission` or raises `AnswerError` listing every `Problem`
found. A problem carries a stable `code` (the page shows the text key ``survey_err_<code>`` in the
person's language) and the provider, field and limit it concerns. Free text is kept as plain text:
HTML or script in a comment is stored as typed and never rendered as HTML.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from surveys.definition import Survey

NOT_APPLICABLE = "na"
NEVER = "never"

# C0 and C1 control characters except tab and newline (a pasted NUL, escape or bell has no place in a
# comment and can confuse CSV readers and terminals later).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

PROBLEM_CODES = (
    "no_provider",
    "unknown_provider",
    "bad_frequency",
    "unknown_item",
    "score_not_number",
    "score_out_of_range",
    "recommend_not_number",
    "recommend_out_of_range",
    "provider_unanswered",
    "text_not_text",
    "text_too_long",
    "text_control",
    "unknown_question",
    "self_unknown_customer",
    "self_unknown_dimension",
    "self_out_of_range",
    "self_not_enabled",
    "malformed",
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a submission: `code` (see PROBLEM_CODES) and where it is."""

    code: str
    provider: str | None = None
    field: str | None = None
    limit: int | None = None


class AnswerError(ValueError):
    """A submission breaks one or more rules; `problems` lists them all."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{p.code} ({p.provider or '-'}, {p.field or '-'})" for p in self.problems))


@dataclass(frozen=True)
class ProviderRating:
    """One validated rating of a provider department.

    `answers` maps item id to 1-5 or None ("not applicable"); skipped items are absent.
    `recommend` is None when the question was not answered (0 is a real answer).
    """

    provider: str
    frequency: str
    answers: dict[str, int | None]
    recommend: int | None
    comments: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ValidSubmission:
    """A submission that passed every rule: the ratings of one sitting and the self-assessment."""

    rater_dept: str
    ratings: tuple[ProviderRating, ...]
    self_assessment: tuple[tuple[str, str, int], ...] = ()  # (customer_dept, dimension, 1-5)


def clean_text(text: str) -> tuple[str, bool]:
    """Normalise a free-text answer: NFC, Windows line ends to newlines, control characters removed,
    surrounding blanks trimmed. Returns (cleaned text, whether control characters were removed)."""
    normal = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    cleaned = _CONTROL.sub("", normal)
    return cleaned.strip(), cleaned != normal


def _whole_number(value: Any) -> int | None:
    """`value` as an int when it is a whole number (int, or an integral float); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _score(value: Any, low: int, high: int, provider: str | None, name: str, codes: tuple[str, str]) -> tuple:
    """(value, problem) for a number that must lie in low..high."""
    number = _whole_number(value)
    if number is None:
        return None, Problem(codes[0], provider, name)
    if not low <= number <= high:
        return None, Problem(codes[1], provider, name)
    return number, None


def _rating(survey: Survey, provider: str, frequency: str, raw: Any, problems: list[Problem]) -> ProviderRating:
    raw = raw if isinstance(raw, Mapping) else {}
    items_raw = raw.get("items") or {}
    answers: dict[str, int | None] = {}
    if not isinstance(items_raw, Mapping):
        problems.append(Problem("malformed", provider, "items"))
        items_raw = {}
    known_items = set(survey.item_ids)
    for item_id, value in items_raw.items():
        if item_id not in known_items:
            problems.append(Problem("unknown_item", provider, str(item_id)))
        elif value is None:
            continue
        elif value == NOT_APPLICABLE:
            answers[item_id] = None
        else:
            number, problem = _score(
                value,
                survey.likert_min,
                survey.likert_max,
                provider,
                item_id,
                ("score_not_number", "score_out_of_range"),
            )
            if problem:
                problems.append(problem)
            else:
                answers[item_id] = number
    recommend = raw.get("recommend")
    if recommend is not None:
        recommend, problem = _score(
            recommend,
            survey.recommend_min,
            survey.recommend_max,
            provider,
            "recommend",
            ("recommend_not_number", "recommend_out_of_range"),
        )
        if problem:
            problems.append(problem)
    comments: dict[str, str] = {}
    comments_raw = raw.get("comments") or {}
    if not isinstance(comments_raw, Mapping):
        problems.append(Problem("malformed", provider, "comments"))
        comments_raw = {}
    limits = {q.id: q.max_length for q in survey.open_questions}
    for question, text in comments_raw.items():
        if question not in limits:
            problems.append(Problem("unknown_question", provider, str(question)))
            continue
        if text is None:
            continue
        if not isinstance(text, str):
            problems.append(Problem("text_not_text", provider, question))
            continue
        normal = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n").strip()
        if _CONTROL.search(normal):
            problems.append(Problem("text_control", provider, question))
            continue
        if len(normal) > limits[question]:
            problems.append(Problem("text_too_long", provider, question, limits[question]))
            continue
        if normal:
            comments[question] = normal
    if not answers and recommend is None and not comments and not any(p.provider == provider for p in problems):
        problems.append(Problem("provider_unanswered", provider))
    return ProviderRating(provider, frequency, answers, recommend, comments)


def validate_submission(
    survey: Survey,
    raw: Mapping[str, Any],
    *,
    rater_dept: str,
    providers: Collection[str],
    self_customers: Collection[str] = (),
    self_assessment: bool = False,
) -> ValidSubmission:
    """Check one submission and return it in validated form.

    Parameters
    ----------
    survey : Survey
        The wave's survey definition (items, scales, text limits, frequency options).
    raw : mapping
        The submission in the draft shape described in the module docstring.
    rater_dept : str
        The respondent's department (from the invitation, never from the form).
    providers : collection of str
        The departments the respondent may rate (active departments other than their own).
    self_customers : collection of str
        The departments the respondent's department serves (the self-assessment asks about these).
    self_assessment : bool
        Whether the wave enables the self-assessment block.

    Raises
    ------
    AnswerError
        Listing every problem: an unknown provider, item or question, a non-numeric or out-of-range
        score, a text over its limit or with control characters, no provider chosen at all, a chosen
        provider with nothing answered, a self-assessment the wave does not ask for.
    """
    problems: list[Problem] = []
    if not isinstance(raw, Mapping):
        raise AnswerError([Problem("malformed")])
    allowed = set(providers) - {rater_dept}
    frequency_ids = {o.id for o in survey.frequency_options}
    frequencies = raw.get("frequency") or {}
    ratings_raw = raw.get("ratings") or {}
    if not isinstance(frequencies, Mapping) or not isinstance(ratings_raw, Mapping):
        raise AnswerError([Problem("malformed")])

    chosen: list[tuple[str, str]] = []
    for provider, frequency in frequencies.items():
        if provider not in allowed:
            problems.append(Problem("unknown_provider", str(provider)))
        elif not isinstance(frequency, str) or frequency not in frequency_ids:  # a list is not hashable
            problems.append(Problem("bad_frequency", provider, "frequency"))
        elif frequency != NEVER:
            chosen.append((provider, frequency))
    for provider in ratings_raw:
        if provider not in allowed and provider not in frequencies:
            problems.append(Problem("unknown_provider", str(provider)))
    # A rating left behind for a department later set to "never" is dropped: the screener decides.
    ratings = tuple(_rating(survey, p, f, ratings_raw.get(p), problems) for p, f in chosen)
    if not chosen and not problems:
        problems.append(Problem("no_provider"))

    selfs: list[tuple[str, str, int]] = []
    self_raw = raw.get("self") or {}
    if not isinstance(self_raw, Mapping):
        problems.append(Problem("malformed", field="self"))
        self_raw = {}
    if self_raw and not self_assessment:
        problems.append(Problem("self_not_enabled"))
        self_raw = {}
    customers = set(self_customers) - {rater_dept}
    dimension_ids = set(survey.dimension_ids)
    for customer, per_dimension in self_raw.items():
        if customer not in customers:
            problems.append(Problem("self_unknown_customer", str(customer)))
            continue
        if not isinstance(per_dimension, Mapping):
            problems.append(Problem("malformed", customer, "self"))
            continue
        for dimension, value in per_dimension.items():
            if dimension not in dimension_ids:
                problems.append(Problem("self_unknown_dimension", customer, str(dimension)))
            elif value is not None:
                number, problem = _score(value, 1, 5, customer, dimension, ("self_out_of_range", "self_out_of_range"))
                if problem:
                    problems.append(problem)
                else:
                    selfs.append((customer, dimension, number))

    if problems:
        raise AnswerError(problems)
    return ValidSubmission(rater_dept, ratings, tuple(sorted(selfs)))

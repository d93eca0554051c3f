"""Survey definitions: the YAML files in `surveys/`, loaded into immutable objects and validated.

A broken definition raises `SurveyDefinitionError` whose message names the file, the item and the
rule broken, for example ``default.yaml: item reliability_9: unknown dimension 'reliabilty'``.
No Streamlit here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SURVEYS_DIR = Path(__file__).resolve().parent
DEFAULT_SURVEY_PATH = SURVEYS_DIR / "default.yaml"
LANGUAGES = ("en", "zh")
FREQUENCIES = ("never", "less_than_monthly", "monthly", "weekly", "daily")
OPEN_QUESTION_IDS = ("change", "need")
_ID = re.compile(r"[a-z][a-z_]*")
_ITEM_ID = re.compile(r"([a-z][a-z_]*)_([0-9]+)")


class SurveyDefinitionError(ValueError):
    """A survey definition breaks a rule; the message names the file, the item and the rule."""


@dataclass(frozen=True)
class Text:
    """A text in every supported language."""

    en: str
    zh: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Item:
    id: str
    dimension: str
    text: Text


@dataclass(frozen=True)
class Dimension:
    id: str
    label: Text
    description: Text
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Option:
    id: str
    label: Text


@dataclass(frozen=True)
class OpenQuestion:
    id: str
    text: Text
    max_length: int


@dataclass(frozen=True)
class Survey:
    """A validated survey definition; `source` is the YAML text it was read from."""

    survey_id: str
    version: int
    title: Text
    intro: Text
    likert_min: int
    likert_max: int
    likert_labels: dict[int, Text]
    not_applicable: Text
    dimensions: tuple[Dimension, ...]
    recommend_text: Text
    recommend_low: Text
    recommend_high: Text
    recommend_min: int
    recommend_max: int
    frequency_text: Text
    frequency_options: tuple[Option, ...]
    open_questions: tuple[OpenQuestion, ...]
    self_assessment_intro: Text
    self_assessment_item: Text
    source: str

    @property
    def survey_version(self) -> str:
        """The key of this definition in the store, e.g. ``icsat-default-v1``."""
        return f"{self.survey_id}-v{self.version}"

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for dim in self.dimensions for item in dim.items)

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)

    @property
    def dimension_ids(self) -> tuple[str, ...]:
        return tuple(dim.id for dim in self.dimensions)

    def dimension(self, dimension_id: str) -> Dimension:
        for dim in self.dimensions:
            if dim.id == dimension_id:
                return dim
        raise KeyError(dimension_id)

    def open_question(self, question_id: str) -> OpenQuestion:
        for question in self.open_questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)


class _Reader:
    """Walks the parsed YAML and raises errors that name the file and the place."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: dict[str, str] = {}  # every id claimed so far -> where

    def claim(self, identifier: str, where: str) -> None:
        """Take `identifier` for `where`; ids are unique across dimensions, items and questions."""
        if identifier in self.seen:
            raise self.fail(where, f"duplicate id '{identifier}' (also used by {self.seen[identifier]})")
        self.seen[identifier] = where

    def fail(self, where: str, rule: str) -> SurveyDefinitionError:
        return SurveyDefinitionError(f"{self.name}: {where}: {rule}")

    def mapping(self, node: Any, where: str) -> dict:
        if not isinstance(node, dict):
            raise self.fail(where, "must be a mapping")
        return node

    def field(self, node: dict, key: str, where: str) -> Any:
        if key not in node or node[key] is None:
            raise self.fail(where, f"missing field '{key}'")
        return node[key]

    def text(self, node: Any, where: str) -> Text:
        node = self.mapping(node, where)
        values = {}
        for lang in LANGUAGES:
            value = node.get(lang)
            if not isinstance(value, str) or not value.strip():
                raise self.fail(where, f"missing translation '{lang}'")
            values[lang] = value.strip()
        extra = set(node) - set(LANGUAGES)
        if extra:
            raise self.fail(where, f"unknown language(s) {sorted(extra)}; expected {list(LANGUAGES)}")
        return Text(**values)

    def integer(self, node: dict, key: str, where: str) -> int:
        value = self.field(node, key, where)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, f"bad scale: '{key}' must be a whole number, got {value!r}")
        return value

    def identifier(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not _ID.fullmatch(value):
            raise self.fail(where, f"bad id {value!r}: lower-case letters and underscores only")
        return value


def parse_survey(source: str, name: str = "<string>") -> Survey:
    """Validate a survey definition given as YAML text and return it as a `Survey`.

    The parts are checked in the order of the file's sections (the first problem found is raised);
    every id must be unique across dimensions, items and questions.

    Raises
    ------
    SurveyDefinitionError
        Naming `name`, the item and the rule: bad YAML, a missing field or translation, a
        duplicate id, a bad scale, an item of an unknown dimension, a bad frequency list.
    """
    r = _Reader(name)
    doc = _document(r, source)
    survey_id, version = _identity(r, doc)
    likert_min, likert_max, likert_labels, not_applicable = _likert_scale(r, doc)
    dimensions = _dimensions(r, doc)
    rec, rec_min, rec_max = _recommend_scale(r, doc)
    freq, options = _frequency(r, doc)
    open_questions = _open_questions(r, doc)
    self_node = r.mapping(r.field(doc, "self_assessment", "top level"), "self_assessment")

    return Survey(
        survey_id=survey_id,
        version=version,
        title=r.text(r.field(doc, "title", "top level"), "title"),
        intro=r.text(r.field(doc, "intro", "top level"), "intro"),
        likert_min=likert_min,
        likert_max=likert_max,
        likert_labels=likert_labels,
        not_applicable=not_applicable,
        dimensions=dimensions,
        recommend_text=r.text(r.field(rec, "text", "recommend"), "recommend"),
        recommend_low=r.text(r.field(rec, "low_label", "recommend"), "recommend.low_label"),
        recommend_high=r.text(r.field(rec, "high_label", "recommend"), "recommend.high_label"),
        recommend_min=rec_min,
        recommend_max=rec_max,
        frequency_text=r.text(r.field(freq, "text", "frequency"), "frequency"),
        frequency_options=options,
        open_questions=open_questions,
        self_assessment_intro=r.text(r.field(self_node, "intro", "self_assessment"), "self_assessment.intro"),
        self_assessment_item=r.text(r.field(self_node, "item", "self_assessment"), "self_assessment.item"),
        source=source,
    )


def _document(r: _Reader, source: str) -> dict:
    """The YAML text as its top-level mapping."""
    try:
        doc = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        raise SurveyDefinitionError(f"{r.name}: not valid YAML: {exc}") from None
    return r.mapping(doc, "top level")


def _identity(r: _Reader, doc: dict) -> tuple[str, int]:
    """(survey_id, version)."""
    survey_id = r.field(doc, "survey_id", "top level")
    if not isinstance(survey_id, str) or not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,40}", survey_id):
        raise r.fail("survey_id", f"bad id {survey_id!r}: lower-case letters, digits and '-'")
    version = r.integer(doc, "version", "top level")
    if version < 1:
        raise r.fail("version", "must be 1 or more")
    return survey_id, version


def _likert_scale(r: _Reader, doc: dict) -> tuple[int, int, dict[int, Text], Text]:
    """(min, max, a label per answer, the "not applicable" label) of the items' 1-5 scale."""
    likert = r.mapping(r.field(doc, "likert", "top level"), "likert")
    likert_min = r.integer(likert, "min", "likert")
    likert_max = r.integer(likert, "max", "likert")
    if (likert_min, likert_max) != (1, 5):
        raise r.fail("likert", f"bad scale {likert_min}-{likert_max}: items are answered 1-5")
    labels_node = r.mapping(r.field(likert, "labels", "likert"), "likert.labels")
    if sorted(labels_node) != list(range(likert_min, likert_max + 1)):
        raise r.fail("likert.labels", "bad scale: needs exactly one label for each of 1, 2, 3, 4, 5")
    likert_labels = {k: r.text(v, f"likert label {k}") for k, v in labels_node.items()}
    not_applicable = r.text(r.field(likert, "not_applicable", "likert"), "likert.not_applicable")
    return likert_min, likert_max, likert_labels, not_applicable


def _dimensions(r: _Reader, doc: dict) -> tuple[Dimension, ...]:
    """The dimensions, each with two or three items whose ids are <dimension>_<n>."""
    dims_node = r.field(doc, "dimensions", "top level")
    if not isinstance(dims_node, list) or not dims_node:
        raise r.fail("dimensions", "must be a non-empty list")
    dimensions = []
    for position, dim_node in enumerate(dims_node, start=1):
        dim_node = r.mapping(dim_node, f"dimension #{position}")
        dim_id = r.identifier(r.field(dim_node, "id", f"dimension #{position}"), f"dimension #{position}")
        where = f"dimension {dim_id}"
        r.claim(dim_id, where)
        items_node = r.field(dim_node, "items", where)
        if not isinstance(items_node, list) or not 2 <= len(items_node) <= 3:
            raise r.fail(where, "needs two or three items")
        items = tuple(_item(r, item_node, dim_id, where) for item_node in items_node)
        dimensions.append(
            Dimension(
                dim_id,
                r.text(r.field(dim_node, "label", where), f"{where} label"),
                r.text(r.field(dim_node, "description", where), f"{where} description"),
                items,
            )
        )
    return tuple(dimensions)


def _item(r: _Reader, item_node: Any, dim_id: str, where: str) -> Item:
    """One item of the dimension `dim_id` (listed at `where`)."""
    item_node = r.mapping(item_node, f"{where} item")
    item_id = r.field(item_node, "id", f"{where} item")
    match = _ITEM_ID.fullmatch(item_id) if isinstance(item_id, str) else None
    if not match:
        raise r.fail(f"item {item_id!r}", "bad id: must be <dimension>_<n>, e.g. reliability_2")
    item_where = f"item {item_id}"
    declared = item_node.get("dimension", match.group(1))
    if match.group(1) != dim_id or declared != dim_id:
        raise r.fail(item_where, f"unknown dimension '{match.group(1)}' (listed under '{dim_id}')")
    r.claim(item_id, item_where)
    return Item(item_id, dim_id, r.text(r.field(item_node, "text", item_where), item_where))


def _recommend_scale(r: _Reader, doc: dict) -> tuple[dict, int, int]:
    """(the recommend question's node, min, max): id 'recommend', scale 0-10."""
    rec = r.mapping(r.field(doc, "recommend", "top level"), "recommend")
    if rec.get("id", "recommend") != "recommend":
        raise r.fail("recommend", "the recommend question's id must be 'recommend'")
    r.claim("recommend", "recommend")
    rec_min, rec_max = r.integer(rec, "min", "recommend"), r.integer(rec, "max", "recommend")
    if (rec_min, rec_max) != (0, 10):
        raise r.fail("recommend", f"bad scale {rec_min}-{rec_max}: the recommend question is 0-10")
    return rec, rec_min, rec_max


def _frequency(r: _Reader, doc: dict) -> tuple[dict, tuple[Option, ...]]:
    """(the frequency question's node, its options): exactly FREQUENCIES, in that order."""
    freq = r.mapping(r.field(doc, "frequency", "top level"), "frequency")
    r.claim("frequency", "frequency")
    options_node = r.field(freq, "options", "frequency")
    if not isinstance(options_node, list):
        raise r.fail("frequency.options", "must be a list")
    options = []
    for opt in options_node:
        opt = r.mapping(opt, "frequency option")
        opt_id = r.identifier(r.field(opt, "id", "frequency option"), "frequency option")
        options.append(
            Option(opt_id, r.text(r.field(opt, "label", f"frequency option {opt_id}"), f"frequency option {opt_id}"))
        )
    if tuple(o.id for o in options) != FREQUENCIES:
        raise r.fail("frequency.options", f"bad scale: the options must be {list(FREQUENCIES)} in this order")
    return freq, tuple(options)


def _open_questions(r: _Reader, doc: dict) -> tuple[OpenQuestion, ...]:
    """The open questions, ids from OPEN_QUESTION_IDS, each with a length limit of 1 to 1000."""
    open_node = r.field(doc, "open_questions", "top level")
    if not isinstance(open_node, list):
        raise r.fail("open_questions", "must be a list")
    open_questions = []
    for q in open_node:
        q = r.mapping(q, "open question")
        q_id = r.field(q, "id", "open question")
        if q_id not in OPEN_QUESTION_IDS:
            raise r.fail(f"open question {q_id!r}", f"unknown id; expected one of {list(OPEN_QUESTION_IDS)}")
        where = f"open question {q_id}"
        r.claim(q_id, where)
        max_length = r.integer(q, "max_length", where)
        if not 1 <= max_length <= 1000:
            raise r.fail(where, "bad scale: max_length must be between 1 and 1000")
        open_questions.append(OpenQuestion(q_id, r.text(r.field(q, "text", where), where), max_length))
    return tuple(open_questions)


def load_survey(path: str | Path = DEFAULT_SURVEY_PATH) -> Survey:
    """Read and validate a survey definition file (see `parse_survey`)."""
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SurveyDefinitionError(f"{path.name}: not UTF-8 text") from None
    except OSError as exc:
        raise SurveyDefinitionError(f"{path.name}: cannot be read: {exc.strerror}") from None
    return parse_survey(source, path.name)

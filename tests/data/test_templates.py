"""The template of each import (docs/examples, downloadable from its page) is what the import accepts."""

import datetime as dt
from pathlib import Path

import pytest

from data.db import Database
from data.invitations import parse_roster_for
from data.org_import import read_organisation
from data.response_import import check_file
from data.uploads import TEMPLATES, template_bytes
from data.waves import create_wave, get_wave

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def test_every_import_has_its_template_and_it_is_the_docs_example():
    assert set(TEMPLATES) == {"departments", "relationships", "roster", "responses"}
    for kind in TEMPLATES:
        assert template_bytes(kind) == (EXAMPLES / f"{kind}.csv").read_bytes()


def test_the_organisation_templates_import_into_an_empty_database(memory_db):
    changes = read_organisation(memory_db, template_bytes("departments"), template_bytes("relationships"))
    assert changes.problems == []
    assert changes.counts["departments_new"] == 4 and changes.counts["relationships_new"] == 4


@pytest.fixture
def demo_db(demo_db_path):
    db = Database(demo_db_path)
    yield db
    db.close()


def test_the_roster_and_responses_templates_pass_their_checks_on_the_demo(demo_db):
    roster, problems = parse_roster_for(demo_db, template_bytes("roster"))
    assert problems == [] and len(roster) > 0
    create_wave(
        demo_db,
        "HIST",
        name_en="History",
        name_zh="历史",
        survey_version=get_wave(demo_db, "2027-Q1").survey_version,
        opens_on=dt.date(2025, 10, 1),
        closes_on=dt.date(2025, 10, 31),
    )
    checked = check_file(demo_db, "HIST", template_bytes("responses"))
    assert checked.problems == [] and checked.rows == 2

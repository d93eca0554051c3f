"""Invitation service: links written, audited and the wave's version bumped; refusals record nothing."""

import pytest

from data.audit import list_events
from data.invitations import parse_roster_for
from data.problems import Refused
from services import invitations, versions


@pytest.fixture
def demo_db(demo_store):
    """The demo organisation, on DuckDB and on PostgreSQL."""
    return demo_store


def test_links_are_created_audited_and_the_wave_bumped(demo_db):
    roster, problems = parse_roster_for(demo_db, b"email,department\na@x,SALES\nb@x,IT\n")
    assert problems == []
    before = versions.data_version("2027-Q1")
    links = invitations.create(demo_db, "boss", "2027-Q1", roster, base_url="https://x.example")
    assert len(links) == 2 and versions.data_version("2027-Q1") != before
    events = list_events(demo_db, actions=["invitations_create"])
    assert (events["actor"].iloc[0], events["target"].iloc[0], events["detail"].iloc[0]) == ("boss", "2027-Q1", "n=2")


def test_a_closed_wave_is_refused_and_nothing_recorded(demo_db):
    roster, _ = parse_roster_for(demo_db, b"email,department\na@x,SALES\n")
    with pytest.raises(Refused) as refused:
        invitations.create(demo_db, "boss", "2026-Q4", roster, base_url="https://x.example")
    assert refused.value.code == "wave_closed"
    assert list_events(demo_db, actions=["invitations_create"]).empty

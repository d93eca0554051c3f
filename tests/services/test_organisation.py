"""Organisation services: import and table edits write, audit and bump the organisation's version."""

import pandas as pd
import pytest

from data.audit import list_events
from data.org import list_departments
from data.org_import import read_organisation
from data.problems import Refused
from services import organisation, versions

DEPARTMENTS = b"code,name_en,name_zh\nA,Alpha,\xe7\x94\xb2\nB,Beta,\xe4\xb9\x99\n"


def test_an_import_writes_audits_and_bumps_the_organisation(store):
    before = versions.data_version("any wave")
    counts = organisation.import_files(store, "boss", read_organisation(store, DEPARTMENTS, None))
    assert counts["departments_new"] == 2 and len(list_departments(store)) == 2
    assert versions.data_version("any wave") != before
    event = list_events(store).iloc[0]
    assert (event["actor"], event["action"]) == ("boss", "org_import")
    assert "departments_new=2" in event["detail"]


def test_changes_with_problems_are_refused_whole(store):
    changes = read_organisation(store, b"code,name_en,name_zh\nA,Alpha,\n", None)
    with pytest.raises(Refused) as refused:
        organisation.import_files(store, "boss", changes)
    assert [p.area for p in refused.value.problems] == ["departments"]
    assert list_departments(store).empty and list_events(store).empty


def test_table_edits_are_recorded_as_org_edit(store):
    organisation.import_files(store, "boss", read_organisation(store, DEPARTMENTS, None))
    table = list_departments(store)[["code", "name_en", "name_zh", "parent_code", "active"]]
    organisation.save_departments(store, "boss", table)
    edges = pd.DataFrame({"customer_dept": ["A"], "provider_dept": ["B"], "type": ["process"]})
    assert organisation.save_relationships(store, "boss", edges)["relationships_new"] == 1
    events = list_events(store)
    assert list(zip(events["action"], events["target"], strict=True))[:2] == [
        ("org_edit", "relationships"),
        ("org_edit", "departments"),
    ]

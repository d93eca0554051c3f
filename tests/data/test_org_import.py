"""Organisation import: every bad input gets a row-level problem and nothing is written; encodings."""

import pandas as pd
import pytest

from data.org import list_departments, list_relationships
from data.org_import import (
    check_department_table,
    check_relationship_table,
    read_organisation,
    replace_relationships,
    write_organisation,
)

DEPARTMENTS = """code,name_en,name_zh,parent_code
HQ,Head Office,总部,
SALES,Sales,销售部,HQ
PROD,Production,生产部,HQ
IT,IT,信息技术部,HQ
"""
RELATIONSHIPS = """customer_dept,provider_dept,type
SALES,PROD,process
PROD,IT,functional
HQ,SALES,hierarchical
SALES,IT,跨部门流程客户
"""


def _codes(changes) -> list[tuple[str, int | None]]:
    return [(p.code, p.row) for p in changes.problems]


def _stored(db) -> tuple[int, int]:
    return len(list_departments(db)), len(list_relationships(db))


def test_a_good_organisation_is_previewed_then_written(store):
    changes = read_organisation(store, DEPARTMENTS.encode(), RELATIONSHIPS.encode())
    assert changes.ok, changes.problems
    assert changes.counts["departments_new"] == 4 and changes.counts["relationships_new"] == 4
    assert _stored(store) == (0, 0)  # reading writes nothing
    write_organisation(store, changes)
    assert _stored(store) == (4, 4)
    types = dict(zip(list_relationships(store)["provider_dept"], list_relationships(store)["type"], strict=False))
    assert types["IT"] in {"functional", "cross_functional"}
    assert "cross_functional" in set(list_relationships(store)["type"])  # the Chinese term was understood


@pytest.mark.parametrize(
    "encoding",
    ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"],
)
def test_files_saved_by_excel_in_any_of_its_encodings_are_read(store, encoding):
    changes = read_organisation(store, DEPARTMENTS.encode(encoding), RELATIONSHIPS.encode(encoding))
    assert changes.ok, changes.problems
    assert "生产部" in set(changes.departments["name_zh"])
    assert changes.departments["code"].iloc[0] == "HQ"  # a BOM does not stick to the first header


def test_semicolon_separated_files_are_read(store):
    changes = read_organisation(store, DEPARTMENTS.replace(",", ";").encode(), None)
    assert changes.ok and len(changes.departments) == 4


def test_a_workbook_or_undecodable_file_is_named_as_such(store):
    assert _codes(read_organisation(store, b"PK\x03\x04rest of an xlsx", None)) == [("workbook", None)]
    assert _codes(read_organisation(store, b"\x81\x30\xff\xfe\xfd", None)) == [("bad_encoding", None)]


def test_an_empty_file_and_a_header_only_file(store):
    assert _codes(read_organisation(store, b"", None)) == [("empty_file", None)]
    assert _codes(read_organisation(store, b"\xef\xbb\xbf\r\n", None)) == [("empty_file", None)]
    assert _codes(read_organisation(store, b"code,name_en,name_zh\n", None)) == [("no_rows", None)]
    # separators and blanks only: no header at all (found by the hostile-input property test)
    for raw in (b";", b",,,\n", b" ; \r\n\t\n"):
        assert _codes(read_organisation(store, raw, None)) == [("empty_file", None)], raw


def test_missing_columns_are_named(store):
    changes = read_organisation(store, b"code,name_en\nHQ,Head Office\n", b"customer_dept,provider_dept\nA,B\n")
    assert [(p.code, p.values) for p in changes.problems] == [
        ("missing_columns", {"columns": "name_zh"}),
        ("missing_columns", {"columns": "type"}),
    ]


def test_duplicates_own_parent_and_unknown_parent_are_refused_with_their_rows(store):
    bad = DEPARTMENTS + "SALES,Sales again,销售部,HQ\nQA,Quality,质量部,QA\nHR,HR,人力资源部,NOPE\nbad code,X,X,\n"
    changes = read_organisation(store, bad.encode(), None)
    # rows: header 1, four good rows 2-5, then 6 (duplicate), 7 (own parent), 8 (unknown parent), 9 (bad code)
    assert _codes(changes) == [("duplicate_code", 6), ("own_parent", 7), ("unknown_parent", 8), ("bad_code", 9)]
    assert changes.problems[0].values == {"code": "SALES", "first": 3}
    with pytest.raises(ValueError):
        write_organisation(store, changes)
    assert _stored(store) == (0, 0)


def test_a_cycle_in_the_parent_tree_is_refused(store):
    cyclic = "code,name_en,name_zh,parent_code\nA,A,甲,C\nB,B,乙,A\nC,C,丙,B\nD,D,丁,\n"
    changes = read_organisation(store, cyclic.encode(), None)
    assert _codes(changes) == [("cycle", 2)]
    assert changes.problems[0].values == {"codes": "A → C → B → A"}


def test_a_cycle_through_a_stored_department_is_found(store):
    write_organisation(store, read_organisation(store, DEPARTMENTS.encode(), None))
    # HQ is stored without a parent; making it a child of SALES (whose parent is HQ) closes a loop
    changes = read_organisation(
        store, b"code,name_en,name_zh,parent_code\nHQ,Head Office,\xe6\x80\xbb\xe9\x83\xa8,SALES\n", None
    )
    assert _codes(changes) == [("cycle", 2)]


def test_bad_relationships_unknown_codes_serving_itself_wrong_type_duplicates(store):
    bad = RELATIONSHIPS + "SALES,SALES,process\nSALES,NOPE,process\nIT,SALES,friendly\nSALES,PROD,functional\n"
    changes = read_organisation(store, DEPARTMENTS.encode(), bad.encode())
    assert _codes(changes) == [
        ("serves_itself", 6),
        ("unknown_code", 7),
        ("bad_type", 8),
        ("duplicate_pair", 9),
    ]
    with pytest.raises(ValueError):
        write_organisation(store, changes)
    assert _stored(store) == (0, 0)  # the good departments file is not written alone either


def test_relationships_may_refer_to_stored_departments(store):
    write_organisation(store, read_organisation(store, DEPARTMENTS.encode(), None))
    changes = read_organisation(store, None, RELATIONSHIPS.encode())
    assert changes.ok
    write_organisation(store, changes)
    assert _stored(store) == (4, 4)


def test_a_second_import_updates_names_and_types_and_counts_the_changes(store):
    write_organisation(store, read_organisation(store, DEPARTMENTS.encode(), RELATIONSHIPS.encode()))
    renamed = DEPARTMENTS.replace("Sales,销售部", "Sales and Marketing,销售市场部")
    retyped = RELATIONSHIPS.replace("SALES,PROD,process", "SALES,PROD,functional")
    changes = read_organisation(store, renamed.encode(), retyped.encode())
    assert changes.counts == {
        "departments_new": 0,
        "departments_changed": 1,
        "departments_unchanged": 3,
        "relationships_new": 0,
        "relationships_changed": 1,
        "relationships_unchanged": 3,
    }
    write_organisation(store, changes)
    names = dict(zip(list_departments(store)["code"], list_departments(store)["name_zh"], strict=True))
    assert names["SALES"] == "销售市场部"


def test_a_department_with_responses_can_be_renamed_and_deactivated(demo_db_path):
    # The schema has no CHECK naming the department key for this: DuckDB refuses such updates otherwise.
    from data.db import Database

    db = Database(demo_db_path)
    table = list_departments(db)
    table.loc[table["code"] == "LEGAL", ["name_en", "active"]] = ["Legal Affairs", False]
    changes = check_department_table(db, table)
    assert changes.ok and changes.counts["departments_changed"] == 1
    write_organisation(db, changes)
    legal = list_departments(db).set_index("code").loc["LEGAL"]
    assert legal["name_en"] == "Legal Affairs" and not legal["active"]
    db.close()


def test_the_department_table_refuses_deleted_rows_and_own_parents(demo_db_path):
    from data.db import Database

    db = Database(demo_db_path)
    table = list_departments(db)
    changes = check_department_table(db, table[table["code"] != "LEGAL"])
    assert [(p.code, p.values) for p in changes.problems] == [("removed_department", {"codes": "LEGAL"})]
    table.loc[table["code"] == "HR", "parent_code"] = "HR"
    assert ("own_parent", "HR") in [(p.code, p.values.get("code")) for p in check_department_table(db, table).problems]
    db.close()


def test_the_relationship_table_replaces_the_stored_set(store):
    write_organisation(store, read_organisation(store, DEPARTMENTS.encode(), RELATIONSHIPS.encode()))
    edited = pd.concat(
        [
            list_relationships(store).iloc[1:],
            pd.DataFrame([{"customer_dept": "IT", "provider_dept": "HQ", "type": "hierarchical"}]),
        ]
    )
    changes = check_relationship_table(store, edited)
    assert changes.ok and changes.counts["relationships_removed"] == 1 and changes.counts["relationships_new"] == 1
    replace_relationships(store, changes)
    assert len(list_relationships(store)) == 4
    bad = pd.concat([edited, pd.DataFrame([{"customer_dept": "IT", "provider_dept": "IT", "type": "process"}])])
    assert [p.code for p in check_relationship_table(store, bad).problems] == ["serves_itself"]


def test_a_file_the_csv_reader_cannot_parse_is_a_problem_not_an_exception(store):
    # Found by tests/stress/test_hostile_input.py (hypothesis): a lone carriage return and a control
    # character made csv.reader raise "new-line character seen in unquoted field".
    # (A control character is now refused before the CSV reader, as bad_encoding: data/uploads.py.)
    assert [p.code for p in read_organisation(store, b"\r\x01", None).problems] == ["bad_encoding"]
    changes = read_organisation(store, b"code,name\nA\rB,x\n", None)
    assert [p.code for p in changes.problems] == ["not_csv"]


@pytest.mark.parametrize("control", ["\u202e", "\u2066", "\u200f", "\u061c"])
def test_names_with_bidi_control_characters_are_refused(store, control):
    # "\u202e" (right-to-left override) makes "Sales\u202eytiruceS" read as "SalesSecurity" backwards:
    # a name that shows something other than what it is, in every table, chart and export.
    bad = DEPARTMENTS.replace("Sales,", f"Sales{control}ytiruceS,")
    changes = read_organisation(store, bad.encode(), None)
    assert _codes(changes) == [("bidi_control", 3)]
    edited = pd.DataFrame(
        {
            "code": ["HQ"],
            "name_en": ["Head Office"],
            "name_zh": [f"总部{control}"],
            "parent_code": [None],
            "active": [True],
        }
    )
    assert [p.code for p in check_department_table(store, edited).problems] == ["bidi_control"]
    assert _stored(store) == (0, 0)

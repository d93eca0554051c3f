"""AppTest of the Organisation page: upload, preview, import, problems, editing the tables."""

from data.audit import list_events
from data.db import Database
from data.org import list_departments, list_relationships
from tests.conftest import assert_serialisable_state, run_page

PAGE = "views/admin_org.py"
DEPARTMENTS = "code,name_en,name_zh,parent_code\nHQ,Head Office,总部,\nSALES,Sales,销售部,HQ\nIT,IT,信息技术部,HQ\n"
RELATIONSHIPS = "customer_dept,provider_dept,type\nSALES,IT,功能客户\nIT,SALES,process\n"


def _problems(at) -> list[str]:
    """The sentences of the problems table (the one table with a single, unnamed column)."""
    tables = [d.value for d in at.dataframe if list(d.value.columns) == [""]]
    assert len(tables) == 1
    return list(tables[0].iloc[:, 0])


def _stored(db_path) -> tuple[int, int, list[str]]:
    db = Database(db_path)
    counts = len(list_departments(db)), len(list_relationships(db))
    actions = list(list_events(db)["action"])
    db.close()
    return (*counts, actions)


def test_an_empty_organisation_is_imported_from_excel_gbk_files_after_a_preview(empty_db_path):
    at = run_page(PAGE, empty_db_path, role="admin")
    assert "No departments yet" in at.info[0].value
    at.file_uploader[0].upload("departments.csv", DEPARTMENTS.encode("gbk"), "text/csv")
    at.file_uploader[1].upload("relationships.csv", RELATIONSHIPS.encode("utf-8-sig"), "text/csv")
    at.run()
    assert not at.exception
    assert "3 new and 0 changed departments" in at.info[-1].value
    assert _stored(empty_db_path)[:2] == (0, 0)  # the preview wrote nothing
    at.button(key="admin_org.import").click().run()
    assert not at.exception
    assert "Imported: 3 new" in at.success[0].value
    assert _stored(empty_db_path) == (3, 2, ["org_import"])
    assert_serialisable_state(at)


def test_bad_files_show_every_problem_with_its_line_and_write_nothing(empty_db_path):
    bad = DEPARTMENTS + "SALES,Sales again,销售部,HQ\nQA,Quality,质量部,QA\n"
    at = run_page(PAGE, empty_db_path, role="admin")
    at.file_uploader[0].upload("departments.csv", bad.encode(), "text/csv")
    at.file_uploader[1].upload("relationships.csv", b"customer_dept,provider_dept,type\nIT,IT,process\n", "text/csv")
    at.run()
    assert "Nothing was written" in at.error[0].value
    assert _problems(at) == [
        "Departments file, line 5: SALES appears twice (first on line 3).",
        "Departments file, line 6: QA cannot be its own parent.",
        "Relationships file, line 2: IT cannot be its own customer.",
    ]
    assert "admin_org.import" not in [b.key for b in at.button]  # no import button while problems remain
    assert _stored(empty_db_path) == (0, 0, [])


def test_problems_are_explained_in_chinese(empty_db_path):
    at = run_page(PAGE, empty_db_path, role="admin", lang="zh")
    at.file_uploader[0].upload("org.xlsx", b"PK\x03\x04 a workbook", "application/octet-stream")
    at.run()
    assert "未写入任何内容" in at.error[0].value
    assert "Excel工作簿" in _problems(at)[0]


def test_editing_a_department_in_the_table_saves_it(demo_db_path):
    at = run_page(PAGE, demo_db_path, role="admin")
    table = at.data_editor[0].value
    legal = int(table.index[table["code"] == "LEGAL"][0])
    at.session_state["admin_org.dep_editor"] = {
        "edited_rows": {legal: {"name_en": "Legal Affairs", "active": False}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.button(key="admin_org.save_departments").click().run()
    assert not at.exception
    assert at.success[0].value == "Saved."
    db = Database(demo_db_path)
    legal_row = list_departments(db).set_index("code").loc["LEGAL"]
    assert legal_row["name_en"] == "Legal Affairs" and not legal_row["active"]
    assert list(list_events(db)["action"]) == ["org_edit"]
    db.close()


def test_deleting_a_department_row_is_refused(demo_db_path):
    at = run_page(PAGE, demo_db_path, role="admin")
    at.session_state["admin_org.dep_editor"] = {"edited_rows": {}, "added_rows": [], "deleted_rows": [0]}
    at.run()
    at.button(key="admin_org.save_departments").click().run()
    assert "cannot be deleted" in _problems(at)[0]
    db = Database(demo_db_path)
    assert len(list_departments(db)) == 13
    db.close()


def test_a_windows_1252_file_is_refused_in_chinese_then_previewed_with_its_encoding_and_imported(empty_db_path):
    from pathlib import Path

    raw = (Path(__file__).resolve().parents[1] / "fixtures" / "encodings" / "western_cp1252.csv").read_bytes()
    at = run_page(PAGE, empty_db_path, role="admin", lang="zh")
    at.file_uploader[0].upload("departments.csv", raw, "text/csv")
    at.run()
    problem = _problems(at)[0]
    assert "第 2 行" in problem and "F鰎s鋖jning" in problem and "CSV UTF-8" in problem
    assert "admin_org.import" not in [b.key for b in at.button]
    encoding = at.selectbox(key="admin_org.encoding")
    assert encoding.options[0] == "自动识别"  # detect, the default
    encoding.select_index(encoding.options.index("Windows-1252")).run()
    assert not at.exception
    # the rows as they will be stored
    preview = next(d.value for d in at.dataframe if "英文名称" in d.value.columns and "编码" in d.value.columns)
    assert list(preview["英文名称"]) == ["Försäljning Nord", "Personalabteilung Süd", "Jörg Müller Team"]
    assert list(preview["上级部门"]) == ["", "", ""]  # no parent: an empty cell
    assert _stored(empty_db_path)[:2] == (0, 0)  # nothing written before the person confirms
    at.button(key="admin_org.import").click().run()
    assert _stored(empty_db_path) == (3, 0, ["org_import"])
    db = Database(empty_db_path)
    assert "Försäljning Nord" in set(list_departments(db)["name_en"])
    db.close()


def test_the_templates_are_offered_for_download(empty_db_path):
    at = run_page(PAGE, empty_db_path, role="admin")
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download the template (departments.csv)", "Download the template (relationships.csv)"]

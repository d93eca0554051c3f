"""AppTest of the Users page: add, refuse bad accounts, change role, disable, demo warning."""

from data.audit import list_events
from data.db import Database
from data.users import ensure_demo_users, get_user, verify
from tests.conftest import add_test_user, run_page

PAGE = "views/admin_users.py"


def _add(at, username: str, password: str, role_index: int = 0):
    inputs = {t.label: t for t in at.text_input}
    inputs["Username"].input(username)
    inputs["Full name"].input("Wang Fang")
    inputs["Password (at least 10 characters; leave empty for single sign-on only)"].input(password)
    return at.button(key="FormSubmitter:admin_users.add-Add user").click().run()


def _db_state(db_path, username):
    db = Database(db_path)
    user = get_user(db, username)
    actions = list(list_events(db)["action"])
    db.close()
    return user, actions


def test_an_admin_adds_a_user_who_can_then_sign_in(empty_db_path):
    add_test_user(empty_db_path, "boss", "admin")
    at = run_page(PAGE, empty_db_path, role="admin")
    at = _add(at, "wang.fang", "a long enough secret")
    assert not at.exception
    assert at.success[0].value == "User wang.fang added."
    user, actions = _db_state(empty_db_path, "wang.fang")
    assert user["display_name"] == "Wang Fang" and user["role"] == "leader" and user["active"]
    assert actions == ["user_add"]
    db = Database(empty_db_path)
    assert verify(db, "wang.fang", "a long enough secret").status == "ok"
    db.close()


def test_a_short_password_is_refused_with_the_reason(empty_db_path):
    add_test_user(empty_db_path, "boss", "admin")
    at = _add(run_page(PAGE, empty_db_path, role="admin"), "wang.fang", "short")
    assert at.error[0].value == "The password must have at least 10 characters."
    assert _db_state(empty_db_path, "wang.fang") == (None, [])


def test_change_role_and_disable(empty_db_path):
    add_test_user(empty_db_path, "boss", "admin")
    add_test_user(empty_db_path, "li.na", "leader")
    at = run_page(PAGE, empty_db_path, role="admin")
    at.selectbox(key="admin_users.chosen").select("li.na").run()
    at.selectbox(key="admin_users.new_role").select("analyst").run()
    at.button(key="admin_users.set_role").click().run()
    assert at.success[0].value == "Saved."
    at.selectbox(key="admin_users.chosen").select("li.na").run()
    at.button(key="admin_users.toggle").click().run()
    user, actions = _db_state(empty_db_path, "li.na")
    assert user["role"] == "analyst" and not user["active"]
    assert actions == ["user_disable", "user_set_role"]


def test_the_last_admin_cannot_disable_themself(empty_db_path):
    add_test_user(empty_db_path, "boss", "admin")
    at = run_page(PAGE, empty_db_path, role="admin")
    at.selectbox(key="admin_users.chosen").select("boss").run()
    at.button(key="admin_users.toggle").click().run()
    assert "last active administrator" in at.error[0].value
    assert _db_state(empty_db_path, "boss")[0]["active"]


def test_active_demo_accounts_are_pointed_out(empty_db_path):
    db = Database(empty_db_path)
    ensure_demo_users(db)
    db.close()
    at = run_page(PAGE, empty_db_path, role="admin", lang="zh")
    assert "demo-admin" in at.warning[0].value and "演示账户" in at.warning[0].value
    assert list(at.dataframe[0].value.columns)[:4] == ["用户名", "姓名", "邮箱", "角色"]
    assert "password_hash" not in " ".join(at.dataframe[0].value.columns)


# ---- department scope (issue 20: a department head's view)


def _scope_events(db_path) -> list[tuple]:
    db = Database(db_path)
    frame = list_events(db)
    db.close()
    frame = frame[frame["action"] == "user_set_scope"]
    return list(zip(frame["target"], frame["detail"], strict=True))[::-1]


def _scope_of(db_path, username) -> tuple:
    from data.users import user_departments

    db = Database(db_path)
    try:
        return user_departments(db, username)
    finally:
        db.close()


def test_an_admin_limits_a_leader_to_departments_and_clears_it(demo_db_path):
    add_test_user(demo_db_path, "boss", "admin")
    add_test_user(demo_db_path, "li.na", "leader")
    at = run_page(PAGE, demo_db_path, role="admin")
    at.selectbox(key="admin_users.chosen").select("li.na").run()
    at.multiselect(key="admin_users.scope.li.na.").select("QA").select("RND").run()
    at.button(key="admin_users.set_scope").click().run()
    assert not at.exception and at.success[0].value == "Saved."
    assert _scope_of(demo_db_path, "li.na") == ("QA", "RND")
    table = at.dataframe[0].value.set_index("Username")
    assert table.loc["li.na", "Departments"] == "QA, RND"
    assert table.loc["boss", "Departments"] == "whole organisation"
    at.selectbox(key="admin_users.chosen").select("li.na").run()
    assert at.multiselect(key="admin_users.scope.li.na.QA-RND").value == ["QA", "RND"]
    at.button(key="admin_users.clear_scope").click().run()
    assert at.success[0].value == "Saved."
    assert _scope_of(demo_db_path, "li.na") == ()
    assert _scope_events(demo_db_path) == [("li.na", "QA, RND"), ("li.na", "none")]


def test_an_empty_choice_of_departments_is_refused_in_the_admin_s_language(demo_db_path):
    add_test_user(demo_db_path, "boss", "admin")
    add_test_user(demo_db_path, "li.na", "leader")
    for lang, message in (
        ("en", "Choose at least one department. To let li.na see the whole organisation, clear the departments."),
        ("zh", "请至少选择一个部门。若要让 li.na 查看整个组织，请清除部门限定。"),
    ):
        at = run_page(PAGE, demo_db_path, role="admin")
        at.selectbox(key="admin_users.chosen").select("li.na").run()
        # the language is switched before the click: AppTest words a widget's options with its
        # format function outside the run, i.e. in English, and would not find a Chinese role
        at.session_state["lang"] = lang
        at.button(key="admin_users.set_scope").click().run()
        assert [e.value for e in at.error] == [message]
    assert _scope_of(demo_db_path, "li.na") == () and _scope_events(demo_db_path) == []


def test_only_a_leader_can_be_limited_to_departments(demo_db_path):
    add_test_user(demo_db_path, "boss", "admin")
    at = run_page(PAGE, demo_db_path, role="admin")
    at.selectbox(key="admin_users.chosen").select("boss").run()
    at.multiselect(key="admin_users.scope.boss.").select("QA").run()
    at.session_state["lang"] = "zh"  # see the test above
    at.button(key="admin_users.set_scope").click().run()
    assert [e.value for e in at.error] == ["只有领导角色可以限定部门：boss 不是领导。"]
    assert _scope_of(demo_db_path, "boss") == ()

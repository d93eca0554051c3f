"""Organisation: import departments and relationships from CSV (preview, row-level problems, all or
nothing) and edit them in tables."""

import streamlit as st

from data.org import RELATIONSHIP_TYPES, list_relationships
from data.org_import import read_organisation
from data.problems import Refused
from services import organisation
from ui.access import ADMIN_ROLES, require_role
from ui.admin import ORG_PREVIEW, PREVIEW_ROWS, preview_frame
from ui.frame import db, lang, t
from ui.problems import show_problems
from ui.results import departments
from ui.widgets import encoding_select, template_download

user = require_role(*ADMIN_ROLES)
st.title(t("admin_org_title"))
st.caption(t("admin_org_intro"))

notice = st.session_state.pop("admin_org.notice", None)
if notice:
    st.success(notice)

stored = departments()
relationships = list_relationships(db())
if stored.empty:
    st.info(t("admin_org_empty"))
else:
    st.write(
        t(
            "admin_org_counts",
            departments=len(stored),
            active=int(stored["active"].sum()),
            relationships=len(relationships),
        )
    )


def _show_problems(problems: list) -> None:
    show_problems(problems, lang(), intro=t("admin_fix_and_retry"))


def _saved(message: str) -> None:
    st.session_state["admin_org.notice"] = message
    st.rerun()


tab_import, tab_departments, tab_relationships = st.tabs(
    [t("admin_org_tab_import"), t("admin_org_tab_departments"), t("admin_org_tab_relationships")]
)

with tab_import:
    st.caption(t("admin_org_import_help"))
    # A new key after each import empties the uploaders, so the same files are not imported twice.
    round_ = st.session_state.get("admin_org.round", 0)
    left, right = st.columns(2)
    with left:
        template_download("departments", "admin_org.template_departments")
    with right:
        template_download("relationships", "admin_org.template_relationships")
    dep_file = st.file_uploader(
        t("admin_org_departments_file"), type=["csv", "txt", "tsv", "xlsx", "xls"], key=f"admin_org.dep_file_{round_}"
    )
    rel_file = st.file_uploader(
        t("admin_org_relationships_file"), type=["csv", "txt", "tsv", "xlsx", "xls"], key=f"admin_org.rel_file_{round_}"
    )
    encoding = encoding_select("admin_org.encoding")
    if dep_file is not None or rel_file is not None:
        with st.status(t("admin_org_checking"), expanded=False) as status:
            changes = read_organisation(
                db(),
                dep_file.getvalue() if dep_file is not None else None,
                rel_file.getvalue() if rel_file is not None else None,
                encoding=encoding,
            )
            for file, encoding in changes.encodings.items():
                st.write(t("admin_org_encoding", file=t(f"admin_org_file_{file}"), encoding=encoding))
            status.update(label=t("admin_org_checked"), state="complete" if changes.ok else "error")
        if not changes.ok:
            _show_problems(changes.problems)
        else:
            st.info(t("admin_org_preview", **changes.counts))
            # the first rows of each file as they will be stored, before anything is written
            for file, frame in (("departments", changes.departments), ("relationships", changes.relationships)):
                if not frame.empty:
                    st.caption(
                        t(f"admin_org_file_{file}")
                        + " · "
                        + t("admin_preview_caption", shown=min(len(frame), PREVIEW_ROWS), n=len(frame))
                    )
                    st.dataframe(
                        preview_frame(frame, ORG_PREVIEW[file], PREVIEW_ROWS, lang()),
                        hide_index=True,
                        width="stretch",
                        key=f"admin_org.preview_{file}",
                    )
            if st.button(t("admin_org_import_button"), type="primary", key="admin_org.import"):
                with st.status(t("admin_org_importing")) as status:
                    counts = organisation.import_files(db(), user["username"], changes)
                    status.update(state="complete")
                st.session_state["admin_org.round"] = round_ + 1
                _saved(t("admin_org_imported", **counts))

codes = list(stored["code"])
with tab_departments:
    st.caption(t("admin_org_edit_help"))
    edited = st.data_editor(
        stored[["code", "name_en", "name_zh", "parent_code", "active"]],
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        key="admin_org.dep_editor",
        column_config={
            "code": st.column_config.TextColumn(t("admin_col_code"), max_chars=16, required=True),
            "name_en": st.column_config.TextColumn(t("admin_col_name_en"), max_chars=80, required=True),
            "name_zh": st.column_config.TextColumn(t("admin_col_name_zh"), max_chars=80, required=True),
            "parent_code": st.column_config.SelectboxColumn(t("admin_col_parent"), options=codes),
            "active": st.column_config.CheckboxColumn(t("admin_col_active"), default=True),
        },
    )
    if st.button(t("admin_org_save_departments"), key="admin_org.save_departments"):
        try:
            organisation.save_departments(db(), user["username"], edited)
        except Refused as refused:
            _show_problems(refused.problems)
        else:
            _saved(t("admin_saved"))

with tab_relationships:
    st.caption(t("admin_org_edit_rel_help"))
    edited_rel = st.data_editor(
        relationships,
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        key="admin_org.rel_editor",
        column_config={
            "customer_dept": st.column_config.SelectboxColumn(t("admin_col_customer"), options=codes, required=True),
            "provider_dept": st.column_config.SelectboxColumn(t("admin_col_provider"), options=codes, required=True),
            "type": st.column_config.SelectboxColumn(
                t("admin_col_type"),
                options=list(RELATIONSHIP_TYPES),
                format_func=lambda value: t(f"rel_type_{value}"),
                required=True,
            ),
        },
    )
    if st.button(t("admin_org_save_relationships"), key="admin_org.save_relationships"):
        try:
            counts = organisation.save_relationships(db(), user["username"], edited_rel)
        except Refused as refused:
            _show_problems(refused.problems)
        else:
            _saved(t("admin_saved") + " " + t("admin_org_rel_removed", n=counts["relationships_removed"]))

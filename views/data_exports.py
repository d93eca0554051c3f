"""Data & exports: privacy-safe downloads of a wave, the codebook, and (admins) the historical import."""

import functools

import duckdb
import pandas as pd
import streamlit as st

from data.org import RELATIONSHIP_TYPES
from data.response_import import check_file
from data.waves import Wave
from report.exports import (
    ALL_TABLES,
    EXCEL_MAX_ROWS,
    EXPORT_TABLES,
    FORMATS,
    MEDIA_TYPES,
    aggregate_tables,
    export_bytes,
    export_file_name,
    responses_shown,
    wave_codebook,
)
from services import imports
from services.versions import data_version
from texts import describe
from ui import context
from ui.access import EXPORT_ROLES, require_role
from ui.frame import db, lang, t
from ui.results import RESULTS_TTL, wave_report, waves, waves_with_responses
from ui.widgets import encoding_select, template_download

ALL_TYPES = "all"


def _tables(wave_id: str, relationship_type: str | None) -> dict[str, pd.DataFrame]:
    # the report the dashboards cache (ui/results.py), not a second copy of it
    report = wave_report(wave_id, relationship_type)
    return {**aggregate_tables(report), "codebook": wave_codebook(db(), wave_id, report)}


def _responses_rows(wave_id: str, relationship_type: str | None) -> int:
    return _cached_responses_rows(wave_id, relationship_type, data_version(wave_id))


# Cached like ui/results.py, keyed by the wave's data version: read once per wave and filter, not
# on every widget change.
@st.cache_data(ttl=RESULTS_TTL, show_spinner=False)
def _cached_responses_rows(wave_id: str, relationship_type: str | None, version: tuple[int, int]) -> int:
    shown = responses_shown(db(), wave_id, relationship_type)
    return int(shown["n_responses"].sum()) if len(shown) else 0


def _choice(widget, label: str, options: list, format_func, name: str, **kwargs):
    """A select or radio whose choice survives a change of language.

    Streamlit matches a kept choice by its shown label, which changes with the language, so the
    widget key carries the language and the choice itself is kept under `exports.<name>`.
    """
    kept = st.session_state.get(f"exports.{name}")
    index = options.index(kept) if kept in options else 0
    value = widget(
        label, options=options, index=index, format_func=format_func, key=f"exports.{name}.{lang()}", **kwargs
    )
    st.session_state[f"exports.{name}"] = value
    return value


def _export_section(user: dict, wave_by_id: dict[str, Wave], with_data: list[str], chosen: context.Context) -> None:
    # the session's survey context (ui/context.py) chooses the wave and type; a choice here changes it
    offered = list(reversed(with_data))
    asked = {
        "wave": chosen.wave_id if chosen.wave_id in offered else offered[0],
        "relationship_type": chosen.relationship_type or ALL_TYPES,
    }
    st.session_state["exports.wave"], st.session_state["exports.relationship_type"] = asked.values()
    left, middle = st.columns(2)
    wave_id = _choice(left.selectbox, t("exports_wave"), offered, lambda w: wave_by_id[w].name(lang()), "wave")
    if wave_id != asked["wave"]:
        context.change("wave", wave_id)
    chosen_type = _choice(
        middle.selectbox,
        t("exports_relationship_type"),
        [ALL_TYPES, *RELATIONSHIP_TYPES],
        lambda v: t("exports_relationship_all") if v == ALL_TYPES else t(f"exports_type_{v}"),
        "relationship_type",
    )
    relationship_type = None if chosen_type == ALL_TYPES else chosen_type
    if chosen_type != asked["relationship_type"]:
        context.change("type", relationship_type)
    left, middle = st.columns(2)
    table = _choice(
        left.selectbox, t("exports_table"), [*EXPORT_TABLES, ALL_TABLES], lambda v: t(f"exports_table_{v}"), "table"
    )
    formats = ["xlsx"] if table == ALL_TABLES else list(FORMATS)
    fmt = _choice(
        middle.radio, t("exports_format"), formats, lambda v: t(f"exports_format_{v}"), "format", horizontal=True
    )
    wave = wave_by_id[wave_id]
    st.caption(t("exports_safety", k=wave.k_min, k_comments=wave.k_comments))

    tables = _tables(wave_id, relationship_type)
    if table == "responses":
        rows = _responses_rows(wave_id, relationship_type)
    elif table == ALL_TABLES:
        rows = _responses_rows(wave_id, relationship_type)
    else:
        rows = len(tables[table])
    if table in tables:
        st.caption(t("exports_rows", table=t(f"exports_table_{table}"), rows=f"{rows:,}"))
        with st.expander(t("exports_preview")):
            st.dataframe(tables[table].head(50), hide_index=True, key="exports.preview")
    else:
        st.caption(t("exports_rows", table=t("exports_table_responses"), rows=f"{rows:,}"))

    if fmt == "xlsx" and table in ("responses", ALL_TABLES) and rows + 1 > EXCEL_MAX_ROWS:
        st.warning(t("exports_failed", reason=f"{rows:,} > {EXCEL_MAX_ROWS - 1:,} (Excel)"))
        return
    name = export_file_name(table, wave_id, fmt, relationship_type)
    # The file is made when the button is clicked (deferred), and the export is logged then.
    st.download_button(
        t("exports_download", file=name),
        data=functools.partial(
            export_bytes, db(), table, wave_id, fmt, actor=user["username"], relationship_type=relationship_type
        ),
        file_name=name,
        mime=MEDIA_TYPES[fmt],
        on_click="ignore",
        icon=":material/download:",
        type="primary",
        key="exports.download",
    )

    st.subheader(t("exports_codebook_title"))
    st.caption(t("exports_codebook_caption"))
    codebook = tables["codebook"]
    text_column = "text_zh" if lang() == "zh" else "text_en"
    st.dataframe(
        codebook[["table", "column", text_column, "kind", "scale", "question_id", "dimension"]].fillna(""),
        hide_index=True,
        key="exports.codebook",
    )
    st.download_button(
        t("exports_download_codebook"),
        data=functools.partial(export_bytes, db(), "codebook", wave_id, "csv", actor=user["username"]),
        file_name=export_file_name("codebook", wave_id, "csv"),
        mime=MEDIA_TYPES["csv"],
        on_click="ignore",
        icon=":material/menu_book:",
        key="exports.download_codebook",
    )


def _import_section(user: dict, wave_by_id: dict[str, Wave], with_data: list[str]) -> None:
    st.divider()
    st.subheader(t("exports_import_title"))
    st.caption(t("exports_import_intro"))
    done = st.session_state.pop("exports.import_done", None)
    if done:
        st.success(t("exports_import_done", rows=f"{done['rows']:,}", wave=done["wave"]))
    empty = [w for w in reversed(list(wave_by_id)) if w not in with_data and wave_by_id[w].status != "open"]
    if not empty:
        st.info(t("exports_import_no_wave"))
        return
    wave_id = _choice(
        st.selectbox, t("exports_import_wave"), empty, lambda w: wave_by_id[w].name(lang()), "import_wave"
    )
    # A new key after each import empties the uploader, so the same file is not offered twice.
    nonce = st.session_state.setdefault("exports.import_nonce", 0)
    template_download("responses", "exports.import_template")
    upload = st.file_uploader(t("exports_import_file"), type=["csv"], key=f"exports.import_file.{nonce}")
    encoding = encoding_select("exports.import_encoding")
    if upload is None:
        return
    bar = st.progress(0.0, text=t("exports_import_checking"))
    checked = check_file(db(), wave_id, upload.getvalue(), progress=lambda f, _s: bar.progress(f), encoding=encoding)
    bar.empty()
    if len(checked.preview):
        st.dataframe(checked.preview, hide_index=True, key="exports.import_preview")
    if not checked.ok:
        st.error(t("exports_import_refused"))
        problems = pd.DataFrame(
            {
                t("exports_import_problem_row"): ["" if p.row is None else str(p.row) for p in checked.problems],
                t("exports_import_problem_text"): [describe(p, lang(), with_row=False) for p in checked.problems],
            }
        )
        st.dataframe(problems, hide_index=True, key="exports.import_problems")
        if checked.more_problems:
            st.caption(t("exports_import_more", n=checked.more_problems))
        return
    wave_name = wave_by_id[wave_id].name(lang())
    st.success(t("exports_import_ok_to_import", rows=f"{checked.rows:,}", wave=wave_name))
    if st.button(t("exports_import_button", rows=f"{checked.rows:,}"), type="primary", key="exports.import_go"):
        bar = st.progress(0.0, text=t("exports_import_writing"))
        try:
            written = imports.commit(
                db(),
                user["username"],
                checked,
                source=upload.name,
                progress=lambda f, _s: bar.progress(f, text=t("exports_import_writing")),
            )
        except duckdb.Error:
            # the transaction was rolled back: nothing of the file is in the database
            bar.empty()
            st.error(t("exports_import_write_failed"))
            return
        st.session_state["exports.import_done"] = {"rows": written, "wave": wave_name}
        st.session_state["exports.import_nonce"] = nonce + 1
        st.rerun()


user = require_role(*EXPORT_ROLES)
st.title(t("exports_title"))
st.caption(t("exports_intro"))

wave_by_id = {w.wave_id: w for w in waves()}
if not wave_by_id:
    st.info(t("empty_no_wave"))
    st.stop()
with_data = waves_with_responses()
# A wave still collecting answers publishes nothing (docs/methodology.md, "Anonymity"): its files
# are offered when it closes.
published = [w for w in with_data if wave_by_id[w].status != "open"]
collecting = [w for w in with_data if wave_by_id[w].status == "open"]
chosen = context.current(wave_by_id, with_data, dimension=False) if with_data else None
for notice in chosen.notices if chosen else ():
    st.caption(t(notice, wave=wave_by_id[chosen.wave_id].name(lang())))
for wave_id in collecting:
    st.info(t("results_collecting_files", wave=wave_by_id[wave_id].name(lang())))
if published:
    _export_section(user, wave_by_id, published, chosen)
elif not collecting:
    st.info(t("empty_no_responses"))
if user["role"] == "admin":
    _import_section(user, wave_by_id, with_data)

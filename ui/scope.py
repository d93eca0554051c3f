"""A department head's view: the one place that applies an account's department scope.

An account scoped to departments (data/users.py `set_departments`, only leaders) sees its
departments' report cards, every pair in which one of them is rater or provider (both directions),
their comments and hotspots, and the organisation's headline figures (the org row, computed over
everyone and already suppressed), and nothing of other pairs. ui/results.py passes every result it
hands to a page through here (`scoped_report`, `scoped_comments`, `history_allowed`), so a page
cannot forget the scope; pages refuse a department or pair from a URL or a link with
`require_department` / `require_pair`. The scope is read from the database on every run, as
ui/access.py reads the role, so an admin's change applies at the next click.

Scoping only removes rows of tables that report/wave.py has already suppressed: it never shows a
figure the anonymity rules hide. Data & exports is not open to leaders, the only role that can be
scoped, so a scoped account never reaches a file (docs/operations.md, "Roles").
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from data.org import list_departments, names_by_code
from data.users import SCOPED_ROLES, account_scope
from report.wave import WaveReport
from ui.access import current_user
from ui.frame import db, lang, md_escape, t

Scope = frozenset[str] | None  # department codes; None: the whole organisation


def current_scope() -> Scope:
    """The departments the signed-in account may see, or None (unscoped, or nobody signed in: the
    page's own `require_role` refuses a visitor). Admins and analysts are never scoped."""
    user = current_user()
    if user is None or user.get("role") not in SCOPED_ROLES:
        return None
    return frozenset(account_scope(db(), user["username"])) or None


def _involves(frame: pd.DataFrame, scope: frozenset[str], *columns: str) -> pd.Series:
    keep = pd.Series(False, index=frame.index)
    for column in columns:
        if column in frame.columns:
            keep |= frame[column].isin(scope)
    return keep


def scoped_report(report: WaveReport, scope: Scope) -> WaveReport:
    """`report` with only what `scope` may see: cells, hotspots and pair trends or gaps in which a
    scope department is rater or provider, the scope's own provider, rater, driver and participation
    rows, and the organisation's rows as they are. None: the report unchanged."""
    if scope is None:
        return report
    pairs = ("rater_dept", "provider_dept")
    return dataclasses.replace(
        report,
        cells=_keep(report.cells, lambda f: _involves(f, scope, *pairs)),
        providers=_keep(report.providers, lambda f: f["provider_dept"].isin(scope)),
        raters=_keep(report.raters, lambda f: f["rater_dept"].isin(scope)),
        hotspots=_keep(report.hotspots, lambda f: _involves(f, scope, *pairs)),
        drivers=_keep(report.drivers, lambda f: (f["scope"] == "organisation") | f["provider_dept"].isin(scope)),
        trends=_keep(report.trends, lambda f: _trend_rows(f, scope)),
        gaps=_keep(report.gaps, lambda f: _involves(f, scope, *pairs)),
        participation=_keep(report.participation, lambda f: f["dept_code"].isin(scope)),
    )


def _keep(frame: pd.DataFrame, rows) -> pd.DataFrame:
    """The rows of `frame` that `rows(frame)` marks (an empty frame, maybe without columns, as it is)."""
    return frame if frame.empty else frame[rows(frame)]


def _trend_rows(trends: pd.DataFrame, scope: frozenset[str]) -> pd.Series:
    level = trends["level"]
    return (
        (level == "organisation")
        | ((level == "cell") & _involves(trends, scope, "rater_dept", "provider_dept"))
        | ((level == "provider") & trends["provider_dept"].isin(scope))
        | ((level == "rater") & trends["rater_dept"].isin(scope))
    )


def scoped_comments(comments: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """Only the comments of pairs that involve a scope department."""
    if scope is None:
        return comments
    return comments[_involves(comments, scope, "rater_dept", "provider_dept")].reset_index(drop=True)


def history_allowed(level: str, rater_dept: str | None, provider_dept: str | None, scope: Scope) -> bool:
    """May `scope` see this history (ui/results.py `history`)? The organisation's always; a provider's
    or rater's when it is in the scope; a cell's when one of its departments is."""
    if scope is None or level == "organisation":
        return True
    if level == "provider":
        return provider_dept in scope
    if level == "rater":
        return rater_dept in scope
    return rater_dept in scope or provider_dept in scope


def own_departments(codes) -> list[str]:
    """The departments of `codes` whose report card the signed-in account may open, in order."""
    scope = current_scope()
    return [code for code in codes if scope is None or code in scope]


def scope_notice() -> None:
    """Say, under the signed-in name, which departments' pairs a scoped account sees (nothing when
    unscoped)."""
    scope = current_scope()
    if scope is not None:
        names = _names()
        st.caption(t("scope_notice", own=md_escape(", ".join(sorted(names.get(c, c) for c in scope)))))


def _refuse(asked: str, scope: frozenset[str]) -> None:
    names = _names()
    own = ", ".join(sorted(names.get(code, code) for code in scope))
    st.error(t("scope_refused", own=own, asked=asked))
    st.stop()


def _names() -> dict[str, str]:
    return names_by_code(list_departments(db()), lang())  # only when refusing: not worth a cache


def require_department(code: str) -> None:
    """Stop the page with a refusal when the signed-in account may not see department `code` (a
    department page's URL or link)."""
    scope = current_scope()
    if scope is not None and code not in scope:
        _refuse(_names().get(code, code), scope)


def require_pair(rater_dept: str, provider_dept: str) -> None:
    """Stop the page with a refusal when neither department of the pair is in the account's scope."""
    scope = current_scope()
    if scope is not None and rater_dept not in scope and provider_dept not in scope:
        names = _names()
        rater, provider = names.get(rater_dept, rater_dept), names.get(provider_dept, provider_dept)
        _refuse(t("dash_pair_arrow", rater=rater, provider=provider), scope)

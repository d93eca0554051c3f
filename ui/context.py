"""The survey context: one wave, comparison wave, relationship type (and dimension, on the pages that
have one) for the whole session, the same on every results page.

It lives in the address (`?wave=2026-Q4&compare=2026-Q3&type=process&dimension=...`), so that a link
can be shared and a reload keeps it, and in session state under `context`, because the sidebar menu
opens a page without the query string. The address wins when it names anything. Values the address
names that do not exist here fall back to the default, with a short notice (`Context.notices`, text
keys), and the address is corrected; nothing typed in the address is echoed.

The default wave is the latest closed wave with results (a cell shown); a wave still collecting
answers can be chosen and then shows only how many have answered (ui/widgets.py).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

import streamlit as st

from data.org import RELATIONSHIP_TYPES
from data.waves import Wave
from ui.results import dimension_labels, wave_report

KEYS = ("wave", "compare", "type", "dimension")
STATE = "context"
NO_COMPARISON = "none"
PAIR = "pair"  # the Hotspots page's pair in the address: ?pair=SALES~PROD (rater~provider)
PAIR_SEPARATOR = "~"


@dataclass(frozen=True)
class Context:
    """The resolved context: ids as the address spells them, None for "all" or "no comparison"."""

    wave_id: str
    compare_id: str | None
    relationship_type: str | None
    dimension: str | None
    notices: tuple[str, ...] = field(default=(), compare=False)  # text keys of values not available


def published(by_id: Mapping[str, Wave], with_data: list[str]) -> list[str]:
    """Waves with responses that are not collecting answers any more, newest first."""
    return [w for w in reversed(with_data) if by_id[w].status != "open"]


def default_wave(by_id: Mapping[str, Wave], with_data: list[str], has_results: Callable[[str], bool]) -> str:
    """The latest closed wave with results; else the latest closed wave with responses; else the
    latest wave with responses (one still collecting answers)."""
    closed = published(by_id, with_data)
    return next((w for w in closed if has_results(w)), closed[0] if closed else with_data[-1])


def comparisons(by_id: Mapping[str, Wave], with_data: list[str], wave_id: str) -> list[str]:
    """The waves `wave_id` can be compared with: published and opened before it, newest first."""
    return [w for w in published(by_id, with_data) if by_id[w].opens_on < by_id[wave_id].opens_on]


def resolve(
    asked: Mapping[str, str],
    by_id: Mapping[str, Wave],
    with_data: list[str],
    *,
    has_results: Callable[[str], bool],
    dimensions: Callable[[str], Mapping[str, object]],
) -> Context:
    """The context `asked` names (address or session values), each value checked against what exists;
    an unknown value gives way to the default and adds a notice key."""
    notices = []
    wave_id = asked.get("wave") or ""
    if wave_id not in with_data:
        if wave_id:
            notices.append("context_bad_wave")
        wave_id = default_wave(by_id, with_data, has_results)
    earlier = comparisons(by_id, with_data, wave_id)
    compare = asked.get("compare")
    if compare == NO_COMPARISON:
        compare_id = None
    elif compare in earlier:
        compare_id = compare
    else:
        if compare:
            notices.append("context_bad_compare")
        compare_id = earlier[0] if earlier else None
    rtype = asked.get("type") or None
    if rtype is not None and rtype not in RELATIONSHIP_TYPES:
        notices.append("context_bad_type")
        rtype = None
    dimension = asked.get("dimension") or None
    if dimension is not None and dimension not in dimensions(wave_id):
        notices.append("context_bad_dimension")
        dimension = None
    return Context(wave_id, compare_id, rtype, dimension, tuple(notices))


def current(by_id: Mapping[str, Wave], with_data: list[str], *, dimension: bool) -> Context:
    """The session's context, checked against the waves that exist, and kept (see `keep`)."""
    chosen = resolve(asked(), by_id, with_data, has_results=has_results, dimensions=dimension_labels)
    keep(chosen, dimension=dimension)
    return chosen


def has_results(wave_id: str) -> bool:
    """Whether the wave's report shows at least one cell (its rules of anonymity allow one)."""
    cells = wave_report(wave_id).cells
    return bool(len(cells)) and not cells["suppressed"].astype(bool).all()


def asked() -> dict[str, str]:
    """What the address names (when it names any part of the context), else what the session keeps."""
    from_address = {key: st.query_params[key] for key in KEYS if key in st.query_params}
    return from_address or dict(st.session_state.get(STATE, {}))


def _values(context: Context) -> dict[str, str]:
    values = {"wave": context.wave_id, "compare": context.compare_id or NO_COMPARISON}
    if context.relationship_type:
        values["type"] = context.relationship_type
    if context.dimension:
        values["dimension"] = context.dimension
    return values


def keep(context: Context, *, dimension: bool) -> None:
    """Keep `context` in the session and in the address (the dimension there only on pages that
    have one; the session keeps it for the pages that do)."""
    values = _values(context)
    st.session_state[STATE] = values
    shown = {key: value for key, value in values.items() if dimension or key != "dimension"}
    for key in KEYS:
        if key not in shown and key in st.query_params:
            del st.query_params[key]
        elif key in shown and st.query_params.get(key) != shown[key]:
            st.query_params[key] = shown[key]


def change(key: str, value: str | None) -> None:
    """A choice made on a page: into the session and the address at once (a widget callback, so the
    run that follows reads it). A new wave drops the comparison, which is then the wave before it."""
    values = {**asked(), key: value or ""}
    if key == "compare" and not value:
        values["compare"] = NO_COMPARISON
    if key == "wave":
        values.pop("compare", None)
    values = {k: v for k, v in values.items() if v}
    st.session_state[STATE] = values
    for k in KEYS:
        if k in values:
            st.query_params[k] = values[k]
        elif k in st.query_params:
            del st.query_params[k]


def query() -> dict[str, str]:
    """The context as query parameters, for a link or `st.switch_page` to another results page."""
    return dict(st.session_state.get(STATE, {}))


def pair_value(rater_dept: str, provider_dept: str) -> str:
    """A pair as the address spells it: `RATER~PROVIDER`."""
    return f"{rater_dept}{PAIR_SEPARATOR}{provider_dept}"


def parse_pair(value: str, known: Collection[str]) -> tuple[str, str] | None:
    """The (rater, provider) an address's `pair` names, or None when it does not name two different
    departments of `known` as `RATER~PROVIDER`. Whether the account may see it is ui/scope.py's."""
    parts = value.split(PAIR_SEPARATOR)
    if len(parts) != 2 or parts[0] == parts[1] or not all(part in known for part in parts):
        return None
    return parts[0], parts[1]

"""Hotspot reasons in words: analysis.hotspots finds what is wrong in a pair as reason codes and
numbers (`findings`); this words them in English and Chinese with the department names, through the
texts hotspot_reason_* (ui/locales/hotspots.yaml). The pages and the exports read the result."""

from __future__ import annotations

import pandas as pd

from data.org import names_by_code
from texts import LANGUAGES, translate


def hotspot_reason(findings: list[tuple[str, dict[str, float]]], rater: str, provider: str, lang: str) -> str:
    """One sentence in `lang`: the findings in order, `rater` and `provider` being the names."""
    parts = [translate(f"hotspot_reason_{code}", lang, a=rater, b=provider, **values) for code, values in findings]
    sentence = translate("hotspot_reason_separator", lang).join(parts) + translate("hotspot_reason_end", lang)
    return sentence[0].upper() + sentence[1:] if lang == "en" else sentence


def word_hotspots(hotspots: pd.DataFrame, departments: pd.DataFrame) -> pd.DataFrame:
    """`hotspots` (analysis.hotspots.find_hotspots) with its `findings` column replaced, in place, by
    reason_en and reason_zh; names from `departments` (code, name_en, name_zh), codes where missing."""
    position = hotspots.columns.get_loc("findings")
    out = hotspots.drop(columns="findings")
    for offset, lang in enumerate(LANGUAGES):
        names = names_by_code(departments, lang)
        out.insert(
            position + offset,
            f"reason_{lang}",
            [
                hotspot_reason(found, names.get(rater, rater), names.get(provider, provider), lang)
                for found, rater, provider in zip(
                    hotspots["findings"], hotspots["rater_dept"], hotspots["provider_dept"], strict=True
                )
            ],
        )
    return out

"""Hotspot reasons: the analysis's findings worded in English and Chinese, exactly as users read them."""

import pandas as pd

from analysis.hotspots import REASONS
from report.reasons import hotspot_reason, word_hotspots
from texts import LANGUAGES, catalogue

FRICTION = ("friction", {"points": 14.2, "low": -22.0, "high": -6.4, "n": 12})
LOW = ("low", {"points": 16.0})


def test_every_reason_has_its_text_in_both_languages():
    for code in REASONS:
        assert set(catalogue()[f"hotspot_reason_{code}"]) == set(LANGUAGES)


def test_a_reason_is_one_sentence_with_names_rounded_points_and_the_interval():
    assert hotspot_reason([FRICTION, LOW], "Sales", "Production", "en") == (
        "Sales rates Production 14 points below what Production usually gets and what Sales usually gives"
        " (95% interval -22 to -6, n = 12); its mean is also 16 points below the organisation's average."
    )
    assert hotspot_reason([FRICTION, LOW], "销售部", "生产部", "zh") == (
        "销售部对生产部的评分比生产部通常得到的、销售部通常给出的低14分（95%区间-22至-6，n = 12）"
        "；其平均分也比全公司平均低16分。"
    )


def test_a_sentence_starting_with_a_lower_case_word_is_capitalised_in_english():
    asymmetric = ("asymmetric_more", {"points": 20.0, "low": 8.0, "high": 32.0, "n": 10, "reverse_n": 11})
    assert hotspot_reason([asymmetric], "QA", "IT", "en").startswith("Relative to what each usually gives and gets")


def test_word_hotspots_replaces_the_findings_by_both_reasons_with_codes_where_a_name_is_missing():
    hotspots = pd.DataFrame(
        {"rater_dept": ["SALES"], "provider_dept": ["GONE"], "severity": [12.0], "findings": [[LOW]], "x": [1]}
    )
    departments = pd.DataFrame({"code": ["SALES"], "name_en": ["Sales"], "name_zh": ["销售部"]})
    worded = word_hotspots(hotspots, departments)
    assert worded.columns.tolist() == ["rater_dept", "provider_dept", "severity", "reason_en", "reason_zh", "x"]
    assert worded["reason_en"].iloc[0] == "Its mean is also 16 points below the organisation's average."
    assert worded["reason_zh"].iloc[0] == "其平均分也比全公司平均低16分。"
    assert word_hotspots(hotspots.iloc[0:0], departments).columns.tolist() == worded.columns.tolist()

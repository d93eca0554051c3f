"""One wording for every problem, in English and Chinese, from ui/locales (no Streamlit)."""

from pathlib import Path

from data.problems import Problem, Refused, refusal
from texts import describe

ROOT = Path(__file__).resolve().parents[2]


def test_each_area_is_worded_in_english_and_chinese():
    wave = refusal("wave", "k_too_small", k=2, min=3).problems[0]
    assert "k must be at least 3" in describe(wave, "en")
    assert describe(wave, "zh") != describe(wave, "en")
    org = Problem("serves_itself", row=3, values={"code": "A"}, area="relationships")
    assert describe(org, "en") == "Relationships file, line 3: A cannot be its own customer."
    assert describe(org, "zh").startswith("关系文件，第 3 行：")
    roster = Problem("row_unknown_department", row=2, values={"code": "XYZ"}, area="roster")
    assert describe(roster, "en") == "Row 2: unknown department code 'XYZ'."
    assert describe(roster, "zh") == "第2行：未知的部门代码“XYZ”。"
    response = Problem("unknown_department", row=2, column="provider_dept", values={"value": "NOPE"}, area="responses")
    assert describe(response, "zh") == "第2行：provider_dept：未知部门代码“NOPE”"
    assert not describe(response, "en", with_row=False).startswith("row 2")


def test_a_refusal_carries_every_problem_and_its_first_code():
    refused = Refused([Problem("a", area="wave"), Problem("b", area="wave")])
    assert refused.code == "a" and [p.code for p in refused.problems] == ["a", "b"]

"""The codebook: every question of a wave's survey, and what every column of every export means.

One table with the columns of `CODEBOOK_COLUMNS`:
- table: the export table the row describes (responses, cells, hotspots ...);
- column: the column name in that table;
- question_id: the survey's question id, for columns that hold answers (else empty);
- dimension: the dimension of an item (understanding, reliability ...), else empty;
- kind: key, likert, recommend, frequency, open, figure, flag or text;
- scale: the values the column holds;
- text_en, text_zh: the question's wording from the survey definition, or the column's meaning.

No Streamlit here; the page and the command line both write it through data/exports.py.
"""

from __future__ import annotations

import pandas as pd

from surveys.definition import Survey

DIMENSION_PREFIX = "dim_"

CODEBOOK_COLUMNS = ("table", "column", "question_id", "dimension", "kind", "scale", "text_en", "text_zh")
UNDESCRIBED = "Not described in the codebook yet; see docs/methodology.md."

SCORE_SCALE = "0-100"

# column -> (kind, scale, English meaning, Chinese meaning); shared by every aggregate table
COLUMN_MEANINGS: dict[str, tuple[str, str, str, str]] = {
    "wave": ("key", "wave id", "The survey wave.", "调查轮次。"),
    "wave_id": ("key", "wave id", "The survey wave.", "调查轮次。"),
    "previous_wave": ("key", "wave id", "The wave compared with.", "用于比较的上一轮次。"),
    "previous_wave_id": ("key", "wave id", "The wave compared with.", "用于比较的上一轮次。"),
    "rater_dept": (
        "key",
        "department code",
        "The rating department (the internal customer).",
        "评价部门（内部客户）。",
    ),
    "provider_dept": (
        "key",
        "department code",
        "The rated department (the provider).",
        "被评价部门（服务方）。",
    ),
    "dept": ("key", "department code", "The department.", "部门。"),
    "dept_code": ("key", "department code", "The department.", "部门。"),
    "department": ("key", "department code", "The department.", "部门。"),
    "level": ("key", "cell, provider, rater or organisation", "What the row describes.", "该行描述的层级。"),
    "scope": ("key", "organisation or department code", "Whose figures the row holds.", "该行数据所属的范围。"),
    "relationship_type": (
        "key",
        "hierarchical, functional, process, cross_functional",
        "The internal customer type of the pair (等级客户, 功能客户, 流程客户, 跨部门流程客户).",
        "该部门对的内部客户类型（等级客户、功能客户、流程客户、跨部门流程客户）。",
    ),
    "dimension": ("key", "dimension id", "The survey dimension.", "问卷维度。"),
    "n": (
        "figure",
        "whole number; empty when hidden",
        "Responses with a satisfaction score.",
        "有满意度得分的回复数。",
    ),
    "n_responses": (
        "figure",
        "whole number",
        "Responses, also those answering no item.",
        "回复数（包括未回答任何题目的回复）。",
    ),
    "n_recommend": ("figure", "whole number", "Responses answering the recommend question.", "回答推荐问题的回复数。"),
    "n_previous": ("figure", "whole number", "Responses in the previous wave.", "上一轮次的回复数。"),
    "mean": (
        "figure",
        SCORE_SCALE,
        "Mean satisfaction: the mean of a response's answered items, (answer - 1) * 25, averaged over responses.",
        "平均满意度：每份回复已答题目得分（(答案-1)×25）的平均值，再对回复取平均。",
    ),
    "sd": ("figure", SCORE_SCALE, "Standard deviation of the responses' satisfaction.", "回复满意度的标准差。"),
    "ci_low": ("figure", SCORE_SCALE, "Lower bound of the 95% t-interval of the mean.", "平均值95% t置信区间下限。"),
    "ci_high": ("figure", SCORE_SCALE, "Upper bound of the 95% t-interval of the mean.", "平均值95% t置信区间上限。"),
    "favourable": (
        "figure",
        "share 0-1",
        "Share of answered items at 4 or 5 (agree, strongly agree).",
        "已答题目中选择4或5（同意、非常同意）的比例。",
    ),
    "promoters": ("figure", "whole number", "Recommend answers of 9-10.", "推荐问题回答9-10的人数。"),
    "passives": ("figure", "whole number", "Recommend answers of 7-8.", "推荐问题回答7-8的人数。"),
    "detractors": ("figure", "whole number", "Recommend answers of 0-6.", "推荐问题回答0-6的人数。"),
    "inps": (
        "figure",
        "-100 to 100",
        "Internal NPS: 100 * (share of promoters - share of detractors).",
        "内部净推荐值：100 ×（推荐者比例 - 贬损者比例）。",
    ),
    "inps_ci_low": (
        "figure",
        "-100 to 100",
        "Lower bound of the 95% interval of the iNPS.",
        "内部净推荐值95%区间下限。",
    ),
    "inps_ci_high": (
        "figure",
        "-100 to 100",
        "Upper bound of the 95% interval of the iNPS.",
        "内部净推荐值95%区间上限。",
    ),
    "suppressed": (
        "flag",
        "true/false",
        "True when the row is hidden to protect anonymity: fewer than k people are behind it (for a "
        "total: none of its groups is shown). Its figures are then empty. Empty figures in a row that "
        "is not hidden mean no data.",
        "为保护匿名而隐藏时为true：其背后少于k人（合计行：其所有组均未显示）。此时数值为空。未隐藏的行中的空值表示无数据。",
    ),
    "hidden_figures": (
        "text",
        "comma-separated names; empty = none",
        "Figures of a shown row that are hidden because fewer than k people answered that part: "
        "'recommend' (the loyalty figures) and dimension ids. Every total is computed from shown groups only.",
        "该行中因作答人数少于k而隐藏的部分：'recommend'（忠诚度各项）及维度编号。所有合计仅由已显示的组计算。",
    ),
    "k": (
        "figure",
        "whole number >= 3",
        "The anonymity threshold used: the fewest responses a shown figure is based on.",
        "所用的匿名阈值：显示的数值至少基于的回复数。",
    ),
    "k_comments": (
        "figure",
        "whole number",
        "Responses a cell needs before its comments are shown.",
        "显示意见所需的最少回复数。",
    ),
    "frequency": (
        "figure",
        "1-4",
        "Mean interaction frequency (1 less than monthly, 2 monthly, 3 weekly, 4 daily).",
        "平均合作频率（1少于每月一次，2每月，3每周，4每天）。",
    ),
    "flags": (
        "text",
        "friction, low, asymmetric, mutual, polarised, declining (comma-separated)",
        "The hotspot flags of the pair (docs/methodology.md defines each).",
        "该部门对的热点标记（定义见docs/methodology.md）。",
    ),
    "severity": (
        "figure",
        "0 or more",
        "Severity score that ranks hotspots (flags, size of the effect, interaction frequency).",
        "用于热点排序的严重程度得分（标记、效应大小、合作频率）。",
    ),
    "reason_en": ("text", "text", "Why the pair is a hotspot, in English.", "该部门对成为热点的原因（英文）。"),
    "reason_zh": ("text", "text", "Why the pair is a hotspot, in Chinese.", "该部门对成为热点的原因（中文）。"),
    "relationship_effect": (
        "figure",
        "points on 0-100",
        "Relationship effect: how much lower or higher this pair is than the rater usually gives and the "
        "provider usually gets (shrunk towards 0 for small cells).",
        "关系效应：该部门对比评价方通常给分和服务方通常得分低或高多少（小单元格向0收缩）。",
    ),
    "relationship_ci_low": (
        "figure",
        "points",
        "Lower bound of the 95% interval of the relationship effect.",
        "关系效应95%区间下限。",
    ),
    "relationship_ci_high": (
        "figure",
        "points",
        "Upper bound of the 95% interval of the relationship effect.",
        "关系效应95%区间上限。",
    ),
    "pair_effect": (
        "figure",
        "points",
        "Pair effect the hotspot flags test: the cell mean minus what the rater usually gives and the provider "
        "usually gets, both estimated from the other pairs (leave-pair-out, not shrunk).",
        "热点标记所检验的部门对效应：单元格平均值减去由其他部门对估计的评价方通常给分与服务方通常得分（留一对法，未收缩）。",
    ),
    "pair_ci_low": (
        "figure",
        "points",
        "Lower bound of the 95% interval of the pair effect.",
        "部门对效应95%区间下限。",
    ),
    "pair_ci_high": (
        "figure",
        "points",
        "Upper bound of the 95% interval of the pair effect.",
        "部门对效应95%区间上限。",
    ),
    "q_value": (
        "figure",
        "0-1",
        "Smallest Benjamini-Hochberg adjusted p-value among the pair's raised flags (a flag is raised at 0.10 "
        "or less; docs/methodology.md).",
        "已触发标记中最小的Benjamini-Hochberg校正p值（不超过0.10时触发标记；见docs/methodology.md）。",
    ),
    "rater_effect": (
        "figure",
        "points",
        "Rater harshness: how the rater usually rates, against the average.",
        "评价方严格程度：评价方通常的给分相对平均值的差。",
    ),
    "provider_effect": (
        "figure",
        "points",
        "Provider quality: how the provider is usually rated, against the average.",
        "服务方质量：服务方通常的得分相对平均值的差。",
    ),
    "org_mean": (
        "figure",
        SCORE_SCALE,
        "The organisation's mean satisfaction in the wave.",
        "本轮次全公司平均满意度。",
    ),
    "reverse_mean": (
        "figure",
        SCORE_SCALE,
        "Mean satisfaction of the other direction (B rates A).",
        "反方向（B评价A）的平均满意度。",
    ),
    "difference": ("figure", "points", "Difference in points.", "差值（分）。"),
    "p_value": ("figure", "0-1", "p-value of the Welch t-test.", "Welch t检验的p值。"),
    "alpha": (
        "figure",
        "-inf to 1",
        "Cronbach's alpha (internal consistency; < 0.7 is weak, > 0.95 redundant).",
        "克隆巴赫α系数（内部一致性；<0.7偏弱，>0.95可能冗余）。",
    ),
    "alpha_ci_low": ("figure", "-inf to 1", "Lower bound of the 95% interval of alpha.", "α系数95%区间下限。"),
    "alpha_ci_high": ("figure", "-inf to 1", "Upper bound of the 95% interval of alpha.", "α系数95%区间上限。"),
    "icc1": (
        "figure",
        "-1 to 1",
        "ICC(1): share of the variance that lies between cells.",
        "ICC(1)：单元格之间方差所占比例。",
    ),
    "icc": ("figure", "-1 to 1", "Intraclass correlation.", "组内相关系数。"),
    "icc_ci_low": ("figure", "-1 to 1", "Lower bound of the 95% interval of the ICC.", "组内相关系数95%区间下限。"),
    "icc_ci_high": ("figure", "-1 to 1", "Upper bound of the 95% interval of the ICC.", "组内相关系数95%区间上限。"),
    "n_items": ("figure", "whole number", "Items in the dimension.", "该维度的题目数。"),
    "note": ("text", "text", "A remark on the figure (e.g. weak or redundant).", "关于该数值的备注（如偏弱或冗余）。"),
    "importance": (
        "figure",
        "share 0-1",
        "Relative importance of the dimension for the recommend score.",
        "该维度对推荐得分的相对重要性。",
    ),
    "performance": ("figure", SCORE_SCALE, "Mean score of the dimension.", "该维度的平均得分。"),
    "quadrant": (
        "text",
        "fix_first, keep_up, secondary, possible_overkill, unclear",
        "Importance-performance quadrant, named only when the bootstrap intervals of the importance and of "
        "the performance against the scope's average support it; otherwise unclear.",
        "重要性-表现象限（优先改进、继续保持、次要、可能过度）；仅当重要性及相对平均表现的自助法区间支持时才给出，否则为unclear（不确定）。",
    ),
    "importance_ci_low": (
        "figure",
        "percent",
        "Lower bound of the 95% bootstrap interval of the importance (200 Poisson resamples).",
        "重要性95%自助法区间下限（200次泊松重抽样）。",
    ),
    "importance_ci_high": (
        "figure",
        "percent",
        "Upper bound of the 95% bootstrap interval of the importance.",
        "重要性95%自助法区间上限。",
    ),
    "change": ("figure", "points", "Change since the previous wave.", "与上一轮次相比的变化。"),
    "previous_mean": ("figure", SCORE_SCALE, "Mean satisfaction in the previous wave.", "上一轮次的平均满意度。"),
    "change_ci_low": ("figure", "points", "Lower bound of the 95% interval of the change.", "变化量95%区间下限。"),
    "change_ci_high": ("figure", "points", "Upper bound of the 95% interval of the change.", "变化量95%区间上限。"),
    "significant": ("flag", "true/false", "True when the Welch test gives p < 0.05.", "Welch检验p<0.05时为true。"),
    "invited": ("figure", "whole number", "Invitations sent to the department.", "发给该部门的邀请数。"),
    "responded": (
        "figure",
        "whole number",
        "Invitations used to answer; empty (suppressed) where fewer than k people of the department answered,"
        " or to keep the hidden departments together at 0 or at least k.",
        "已用于作答的邀请数；该部门作答人数少于k时为空（已隐藏），或为使隐藏部门合计为0或至少k而隐藏。",
    ),
    "rate": (
        "figure",
        "share 0-1",
        "Response rate: responded / invited (flag below 0.6).",
        "回复率：已作答/已邀请（低于0.6时标记）。",
    ),
    "response_rate": (
        "figure",
        "share 0-1",
        "Response rate: responded / invited (flag below 0.6).",
        "回复率：已作答/已邀请（低于0.6时标记）。",
    ),
    "low_rate": ("flag", "true/false", "True when the response rate is below 60%.", "回复率低于60%时为true。"),
}


FLAG_MEANINGS = {
    "friction": (
        "pair effect <= -10 points, its 95% interval below 0, significant after Benjamini-Hochberg at 10%",
        "部门对效应 <= -10分，其95%区间低于0，经Benjamini-Hochberg（10%）校正后显著",
    ),
    "low": (
        "a level, not a conflict: cell mean <= organisation mean - 15 and the cell's 95% interval lies below it",
        "水平提示而非冲突：单元格平均值 <= 全公司平均值 - 15，且其95%区间低于全公司平均值",
    ),
    "asymmetric": (
        "both directions shown, their pair effects differ by >= 15 points, significant after Benjamini-Hochberg at 10%",
        "两个方向均可显示，部门对效应相差 >= 15分，经Benjamini-Hochberg（10%）校正后显著",
    ),
    "mutual": (
        "both directions below expectations: average pair effect <= -10, each <= -5, significant after the correction",
        "双向均低于预期：两个方向部门对效应的平均 <= -10，各自 <= -5，校正后显著",
    ),
    "polarised": (
        "a split of opinion: the cell's sd >= 1.5 times the usual within-cell sd, significant after the correction",
        "意见两极分化：单元格标准差 >= 通常单元格内标准差的1.5倍，校正后显著",
    ),
    "declining": (
        "fell >= 10 points since the comparison wave, significant after Benjamini-Hochberg at 10%",
        "比对比轮次下降 >= 10分，经Benjamini-Hochberg（10%）校正后显著",
    ),
}
for _flag, (_en, _zh) in FLAG_MEANINGS.items():
    COLUMN_MEANINGS[_flag] = ("flag", "true/false", f"Hotspot flag {_flag}: {_en}.", f"热点标记{_flag}：{_zh}。")

# Meanings that depend on the table (the same name says something else there).
TABLE_MEANINGS: dict[tuple[str, str], tuple[str, str, str, str]] = {
    ("cells", "expected"): (
        "figure",
        SCORE_SCALE,
        "What the pair would get from the rater's usual harshness and the provider's usual quality alone"
        " (mu + rater effect + provider effect).",
        "仅由评价方通常的严格程度和服务方通常的质量推算出的预期得分（总均值 + 评价方效应 + 服务方效应）。",
    ),
    ("reliability", "measure"): (
        "key",
        "alpha, icc1",
        "alpha: Cronbach's alpha of a dimension's items; icc1: ICC(1) of responses within cells.",
        "alpha：某维度题目的克隆巴赫α系数；icc1：单元格内回复的ICC(1)。",
    ),
    ("reliability", "value"): (
        "figure",
        "alpha: up to 1 (< 0.7 weak, > 0.95 redundant); icc1: -1 to 1",
        "The value of the measure.",
        "该指标的数值。",
    ),
    ("reliability", "ci_low"): (
        "figure",
        "as value",
        "Lower bound of the 95% interval (Feldt) of alpha; empty for icc1.",
        "α系数95%区间（Feldt）下限；icc1为空。",
    ),
    ("reliability", "ci_high"): (
        "figure",
        "as value",
        "Upper bound of the 95% interval (Feldt) of alpha; empty for icc1.",
        "α系数95%区间（Feldt）上限；icc1为空。",
    ),
    ("reliability", "n"): (
        "figure",
        "whole number",
        "Responses (alpha) or cells (icc1) used.",
        "所用的回复数（alpha）或单元格数（icc1）。",
    ),
    ("reliability", "n_items"): ("figure", "whole number", "Items of the dimension.", "该维度的题目数。"),
    ("reliability", "note"): (
        "text",
        "low, redundant or empty",
        "low: alpha < 0.7; redundant: alpha > 0.95.",
        "low：α < 0.7；redundant：α > 0.95。",
    ),
    ("drivers", "scope"): (
        "key",
        "organisation, provider",
        "Whose drivers: the whole organisation or one provider (n >= 30).",
        "驱动因素的范围：全公司或某一服务方（n >= 30）。",
    ),
    ("drivers", "provider_dept"): (
        "key",
        "department code; empty for the organisation",
        "The provider the row is about.",
        "该行所属的服务方。",
    ),
    ("drivers", "n"): (
        "figure",
        "whole number",
        "Complete responses used in the regression.",
        "回归中使用的完整回复数。",
    ),
    ("drivers", "importance"): (
        "figure",
        "percent 0-100, sums to 100 per scope",
        "Relative importance of the dimension for the recommend score (share of explained variance).",
        "该维度对推荐得分的相对重要性（解释方差的占比）。",
    ),
    ("drivers", "r2"): (
        "figure",
        "0-1",
        "R² of the scope's regression of recommend on the dimensions.",
        "该范围内推荐得分对各维度回归的R²。",
    ),
    ("drivers", "coef"): (
        "figure",
        "points of recommend per point",
        "Regression coefficient of the dimension.",
        "该维度的回归系数。",
    ),
    ("drivers", "performance"): ("figure", SCORE_SCALE, "Mean score of the dimension.", "该维度的平均得分。"),
    ("trends", "level"): ("key", "cell, provider, rater, organisation", "What the row compares.", "该行比较的层级。"),
    ("trends", "rater_dept"): (
        "key",
        "department code; empty where not applicable",
        "The rating department.",
        "评价部门。",
    ),
    ("trends", "provider_dept"): (
        "key",
        "department code; empty where not applicable",
        "The rated department.",
        "被评价部门。",
    ),
    ("trends", "previous_n"): ("figure", "whole number", "Responses in the previous wave.", "上一轮次的回复数。"),
    ("trends", "change"): ("figure", "points", "mean - previous_mean.", "mean - previous_mean（变化量）。"),
    ("trends", "t"): ("figure", "number", "Welch t statistic of the change.", "变化量的Welch t统计量。"),
    ("trends", "dof"): ("figure", "number", "Degrees of freedom of the Welch test.", "Welch检验的自由度。"),
    ("trends", "suppressed"): (
        "flag",
        "true/false",
        "True when the row is hidden in either wave (fewer than k people behind it).",
        "在任一轮次中被隐藏时为true（其背后少于k人）。",
    ),
    ("hotspots", "change"): (
        "figure",
        "points",
        "Change of the cell's mean since the previous wave.",
        "该单元格平均值与上一轮次相比的变化。",
    ),
    ("participation", "dept_code"): (
        "key",
        "department code",
        "The department whose staff were invited.",
        "被邀请员工所在的部门。",
    ),
    ("participation", "low_participation"): (
        "flag",
        "true/false",
        "True when the response rate is below 60%.",
        "回复率低于60%时为true。",
    ),
    ("participation", "rate"): (
        "figure",
        "share 0-1",
        "Response rate: responded / invited.",
        "回复率：已作答/已邀请。",
    ),
}


def _label(text: object) -> tuple[str, str]:
    return (text.en, text.zh)


def question_rows(survey: Survey) -> list[dict]:
    """Codebook rows of the responses table: its keys and every question of `survey`."""
    options = ", ".join(o.id for o in survey.frequency_options if o.id != "never")
    likert = "; ".join(f"{k} = {v.en} / {v.zh}" for k, v in sorted(survey.likert_labels.items()))
    rows = [
        _row("responses", "wave", None, None, *COLUMN_MEANINGS["wave"]),
        _row("responses", "rater_dept", None, None, *COLUMN_MEANINGS["rater_dept"]),
        _row("responses", "provider_dept", None, None, *COLUMN_MEANINGS["provider_dept"]),
        _row("responses", "frequency", "frequency", None, "frequency", options, *_label(survey.frequency_text)),
        _row(
            "responses",
            "recommend",
            "recommend",
            None,
            "recommend",
            f"{survey.recommend_min}-{survey.recommend_max} ({survey.recommend_low.en} - {survey.recommend_high.en});"
            " empty = not answered",
            *_label(survey.recommend_text),
        ),
    ]
    for item in survey.items:
        rows.append(
            _row(
                "responses",
                item.id,
                item.id,
                item.dimension,
                "likert",
                f"{survey.likert_min}-{survey.likert_max} ({likert}); empty = {survey.not_applicable.en}",
                *_label(item.text),
            )
        )
    for question in survey.open_questions:
        rows.append(
            _row(
                "responses",
                question.id,
                question.id,
                None,
                "open",
                f"free text up to {question.max_length} characters; empty = none or below the comment threshold",
                *_label(question.text),
            )
        )
    rows.append(
        _row(
            "responses",
            "hidden_figures",
            None,
            None,
            "text",
            "comma-separated names; empty = none",
            "Answers left empty in this row's cell because fewer than k people there answered them: "
            "'recommend' and dimension ids (their items are empty in every row of the cell).",
            "因该单元格中作答人数少于k而留空的回答：'recommend'及维度编号（该单元格每一行的相应题目均为空）。",
        )
    )
    return rows


def _row(
    table: str,
    column: str,
    question_id: str | None,
    dimension: str | None,
    kind: str,
    scale: str,
    text_en: str,
    text_zh: str,
) -> dict:
    return dict(
        zip(CODEBOOK_COLUMNS, (table, column, question_id, dimension, kind, scale, text_en, text_zh), strict=True)
    )


def describe_column(survey: Survey, column: str, table: str | None = None) -> tuple[str | None, str, str, str, str]:
    """(dimension, kind, scale, English, Chinese) meaning of an aggregate table's column."""
    if (table, column) in TABLE_MEANINGS:
        return (None, *TABLE_MEANINGS[(table, column)])
    if column in COLUMN_MEANINGS:
        return (None, *COLUMN_MEANINGS[column])
    if column.startswith(DIMENSION_PREFIX):
        dimension = next((d for d in survey.dimensions if d.id == column[len(DIMENSION_PREFIX) :]), None)
        if dimension is not None:
            return (
                dimension.id,
                "figure",
                SCORE_SCALE,
                f"Mean score of the dimension {dimension.label.en}: {dimension.description.en}",
                f"维度“{dimension.label.zh}”的平均得分：{dimension.description.zh}",
            )
    return (None, "figure", "", UNDESCRIBED, "尚未在编码手册中说明；见docs/methodology.md。")


def build_codebook(survey: Survey, tables: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """The codebook of a wave: the survey's questions and the columns of each exported table.

    Parameters
    ----------
    survey : the wave's survey definition (wording in English and Chinese).
    tables : table name -> its column names, for the aggregate tables (cells, hotspots ...).

    Returns a frame with the columns of `CODEBOOK_COLUMNS`, the responses table first.
    """
    rows = question_rows(survey)
    for table, columns in (tables or {}).items():
        if table in ("responses", "codebook"):
            continue
        for column in columns:
            dimension, kind, scale, text_en, text_zh = describe_column(survey, column, table)
            rows.append(_row(table, column, None, dimension, kind, scale, text_en, text_zh))
    return pd.DataFrame(rows, columns=list(CODEBOOK_COLUMNS))

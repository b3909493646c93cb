"""The monitoring inputs (防返贫监测数据): what sector departments and village visits record.

Each input is an ordinary source (one CSV or Parquet file in the data directory, unit = county),
declared here as data so the usual checks apply: missing columns, values of the wrong type and
unknown units are reported with file and line before anything is computed.
"""

from __future__ import annotations

from ..scheme.model import Source

INPUTS: dict[str, Source] = {
    "monitoring_households": Source(
        label="监测范围内农户（脱贫户与一般农户）",
        label_en="households in the monitoring population",
        columns={
            "household_id": "text",
            "size": "integer",
            "registry_status": "text",  # 已脱贫户 | 一般农户
            "labour_capacity": "boolean",
            "food_clothing_ok": "boolean",
            "education_ok": "boolean",
            "medical_ok": "boolean",
            "housing_ok": "boolean",
            "water_ok": "boolean",
        },
    ),
    "risk_events": Source(
        label="行业部门预警的风险事件（医疗、灾害、失业、教育）",
        label_en="risk events reported by sector departments",
        columns={
            "household_id": "text",
            "event_id": "text",
            "kind": "text",  # 医疗支出 | 自然灾害 | 失业 | 教育支出 …
            "department": "text",  # 卫生健康 | 应急管理 | 人力资源社会保障 | 教育 …
            "event_date": "date",
            "expense": "number",  # out-of-pocket, yuan
            "income_loss": "number",  # yuan per year
            "resolved_date": "date",  # empty while unresolved
        },
    ),
    "income_checks": Source(
        label="入户收入核查（人均纯收入，年化）",
        label_en="household income checks (per capita, annualized)",
        columns={"household_id": "text", "check_date": "date", "income_per_capita": "number"},
    ),
    "monitoring_records": Source(
        label="防返贫监测信息系统中的监测对象记录",
        label_en="records of monitored households in the monitoring system",
        columns={
            "household_id": "text",
            "identified_date": "date",
            "recorded_group": "text",
            "eliminated_date": "date",  # empty while the risk is not marked eliminated
        },
    ),
    "assistance_measures": Source(
        label="帮扶措施（产业、就业、医疗、教育、兜底等）",
        label_en="assistance measures",
        columns={"household_id": "text", "measure": "text", "start_date": "date"},
    ),
}

# Inputs a data directory may lack: without them, what they would show is unknown (NULL in the
# results), never "no problem".
OPTIONAL_INPUTS: dict[str, Source] = {
    "elimination_steps": Source(
        label="风险消除程序记录（入户核实、村级评议公示、乡镇审核、县级审定）",
        label_en="the steps of each risk elimination (visit, village review, township, county)",
        columns={
            "household_id": "text",
            "step": "text",  # a step of the rules' elimination_procedure: its id or label
            "step_date": "date",
            "evidence": "text",  # a reference to the record (minutes, notice photo, file no.)
            "notice_end": "date",  # for a public-notice step: the last day of the notice
        },
    ),
}

OUTPUT = "monitoring_results"

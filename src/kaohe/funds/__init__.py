"""Project fund performance management (扶贫项目资金绩效管理).

The full cycle of a poverty-alleviation project's funds, one idea per module:

- ``tables``: reading the project files users hand in (CSV or Excel), with file/sheet/row/column
  positions for every message;
- ``fund_rules``: the declarative rules files (gate, monitoring, evaluation, allocation, audit);
- ``targets``: the performance target table (绩效目标表) of a project;
- ``gate``: the target gate (目标设定) deciding whether a project may enter the library;
- ``library``: the project library, an append-only, hash-chained event log folded into state;
- ``monitoring``: execution monitoring (执行跟踪, "dual monitoring") raising flags;
- ``evaluation``: the year-end self-evaluation (年终评价) scored from target achievement;
- ``spot_checks``: the finance department's spot-check sample and verified scores;
- ``allocation``: next year's allocation by the factor method (因素法) with a performance factor;
- ``audit_checks``: the audit rules (问题导向) that open rectification items.

The synthetic project data of the national demo is written by ``kaohe.demo.fund_year``.
"""

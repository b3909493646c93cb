"""Verification (核查): sampling plans, estimates with intervals, verdicts, reconciliation and
eligibility rules — how far field verification confirms the registry's figures.

One idea per module: ``sample_size``, ``sampling``, ``assignment``, ``estimates``, ``verdicts``,
``reconciliation``, ``eligibility``; ``inputs`` opens a data directory, ``verification_rules`` reads the rules
files, ``unit_tables`` writes the per-unit verification report (the job that also runs the
quality detectors is ``kaohe.derived.verification``).
"""

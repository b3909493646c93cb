"""Derived sources: what the verification and the quality checks found, written as ordinary
source files (``verification_estimates.csv``, ``quality_findings.csv``) that schemes read.

It sits above ``verify`` and ``quality`` because it runs both; neither imports the other's job.
"""

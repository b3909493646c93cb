"""Data authenticity and quality (数据真实性): detectors that write findings.

One detector per module (``resident_ids``, ``duplicate_ids``, ``implausible_records``,
``bunching``, ``benford``, ``digit_heaping``, ``outliers``, ``cross_source``,
``eligibility_flags``); ``registry`` lists them in order, ``findings`` holds the finding record and
its writer, ``quality_rules`` reads the quality rules file.
"""

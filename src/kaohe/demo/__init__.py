"""The demo: a deterministic synthetic national data set, the job that runs the bundled schemes
on it, and its loading into the web platform. Only the CLI (and tests) import this package.

- ``job``: the demo job of ``kaohe demo`` (each year's data, each scheme's runs in its era,
  outcomes carried from year to year, robustness and report), with ``years`` (the demo year
  being generated, 2016–2023) and ``transition`` (one province from 2020 to 2021);
- ``generate``: one year of the national panel (units, registry, field checks, surveys,
  findings), with ``world`` (the provinces' profiles and each year's poverty line),
  ``geography`` (real provinces and counties) and ``banks``;
- ``fund_year``: the funds demo, one year of project fund management, from ``fund_projects``
  (the submitted projects and their hidden truth, from the ``fund_project_*.csv`` tables)
  through ``fund_pipeline`` (evaluation, audit, allocation) to ``fund_sources`` (what the fund
  schemes read);
- ``sectors``: the sources of the sector and transition schemes, with the monitoring inputs and
  last cycle's rectifications;
- ``outcome_ledger``: the outcomes of the demo's runs recorded in a ledger;
- ``platform``: the demo loaded into the web platform (``kaohe serve --demo``);
- ``random_streams`` and ``csv_files``: how every part draws its numbers and writes its files.
"""

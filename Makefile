# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_OUT ?= demo-output
CODE := $(wildcard src tests bench examples)

.PHONY: install system-deps demo test lint format bench docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Debian packages the tests and reports need: Chromium for browser tests, CJK fonts for PDF
# reports, poppler to render PDF pages, Java for Spark's local mode. Installed only when missing.
system-deps:
	@bash scripts/system-deps.sh

install: $(STAMP) system-deps

demo: install
	$(BIN)/kaohe demo --out $(DEMO_OUT)

lint: $(STAMP)
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix $(CODE)
	$(BIN)/ruff format $(CODE)

# Three workers on two cores: the suite is independent processes and databases (each test its
# own temporary folder, SQLite file, PostgreSQL schema and port), and many tests wait on a
# server, a browser or a JVM starting; a third worker keeps both cores busy meanwhile
# (measured: 205 s against 230 s with two, docs/benchmarks.md "Test suite").
test: install lint
	$(BIN)/pytest -n 3 --dist worksteal

# docs/cli.md is generated from the command definitions (a test checks it is current).
docs: $(STAMP)
	KAOHE_LANG=zh COLUMNS=100 $(BIN)/python -m typer kaohe.cli utils docs --name kaohe --output docs/cli.md

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache

# Backhaul: `make demo` serves a working Backhaul on SQLite; `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
BACKHAUL := BACKHAUL_HOME=$(CURDIR) $(BIN)/backhaul
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 8000
CUSTOMERS ?= 200
STAMP := $(VENV)/.installed

.PHONY: help install demo serve migrate catalogues test test-postgres lint format typecheck bench clean

help:
	@echo "make demo           set up and serve Backhaul with demo data on http://$(HOST):$(PORT)"
	@echo "make test           run the test suite on SQLite"
	@echo "make test-postgres  run the test suite on PostgreSQL (PG_URL=$(PG_URL))"
	@echo "make lint           ruff check, ruff format --check, mypy on rule modules"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BACKHAUL) migrate --no-input -v 0

catalogues: migrate
	$(BACKHAUL) catalogue load catalogues/plusnet-business.toml catalogues/plugin.toml

demo: catalogues
	$(BACKHAUL) demo --customers $(CUSTOMERS)
	@echo "Serving Backhaul on http://$(HOST):$(PORT)/ (staff console: /console/). Ctrl-C stops."
	BACKHAUL_DEBUG=true $(BACKHAUL) runserver $(HOST):$(PORT)

serve: install
	BACKHAUL_DEBUG=true $(BACKHAUL) runserver $(HOST):$(PORT)

test: install
	$(BIN)/pytest -q -n 2

# Connections are closed after each request in tests: threads that serve or write (live
# server, bill-run writer) must not keep one open when the test database is dropped.
test-postgres: install
	DATABASE_URL=$(PG_URL) BACKHAUL_DB_CONN_MAX_AGE=0 $(BIN)/pytest -q -n 2

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy

format: install
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

typecheck: install
	$(BIN)/mypy

bench: install
	@mkdir -p var/bench
	@ls bench/*.py >/dev/null 2>&1 && for b in bench/*.py; do $(BIN)/python $$b; done || echo '{"benchmarks": []}'

clean:
	rm -rf $(VENV) var/*.sqlite3* .pytest_cache .ruff_cache .mypy_cache

# Each area may add its own targets (for example `make radius`) in mk/<area>.mk.
-include mk/*.mk

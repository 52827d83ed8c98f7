# Two commands matter: `make run` (the demo on http://127.0.0.1:5000) and
# `make test` (the whole suite).  Everything else is a building block.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export SERVICEDESK_INSTANCE_PATH ?= $(CURDIR)/instance
# One pytest-xdist worker per core; each has its own test database and Redis db.
TEST_WORKERS ?= auto

.PHONY: run test lint bench install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools

$(STAMP): $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	SERVICEDESK_DEMO=1 $(BIN)/servicedesk --log-level WARNING demo
	SERVICEDESK_DEMO=1 $(BIN)/servicedesk serve --host 127.0.0.1 --port 5000

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python tests/security/audit_dependencies.py

test: lint
	$(BIN)/python tests/setup_services.py
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --durations=20 --durations-min=2 $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build dist *.egg-info instance

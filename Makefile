# Two commands set up a fresh machine:
#   make run    create the virtualenv, install, migrate, load demo data, start web + worker + beat
#   make test   run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench bench-small load setup migrate demo clean vendor

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

migrate: setup
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py backfill_kpis --last 13 --grain month -v0
	$(BIN)/python manage.py backfill_kpis --last 5 --grain quarter -v0
	$(BIN)/python manage.py backfill_kpis --last 2 --grain year -v0

run: demo
	@echo
	@echo "  Truthful CRM is starting on http://127.0.0.1:$(PORT)/"
	@echo "  Dev mailbox (e-mails the app sends): http://127.0.0.1:$(PORT)/dev/mailbox/"
	@echo
	PORT=$(PORT) $(BIN)/honcho start

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# KPI benchmark on PostgreSQL (DATABASE_URL): loads 200 BRMs / 20k clients / 24 months if the
# database has no demo organisation, snapshots a month and backfills 24 (docs/kpis-implementation.md).
bench: migrate
	$(BIN)/python manage.py bench_kpis $(BENCH_ARGS)

# The small benchmark (40 BRMs, 4k clients, 12 months) with work_mem 256kB, where every hash
# spills: fails if the month snapshot costs more than 4x the floor (a plan cliff).
bench-small: migrate
	$(BIN)/python manage.py bench_kpis --scale 0.2 --months 12 --backfill 12 --work-mem 256kB \
		--grains month --write-seconds 0 --explain 8 --max-snapshot-ratio 4 $(BENCH_ARGS)

# Load test (tests/load/run.py): gunicorn in production mode on 127.0.0.1 driven by locust, on
# the benchmark dataset (LOAD_DATABASE_URL, default metrics_bench; refuses without it).
$(VENV)/.installed-load: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,load]'
	touch $@

load: $(VENV)/.installed-load
	$(BIN)/python tests/load/run.py

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) data staticfiles

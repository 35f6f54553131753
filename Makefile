# Two commands matter: `make run` (the whole system with demo data) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/honcho run $(BIN)/python manage.py
PORT ?= 8000

.PHONY: run test install translations messages lint typecheck pytest clean bench-submit bench-workflow bench-analysis bench-qr bench-cycle-load

run: install .env translations
	$(MANAGE) migrate --noinput
	$(MANAGE) collectstatic --noinput --verbosity 0
	$(MANAGE) load_demo
	@echo ""
	@echo "  Open http://127.0.0.1:$(PORT)/  (Ctrl-C stops web, worker and beat)"
	@echo "  Demo logins, password 'demo':"
	@echo "    koordynator   quality coordinator"
	@echo "    kierownik.so  head of Wydział Spraw Obywatelskich (zastepca.so is the deputy)"
	@echo "    kierownik.usc head of Urząd Stanu Cywilnego"
	@echo "    pracownik.bok staff, Biuro Obsługi Klienta"
	@echo "    audytor       auditor (read-only)"
	@echo "    admin         administrator (Django admin)"
	@echo ""
	PATH="$(CURDIR)/$(BIN):$$PATH" PORT=$(PORT) $(BIN)/python -m qms.supervisor --env-file .env

test: install translations lint typecheck pytest

install: $(VENV)/.installed

$(VENV)/.installed: requirements.lock
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and "Python 3.11 is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	touch $@

# A local .env for `make run`: embedded mode with a fresh secret key.
.env:
	$(BIN)/python -c 'import secrets; print(f"SECRET_KEY={secrets.token_urlsafe(50)}")' > .env
	echo "SITE_URL=http://127.0.0.1:$(PORT)" >> .env

# Compiles .po → .mo with Babel (pure Python: no gettext needed on the machine).
translations: install
	$(BIN)/pybabel compile --domain django --directory locale --statistics 2>&1 | grep -v '^$$' || true
	$(BIN)/pybabel compile --domain django --directory locale_vendor
	@test -f locale/pl/LC_MESSAGES/django.mo && test -f locale_vendor/pl/LC_MESSAGES/django.mo

# Re-extract the project's strings (needs GNU gettext); then translate locale/*/django.po.
messages: install
	DEBUG=1 $(BIN)/python manage.py makemessages --locale pl --locale en --ignore '.venv/*' --ignore 'data/*' --no-obsolete

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	DEBUG=1 $(BIN)/mypy .

# In parallel (pytest-xdist: a test database per worker, on SQLite and PostgreSQL alike).
PYTEST_ARGS ?= -n auto
pytest: install translations
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

# Benchmark of anonymous survey submission against a baseline view (bench/README.md):
# SQLite always; PostgreSQL (+ Redis cache) too when BENCH_DATABASE_URL (+ BENCH_REDIS_URL)
# is set. The database named in BENCH_DATABASE_URL is dropped and re-created.
# The SQLite run also measures the peer (django-survey-and-report 1.5.0 in its own
# virtualenv, BENCH_PEER_VENV or /tmp/qms-bench-peer/venv) and fails if (a)/(peer) < 3;
# BENCH_PEER= leaves it out.
BENCH_DURATION ?= 20
BENCH_CONNECTIONS ?= 32
BENCH_ROUNDS ?= 1
BENCH_FLOOR ?= --floor
BENCH_PEER ?= --peer
BENCH_ARGS = --duration $(BENCH_DURATION) --connections $(BENCH_CONNECTIONS) --rounds $(BENCH_ROUNDS) $(BENCH_FLOOR)
bench-submit:
	@test -x $(BIN)/python || { echo "no $(VENV): run 'make install' first"; exit 1; }
	@status=0; \
	$(BIN)/python -m bench.run_submit $(BENCH_ARGS) $(BENCH_PEER) || status=1; \
	if [ -n "$(BENCH_DATABASE_URL)" ]; then \
	  $(BIN)/python -m bench.run_submit $(BENCH_ARGS) --database-url "$(BENCH_DATABASE_URL)" \
	    $(if $(BENCH_REDIS_URL),--redis-url "$(BENCH_REDIS_URL)") || status=1; \
	else \
	  echo "PostgreSQL run skipped: set BENCH_DATABASE_URL (see bench/README.md)"; \
	fi; \
	exit $$status

# Benchmark of the nonconformity pages (lists, inboxes, item and task pages) on BENCH_NC
# generated items against a 200-item baseline, same run (bench/README.md): SQLite always;
# PostgreSQL too when BENCH_DATABASE_URL is set (it and <name>_small are dropped and re-created).
BENCH_NC ?= 100000
BENCH_REQUESTS ?= 50
BENCH_WORKFLOW_ARGS = --items $(BENCH_NC) --requests $(BENCH_REQUESTS)
bench-workflow:
	@test -x $(BIN)/python || { echo "no $(VENV): run 'make install' first"; exit 1; }
	@status=0; \
	$(BIN)/python -m bench.run_workflow $(BENCH_WORKFLOW_ARGS) || status=1; \
	if [ -n "$(BENCH_DATABASE_URL)" ]; then \
	  $(BIN)/python -m bench.run_workflow $(BENCH_WORKFLOW_ARGS) --database-url "$(BENCH_DATABASE_URL)" \
	    $(if $(BENCH_REDIS_URL),--redis-url "$(BENCH_REDIS_URL)") || status=1; \
	else \
	  echo "PostgreSQL run skipped: set BENCH_DATABASE_URL (see bench/README.md)"; \
	fi; \
	exit $$status

# Benchmark of the annual review's analysis stage (analyse + findings steps of a cycle) on
# BENCH_ANSWERS generated answers against loading the same rows into a DataFrame, same
# run; then the 12 units' results packs (bench/README.md): SQLite always; PostgreSQL too
# when BENCH_DATABASE_URL is set (that database is dropped and re-created).
BENCH_ANSWERS ?= 1000000
BENCH_ANALYSIS_ROUNDS ?= 3
BENCH_ANALYSIS_ARGS = --answers $(BENCH_ANSWERS) --rounds $(BENCH_ANALYSIS_ROUNDS)
bench-analysis:
	@test -x $(BIN)/python || { echo "no $(VENV): run 'make install' first"; exit 1; }
	@status=0; \
	$(BIN)/python -m bench.run_analysis $(BENCH_ANALYSIS_ARGS) || status=1; \
	if [ -n "$(BENCH_DATABASE_URL)" ]; then \
	  $(BIN)/python -m bench.run_analysis $(BENCH_ANALYSIS_ARGS) --database-url "$(BENCH_DATABASE_URL)" \
	    $(if $(BENCH_REDIS_URL),--redis-url "$(BENCH_REDIS_URL)") || status=1; \
	else \
	  echo "PostgreSQL run skipped: set BENCH_DATABASE_URL (see bench/README.md)"; \
	fi; \
	exit $$status

clean:
	rm -rf data .pytest_cache .mypy_cache .ruff_cache

# The public form while a full review cycle with its results packs runs on SQLite
# (bench/run_cycle_load.py): p99 and errors of the form during the sweep vs. without.
BENCH_CYCLE_ARGS ?= --connections 8 --baseline 30
bench-cycle-load:
	@test -x $(BIN)/python || { echo "no $(VENV): run 'make install' first"; exit 1; }
	$(BIN)/python -m bench.run_cycle_load $(BENCH_CYCLE_ARGS)

# The all-desks QR sheet of BENCH_QR_DESKS desks against the same sheet with empty boxes
# for codes, same run (bench/run_qr.py).
BENCH_QR_DESKS ?= 200
bench-qr:
	@test -x $(BIN)/python || { echo "no $(VENV): run 'make install' first"; exit 1; }
	$(BIN)/python -m bench.run_qr --desks $(BENCH_QR_DESKS)

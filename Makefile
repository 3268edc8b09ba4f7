# The two commands of the README:  make run  (the app on SQLite + demo clips)  and  make test.
# make serve REPLICAS=2: a real study, N replicas on PostgreSQL behind nginx (deploy/serve.sh).
# Both create a virtual environment in .venv unless one is already active, and install the
# project only when pyproject.toml changed since the last install.

VENV_DIR := $(if $(VIRTUAL_ENV),$(VIRTUAL_ENV),.venv)
PYTHON   := $(VENV_DIR)/bin/python
BOOT_PY  ?= python3
RUN_STAMP  := $(VENV_DIR)/.human-touch-installed
TEST_STAMP := $(VENV_DIR)/.human-touch-test-installed
export NUMBA_CACHE_DIR ?= $(CURDIR)/.numba-cache
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run serve test lint install system-deps benchmarks clean-data catalogs

REPLICAS ?= 2

run: $(RUN_STAMP)
	$(PYTHON) -m human_touch.cli prepare
	$(PYTHON) -m streamlit run app.py --server.headless true --browser.gatherUsageStats false

serve: $(RUN_STAMP)
	REPLICAS=$(REPLICAS) PYTHON=$(PYTHON) bash deploy/serve.sh

test: lint system-deps
	HUMAN_TOUCH_TEST_PG_URL="$${HUMAN_TOUCH_TEST_PG_URL:-$$(bash scripts/start_test_postgres.sh 2>/dev/null || true)}" \
		$(PYTHON) -m pytest

# Lint, format and types before any test (configuration in pyproject.toml); `ruff format .` fixes
# the formatting, `ruff check --fix .` the fixable lint.
lint: $(TEST_STAMP)
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m mypy

install: $(RUN_STAMP)

# The app needs only the runtime dependencies; the test extra adds Playwright and friends.
$(RUN_STAMP): pyproject.toml
	@test -x $(PYTHON) || $(BOOT_PY) -m venv $(VENV_DIR)
	$(PYTHON) -m pip install -q --upgrade pip
	$(PYTHON) -m pip install -q -e .
	@touch $(RUN_STAMP)

$(TEST_STAMP): $(RUN_STAMP)
	$(PYTHON) -m pip install -q -e '.[test]'
	@touch $(TEST_STAMP)

system-deps:
	@bash scripts/system_deps.sh

benchmarks: $(TEST_STAMP)
	for script in benchmarks/*.py; do $(PYTHON) $$script || exit 1; done

clean-data:
	rm -rf data

# The message catalogs (core/locales/<language>/LC_MESSAGES/messages.po): extract every _("..."),
# N_("...") and ngettext(...) from the code (babel.cfg) and merge the new and changed message ids
# into each language's .po, where a translator fills in (or checks, when marked fuzzy) the msgstr.
# The app compiles the .po files in memory when it starts, so there is nothing else to build.
catalogs: $(RUN_STAMP)
	@mkdir -p build
	$(PYTHON) -m babel.messages.frontend extract -F babel.cfg --no-wrap --add-location=file \
		--project=human-touch --copyright-holder="Human Touch" -o build/messages.pot .
	$(PYTHON) -m babel.messages.frontend update -i build/messages.pot -d core/locales -D messages \
		--no-wrap --ignore-obsolete --ignore-pot-creation-date

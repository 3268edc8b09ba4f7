# The two commands of the README:  make run  (the app on SQLite + demo clips)  and  make test.
# make serve REPLICAS=2: a real study, N replicas on PostgreSQL behind nginx (deploy/serve.sh).
# Both create a virtual environment in .venv unless one is already active, and install exactly the
# versions in the lock files (requirements/*.txt, with hashes) when a lock changed since the last
# install. `make lock` refreshes the locks; `make test-latest` tries the newest releases instead.

VENV_DIR := $(if $(VIRTUAL_ENV),$(VIRTUAL_ENV),.venv)
PYTHON   := $(VENV_DIR)/bin/python
BOOT_PY  ?= python3
RUN_STAMP  := $(VENV_DIR)/.human-touch-installed
TEST_STAMP := $(VENV_DIR)/.human-touch-test-installed
export NUMBA_CACHE_DIR ?= $(CURDIR)/.numba-cache
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run serve test test-latest lint lock install system-deps benchmarks clean-data catalogs

# uv resolves and installs: one tool for a universal, hash-checked lock and for exact syncs (5.5 s for the
# whole test lock into a fresh .venv here). Its own version is pinned with hashes in
# requirements/uv.txt and installed by pip beside the environment's packages (--target), so that syncing
# the environment cannot remove it.
UV := $(VENV_DIR)/uv-tool/bin/uv
LOCK_PYTHON := 3.11

REPLICAS ?= 2

run: $(RUN_STAMP)
	$(PYTHON) -m human_touch.cli prepare
	$(PYTHON) -m streamlit run app.py --server.headless true --browser.gatherUsageStats false

serve: $(RUN_STAMP)
	REPLICAS=$(REPLICAS) PYTHON=$(PYTHON) bash deploy/serve.sh

# The suite on TEST_WORKERS processes (pytest-xdist; each has its own SQLite and PostgreSQL databases,
# servers on free ports), then the 30 slowest tests. Work stealing: a worker that runs out takes queued
# tests from the other, since a browser journey (mostly waiting for clips to play) takes minutes.
TEST_WORKERS ?= 2
PYTEST_ARGS ?=
test: lint system-deps
	HUMAN_TOUCH_TEST_PG_URL="$${HUMAN_TOUCH_TEST_PG_URL:-$$(bash scripts/start_test_postgres.sh 2>/dev/null || true)}" \
		$(PYTHON) -m pytest -n $(TEST_WORKERS) --dist worksteal --durations=30 $(PYTEST_ARGS)

# Upgrade check, not part of CI: the newest releases the pyproject's ranges allow, in .venv-latest.
test-latest: system-deps
	@test -x .venv-latest/bin/python || $(BOOT_PY) -m venv .venv-latest
	.venv-latest/bin/python -m pip install -q --upgrade pip
	.venv-latest/bin/python -m pip install -q --upgrade --upgrade-strategy eager -e '.[test]'
	.venv-latest/bin/python -m pip freeze --exclude-editable
	HUMAN_TOUCH_TEST_PG_URL="$${HUMAN_TOUCH_TEST_PG_URL:-$$(bash scripts/start_test_postgres.sh 2>/dev/null || true)}" \
		.venv-latest/bin/python -m pytest -n $(TEST_WORKERS) --dist worksteal --durations=30 $(PYTEST_ARGS)

# Refresh the locks to the newest versions the pyproject allows (one resolution for every platform,
# pinned for Python $(LOCK_PYTHON)). The app lock is constrained by the test lock, so `make run` and
# `make test` install the same version of every shared package.
lock: $(UV)
	$(UV) pip compile pyproject.toml --upgrade --universal --python-version $(LOCK_PYTHON) --extra test \
		--generate-hashes --no-header -q -o requirements/test.txt
	$(UV) pip compile pyproject.toml --universal --python-version $(LOCK_PYTHON) -c requirements/test.txt \
		--generate-hashes --no-header -q -o requirements/app.txt

# Lint, format and types before any test (configuration in pyproject.toml); `ruff format .` fixes
# the formatting, `ruff check --fix .` the fixable lint.
lint: $(TEST_STAMP)
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m mypy

install: $(RUN_STAMP)

$(UV): requirements/uv.txt
	@test -x $(PYTHON) || $(BOOT_PY) -m venv $(VENV_DIR)
	$(PYTHON) -m pip install -q --require-hashes --no-deps --upgrade --target $(VENV_DIR)/uv-tool -r requirements/uv.txt
	@touch $(UV)

# The app needs only the runtime lock; the test lock adds Playwright and friends and is synced
# exactly (anything not in it is removed), so a test run sees the locked set and nothing else.
$(RUN_STAMP): requirements/app.txt pyproject.toml | $(UV)
	$(UV) pip install -q --python $(PYTHON) --require-hashes -r requirements/app.txt
	$(UV) pip install -q --python $(PYTHON) --no-deps -e .
	@touch $(RUN_STAMP)

$(TEST_STAMP): requirements/test.txt $(RUN_STAMP) | $(UV)
	$(UV) pip sync -q --python $(PYTHON) --require-hashes requirements/test.txt
	$(UV) pip install -q --python $(PYTHON) --no-deps -e .
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

# Two commands matter: `make up` runs the platform, `make test` checks it.
# Everything else here is a step of those two or a way to clean up after them.
# On a fresh clone the first run creates .venv, installs the package, fetches
# the Kafka jars from Maven Central and, if package.json exists, the node tools.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Re-install only when pyproject.toml changes.
VENV_STAMP := $(VENV)/.installed-stamp
# npm writes node_modules/.package-lock.json on every install: it is stale when
# package.json or package-lock.json is newer.
NODE_STAMP := node_modules/.package-lock.json

.DEFAULT_GOAL := help
.PHONY: help venv node kafka postgres up test bench lint typecheck down clean distclean

help:
	@echo "make up         run Kafka and the four services until Ctrl-C"
	@echo "                (DATABASE=postgresql: on a local PostgreSQL; REPLICAS=N: N processes each)"
	@echo "make test       lint, type-check and run the whole test suite"
	@echo "make bench      benchmark: raw Kafka baseline, end-to-end flows, per-hop throughput"
	@echo "make venv       create .venv and install the package (only when pyproject.toml changed)"
	@echo "make kafka      fetch the pinned Kafka jars from Maven Central"
	@echo "make postgres   install PostgreSQL's server binaries (Debian) when they are missing"
	@echo "make lint       ruff check"
	@echo "make typecheck  mypy (strict, configured in pyproject.toml)"
	@echo "make down       stop services and Kafka brokers left running by this checkout"
	@echo "make clean      down, then remove var/ (data, logs, jars) and caches"

venv: $(VENV_STAMP)

$(VENV_STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or later is needed (found " + sys.version.split()[0] + "); set PYTHON=python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

ifneq ($(wildcard package.json),)
node: $(NODE_STAMP)
$(NODE_STAMP): package.json $(wildcard package-lock.json)
	if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
	touch $@
else
node:
	@true
endif

kafka: venv
	$(BIN)/taskforce kafka fetch

# The suite runs every database test on PostgreSQL too, on a server of its own
# (tests/databases.py): only the Debian server binaries are needed, no cluster of
# the package's own (createcluster.conf says not to make one).
postgres:
	@if [ -n "$$TASKFORCE_PG_BIN" ] || ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then \
		true; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		mkdir -p /etc/postgresql-common; \
		echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; \
	else \
		echo "PostgreSQL's server binaries are missing: sudo apt-get install postgresql" >&2; exit 1; \
	fi

# DATABASE=postgresql and REPLICAS=N pass --database and --replicas; TASKFORCE_DATABASE
# and TASKFORCE_REPLICAS (environment or make's command line) do the same.
up: venv
	$(BIN)/taskforce up $(if $(DATABASE),--database $(DATABASE)) $(if $(REPLICAS),--replicas $(REPLICAS))

# pytest starts its own broker (tests/conftest.py) from the same jars; fetching them
# first keeps the one-time download out of any test's timeout.
test: venv node kafka postgres
	$(BIN)/ruff check .
	$(BIN)/mypy shared services tests bench
	$(BIN)/python -m tests.run_suite --durations=15

# Not part of `make test`: its own broker and services on spare ports under var/bench,
# stopped again at the end (also on Ctrl-C). BENCH_ARGS passes options, e.g. --rate 50.
bench: venv kafka
	$(BIN)/python -m bench.run $(BENCH_ARGS)

lint: venv
	$(BIN)/ruff check .

typecheck: venv
	$(BIN)/mypy shared services tests bench

# Only what this checkout started: services recorded in var/run, the broker and
# PostgreSQL of `make up` (var/kafka, var/postgres) and the test suite's broker and
# PostgreSQL (var/test/kafka, var/test/postgres).
down:
	@if [ -x $(BIN)/taskforce ]; then \
		$(BIN)/taskforce down; \
		TASKFORCE_VAR_DIR="$(CURDIR)/var/test" $(BIN)/taskforce kafka stop; \
		TASKFORCE_VAR_DIR="$(CURDIR)/var/test" TASKFORCE_PG_PORT="$${TASKFORCE_TEST_PG_PORT:-19432}" \
			$(BIN)/taskforce postgres stop; \
	fi

clean: down
	rm -rf var .mypy_cache .ruff_cache .pytest_cache build
	find shared services tests bench -name __pycache__ -type d -prune -exec rm -rf {} +

# Also forget the installed environments; the next `make` starts from scratch.
distclean: clean
	rm -rf $(VENV) node_modules *.egg-info

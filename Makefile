# Two commands do all the set-up on a fresh machine (Python 3.11, make):
#   make demo   install into .venv and run the main job end to end
#   make test   install into .venv and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DATA ?= ../shared/data
DEMO ?= demo-out

# Debian packages the tests use for real: a browser for the report tests, a PostgreSQL
# server for the case store tests (tests/test_cases.py starts its own).
SYSTEM_PACKAGES ?= chromium postgresql

.PHONY: demo test lint bench clean system-deps example-report

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/unmask ingest $(DATA)/coortweet $(DATA)/crowdtangle $(DATA)/ira-sample --store $(DEMO)/store
	$(BIN)/unmask info --store $(DEMO)/store
	rm -rf $(DEMO)/world $(DEMO)/run $(DEMO)/report
	$(BIN)/unmask simulate --out $(DEMO)/world --scenario small --seed 1
	$(BIN)/unmask detect --store $(DEMO)/world/store --out $(DEMO)/run
	$(BIN)/unmask report --run $(DEMO)/run --out $(DEMO)/report
	$(BIN)/unmask evaluate --truth $(DEMO)/world/truth --run $(DEMO)/run

# docs/example-report: the report of the small world (seed 1) with every default signal.
example-report: $(STAMP)
	rm -rf $(DEMO)/example docs/example-report
	$(BIN)/unmask simulate --out $(DEMO)/example/world --scenario small --seed 1
	$(BIN)/unmask detect --store $(DEMO)/example/world/store --out $(DEMO)/example/run --no-record
	$(BIN)/unmask report --run $(DEMO)/example/run --out docs/example-report

# Installs what is missing when run as root (CI, a fresh machine); otherwise says what is
# missing, and the tests that need it skip (CI sets UNMASK_REQUIRE_* so that they fail).
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing fonts-noto-cjk; \
	  else echo "note: missing system packages:$$missing (install them with apt as root)"; fi; \
	fi

test: $(STAMP) system-deps
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

clean:
	rm -rf $(VENV) $(DEMO)

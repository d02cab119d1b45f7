# The two commands a new user needs: `make run` and `make test`.
# Both create .venv and install the pinned dependencies on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum requirements/dev.txt | cut -d' ' -f1)

export SAM_CLI_TELEMETRY := 0

.PHONY: venv run test lint typecheck browser unit events bench screenshot build deploy clean

STACK ?= x-dm-channel

# The benchmark runs where only the Lambda runtime's packages are (no dev tools on the import path).
BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed-$(shell cat requirements/bench.txt layers/deps/requirements.txt | cksum | cut -d' ' -f1)

$(STAMP): requirements/dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps --editable .
	rm -f $(VENV)/.installed-*
	touch $@

venv: $(STAMP)

run: $(STAMP)
	PYTHONPATH=layers/shared:. $(BIN)/python -m devstack.run

test: lint typecheck browser unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# The simulator's browser test drives Debian's Chromium (no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Chromium (Debian package) for the browser test"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

unit: $(STAMP)
	$(BIN)/pytest

screenshot: $(STAMP) browser
	SIMULATOR_SCREENSHOT=docs/simulator.png $(BIN)/pytest -q tests/test_simulator_browser.py

events: $(STAMP)
	PYTHONPATH=layers/shared:. $(BIN)/python -m devstack.sample_events

$(BENCH_STAMP): requirements/bench.txt layers/deps/requirements.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet -r requirements/bench.txt
	rm -f $(BENCH_VENV)/.installed-*
	touch $@

bench: $(BENCH_STAMP) $(STAMP)
	$(BENCH_VENV)/bin/python scripts/bench_cold_start.py
	$(BIN)/python scripts/bench_pipeline.py

build: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/sam build

# Guided the first time (the stack does not exist yet), then with samconfig.toml's answers.
deploy: build
	if $(BIN)/x-dm-channel status --stack $(STACK) >/dev/null 2>&1; then \
		$(BIN)/sam deploy --stack-name $(STACK); \
	else \
		$(BIN)/sam deploy --guided --stack-name $(STACK); \
	fi
	$(BIN)/x-dm-channel status --stack $(STACK)

clean:
	rm -rf $(VENV) $(BENCH_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache

# Two commands: `make demo` and `make test`. Each sets everything up on a fresh machine first.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Prefect keeps its own database next to the project, so `make ui` shows the runs `make demo` made. The
# `weaver` command sets the same defaults itself (deployments/server.py), so .venv/bin/weaver behaves alike.
export PREFECT_HOME ?= $(CURDIR)/.prefect
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export DO_NOT_TRACK ?= 1

.PHONY: install browser postgres imap demo test screenshots lint format ui ui-stop serve webhooks prefect-yaml bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv
	$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -e '.[dev]' \
		|| $(BIN)/python -m pip install -q -e '.[dev]'
	@# bytecode now: where PYTHONDONTWRITEBYTECODE is set, every command compiled Prefect & co. from source (~1 s)
	$(BIN)/python -m compileall -q -j0 $(VENV)/lib >/dev/null 2>&1 || true
	touch $@

install: $(VENV)/.installed

# Headless Chromium (Debian's package) opens the pages we write in the tests; without it they skip and say so.
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
		|| echo "chromium could not be installed: the page tests will be skipped"
	@fc-list :lang=zh 2>/dev/null | grep -q . || (apt-get update -qq && apt-get install -y -qq fonts-noto-cjk >/dev/null) \
		|| echo "fonts-noto-cjk could not be installed: Chinese pages and PDFs may show missing glyphs"

# PostgreSQL's server (Debian's package): the state and ledger tests also run on a real PostgreSQL server
# that the test session starts on loopback in a temporary directory; without it those cases skip and say so.
postgres:
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
		|| (apt-get update -qq && apt-get install -y -qq postgresql >/dev/null) \
		|| echo "postgresql could not be installed: the [postgresql] tests will be skipped"

# Dovecot's IMAP server (Debian's package): the bounce tests start it on loopback in a temporary directory and
# append delivery-status notifications to it; without it those tests skip and say so.
imap:
	@command -v dovecot >/dev/null 2>&1 || test -x /usr/sbin/dovecot \
		|| (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null) \
		|| echo "dovecot-imapd could not be installed: the bounce mailbox tests will be skipped"

demo: install browser
	@$(BIN)/python -m compileall -q -j0 connectors deployments flows tasks weaver demo >/dev/null 2>&1 || true
	$(BIN)/weaver demo

# The suite on TEST_WORKERS pytest-xdist workers (each its own Prefect harness, PostgreSQL, ...; tests/conftest.py);
# worksteal: an idle worker takes tests queued on a busy one. `make test TEST_WORKERS=0` runs it in one process.
TEST_WORKERS ?= 4
test: install browser postgres imap
	$(BIN)/ruff check .
	@# our bytecode first: where PYTHONDONTWRITEBYTECODE is set, every worker and every subprocess a test starts
	@# (weaver, serve, prefect deploy, ...) compiled our ~500 modules from source
	@$(BIN)/python -m compileall -q -j0 connectors deployments flows tasks weaver demo tests benchmarks >/dev/null 2>&1 || true
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal --durations=25

# Retake the README's Prefect UI screenshots (docs/ui-*.png) with the test that checks what they show
screenshots: install browser
	WEAVER_UPDATE_SCREENSHOTS=1 $(BIN)/pytest -p no:cacheprovider tests/deployments/test_ui.py

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

# The local Prefect server `make demo` and every `weaver run` use (started once, in the background).
ui: install
	$(BIN)/weaver server start

ui-stop: install
	$(BIN)/weaver server stop

# Serve the demo network's deployments (schedules, Run buttons) to the local server (or to PREFECT_API_URL).
serve: install
	test -f demo-network/weaver.toml || $(BIN)/weaver init demo-network
	$(BIN)/python -m deployments.serve -c demo-network

# The form webhook receiver for the demo network (set WEAVER_JOIN_FORM_SECRET and WEAVER_RSVP_FORM_SECRET).
webhooks: install
	$(BIN)/weaver webhooks -c demo-network

prefect-yaml: install
	$(BIN)/python -m deployments.project -c demo --workspace demo-network > prefect.yaml

bench: install
	$(BIN)/python -m benchmarks.member_sync
	$(BIN)/python -m benchmarks.audience

clean:
	test ! -x $(BIN)/weaver || $(BIN)/weaver server stop
	rm -rf $(VENV) .prefect demo-network .pytest_cache

# ICSAT: two commands. `make run` sets up and starts the app on a demo organisation;
# `make test` sets up and runs every test, the browser tests included.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DB ?= $(or $(ICSAT_DB),data/icsat.duckdb)
PORT ?= 8501
CHROMIUM := /usr/bin/chromium

.PHONY: run run-replicas test venv demo-db browser-deps postgres-deps nginx-deps lint format bench clean

run: venv demo-db
	ICSAT_DB=$(DB) $(BIN)/streamlit run app.py --server.port $(PORT)

# PostgreSQL, two app processes and nginx on this machine, with the demo (deploy/try_replicas.py)
run-replicas: venv postgres-deps nginx-deps
	$(BIN)/python deploy/try_replicas.py --port $(or $(NGINX_PORT),8080)

test: venv browser-deps postgres-deps nginx-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

venv: $(STAMP)

$(STAMP): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

# The demo organisation and its documented demo accounts, only when the database does not exist yet.
demo-db: venv
	@if [ ! -f "$(DB)" ]; then \
		$(BIN)/python cli.py demo --db "$(DB)" && \
		$(BIN)/python cli.py demo-users --db "$(DB)"; \
	else echo "using the existing database $(DB)"; fi

# Browser tests drive Debian's Chromium through Playwright (Playwright's own browser download is
# not available everywhere); Chinese text needs the Noto CJK fonts.
browser-deps:
	@if [ -x $(CHROMIUM) ] && fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then exit 0; fi; \
	if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "installing chromium and fonts-noto-cjk with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	else \
		echo "The browser tests need the Debian packages 'chromium' (at $(CHROMIUM)) and 'fonts-noto-cjk'."; \
		echo "Install them with: sudo apt-get install chromium fonts-noto-cjk"; exit 1; \
	fi

# The store's tests run on DuckDB and on PostgreSQL: tests/pg.py starts a server of their own (initdb,
# pg_ctl) on 127.0.0.1 in a temporary folder, from Debian's `postgresql` package.
postgres-deps:
	@if command -v pg_config >/dev/null && [ -x "$$(pg_config --bindir)/initdb" ]; then exit 0; fi; \
	if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "installing postgresql with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	else \
		echo "The store's tests need the Debian package 'postgresql' (initdb and pg_ctl; no server is used)."; \
		echo "Install it with: sudo apt-get install postgresql"; exit 1; \
	fi

# tests/test_deploy_config.py runs deploy/nginx-replicas.conf in a real nginx of its own (tests/nginx.py:
# a temporary prefix, a free port on 127.0.0.1; the system's nginx service is not used), from Debian's
# `nginx` package.
nginx-deps:
	@if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then exit 0; fi; \
	if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		echo "installing nginx with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; \
	else \
		echo "The deployment tests need the Debian package 'nginx' (at /usr/sbin/nginx; no service is used)."; \
		echo "Install it with: sudo apt-get install nginx"; exit 1; \
	fi

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: venv
	$(BIN)/python bench/submissions.py
	$(BIN)/python bench/analysis.py
	$(BIN)/python bench/exports.py
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/survey.py
	$(BIN)/python bench/durability.py
	$(BIN)/python bench/soak.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache tests/artifacts

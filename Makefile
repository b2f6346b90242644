# make run   - install, migrate, load boards and demo content, serve on http://127.0.0.1:5000
#              with the worker and the LMTP listener (127.0.0.1:8024)
# make test  - install, lint, run the suite on SQLite and on PostgreSQL
# make bench - the main pages under load (anonymous, signed in), CPU per page and per reply,
#              replies/s from 8 writers; BENCH_PEER=flaskbb also measures FlaskBB beside it
# make bench-search - index the large data set and measure search
# make bench-mail - digests, fan-out and delivery over the large data set
# make bench-cluster - two web servers and two workers on PostgreSQL and Redis under load,
#              then checks that posts, pages, search, mail and rate limits held
# make bench-weight - page weight on the wire, requests on a return visit, first render on slow 3G
# make bench-report - compiling a year's report at 200,000 posts, on SQLite and PostgreSQL
# make bench-size - CPU per page at 20,000 and at 200,000 posts, and how much it grew

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export FORUM_TEST_POSTGRES_URL ?= $(POSTGRES_URL)
BENCH_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/bench_cluster
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/9

.PHONY: install translations static run lint test test-sqlite test-postgres bench bench-search bench-mail bench-cluster bench-weight bench-report bench-size messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@echo "Installing into $(VENV) ..." >&2
	@$(BIN)/python -m pip install --quiet --upgrade pip >&2
	@$(BIN)/python -m pip install --quiet -e '.[dev]' >&2
	@touch $@

install: $(VENV)/.installed translations static

# Compiled catalogues (.mo) are built from the .po files, never committed.
translations: $(VENV)/.installed
	@if ls forum/translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
		$(BIN)/pybabel compile -d forum/translations >&2; fi

# The static files' Brotli and gzip forms, beside them (generated, never committed).
static: $(VENV)/.installed
	@$(BIN)/python -m forum.assets

run: install
	$(FLASK) db upgrade
	$(FLASK) forum load-boards
	$(FLASK) forum load-pages
	$(FLASK) forum demo --if-empty
	$(FLASK) serve --host 127.0.0.1 --port 5000

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint test-sqlite test-postgres

test-sqlite: install
	$(BIN)/pytest -q

test-postgres: install
	@if $(BIN)/python tests/check_postgres.py "$(FORUM_TEST_POSTGRES_URL)"; then \
		echo "PostgreSQL pass against $(FORUM_TEST_POSTGRES_URL)"; \
		FORUM_TEST_DATABASE_URL="$(FORUM_TEST_POSTGRES_URL)" $(BIN)/pytest -q; \
	elif [ "$$FORUM_REQUIRE_POSTGRES" = "1" ]; then \
		echo "PostgreSQL is required (FORUM_REQUIRE_POSTGRES=1) but $(FORUM_TEST_POSTGRES_URL) does not answer."; \
		exit 1; \
	else \
		echo "SKIPPED the PostgreSQL pass: $(FORUM_TEST_POSTGRES_URL) does not answer."; \
	fi

bench: install
	@$(BIN)/python -m tests.bench.web

bench-search: install
	@$(BIN)/python -m tests.bench.search

bench-mail: install
	@$(BIN)/python -m tests.bench.mail

# Empties the PostgreSQL database and the Redis database it is given.
bench-cluster: install
	@BENCH_DATABASE_URL="$(BENCH_DATABASE_URL)" BENCH_REDIS_URL="$(BENCH_REDIS_URL)" \
		$(BIN)/python -m tests.bench.cluster

bench-weight: install
	@$(BIN)/python -m tests.bench.weight

# Empties the PostgreSQL database it is given (BENCH_REPORT_POSTGRES_URL, bench_report).
bench-report: install
	@$(BIN)/python -m tests.bench.report

# Builds its two data sets once (instance/profile-200/ and instance/profile-2000/).
bench-size: install
	@$(BIN)/python -m tests.bench.profile_pages --compare 200,2000

messages: install
	$(BIN)/pybabel -q extract -F config/babel.cfg -k _l -k lazy_pgettext:1c,2 --ignore-dirs ".*" -o forum/translations/messages.pot .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# cliqserve — the commands a developer and CI use. `make help` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
# Use uv from PATH when there is one; otherwise install it, once, into .tools/ with pip.
UV := $(or $(shell command -v uv 2>/dev/null),.tools/bin/uv)
# Never let uv download an interpreter: it uses the Python this machine has.
export UV_PYTHON_DOWNLOADS := never

.PHONY: help install messages makemessages run test lint format worker beat schema clean

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

# A venv when the interpreter can make one; else pip --target (e.g. Debian without python3-venv).
.tools/bin/uv:
	$(PYTHON) -m venv .tools && .tools/bin/pip install --quiet "uv==$(UV_VERSION)" || { \
	  rm -rf .tools && $(PYTHON) -m pip install --quiet --target .tools/pkg "uv==$(UV_VERSION)" && \
	  mkdir -p .tools/bin && ln -sf ../pkg/bin/uv .tools/bin/uv; }

install: $(UV) ## Create .venv, install the locked dependencies and compile the translations (locale/*.po -> .mo)
	$(UV) sync --frozen --python $(PYTHON)
	$(MAKE) --no-print-directory messages

makemessages: install ## Update locale/{es,fr} from the source (needs GNU gettext); then translate, `make messages`
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-config.settings.dev} $(BIN)/python manage.py makemessages \
	  -l es -l fr --no-location --ignore=.venv --ignore=.tools --ignore=tests --ignore='*/tests/*' \
	  --ignore=bench --ignore=deploy --ignore=docs --ignore=node_modules

messages: ## Compile locale/<lang>/LC_MESSAGES/django.po into .mo (Babel: no GNU gettext needed)
	$(BIN)/pybabel -q compile --domain django --directory locale --statistics

run: install ## Migrate, seed the demo tenant (once; prints its logins) and serve on http://127.0.0.1:$(PORT)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install ## Run the whole test suite with coverage (SQLite unless DATABASE_URL is set); writes coverage.json
	$(BIN)/pytest -n auto --cov --cov-report=term --cov-report=json

lint: install ## ruff, format check, mypy --strict, type-ignore ratchet, semgrep, bandit
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	.ci/type-ignores
	.ci/semgrep
	$(BIN)/bandit -q -c pyproject.toml -r cliqserve config --severity-level medium

format: install ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

worker: install ## Run a Celery worker (needs REDIS_URL)
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-config.settings.dev} $(BIN)/celery -A config worker -l INFO

beat: install ## Run Celery beat, the periodic-task scheduler (needs REDIS_URL)
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-config.settings.dev} $(BIN)/celery -A config beat -l INFO

schema: install ## Write the OpenAPI schema to schema.yml
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file schema.yml

clean: ## Remove the virtualenv, tools and caches (keeps db.sqlite3)
	rm -rf $(VENV) .tools .pytest_cache .mypy_cache .ruff_cache .coverage coverage.json htmlcov staticfiles

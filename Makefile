# Polisure. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
RUNTIME_STAMP := $(VENV)/.runtime-installed
PROJECT_STAMP := $(VENV)/.project-installed
DEV_STAMP := $(VENV)/.dev-installed

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -hE '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | sort | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUNTIME_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

# The project itself, editable: models/, training/ and service/ import from this
# checkout without any path patching. Its dependencies are the pins above.
$(PROJECT_STAMP): pyproject.toml $(RUNTIME_STAMP)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt $(PROJECT_STAMP)
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(DEV_STAMP) ## create .venv with the pinned runtime and dev requirements and the project (editable)

# The self-assessment's gettext catalogs: .po files in the repository, .mo compiled here
# (never at run time, never committed). `make messages` after changing a text.
TRANSLATIONS := service/translations
PO_FILES := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po $(RUNTIME_STAMP)
	$(BIN)/pybabel compile -i $< -o $@ -l $*

translations: $(MO_FILES) ## compile the page's translations (.po -> .mo)

messages: $(DEV_STAMP) ## extract the page's texts into messages.pot and update every .po
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--project=Polisure --copyright-holder=Polisure -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) \
		--ignore-obsolete --width=100

run: $(PROJECT_STAMP) translations ## serve the active model on 127.0.0.1:$(PORT) with gunicorn
	@# the compiled loops (numba) built into their cache first, as the Dockerfile does: a cold
	@# compile inside each booting worker would count against gunicorn's 30 s boot timeout
	$(BIN)/python -c "import models.pricing.aggregate, models.scoring.tree_predictor"
	PORT=$(PORT) $(BIN)/gunicorn -c service/gunicorn_conf.py service.wsgi:app

test: lint typecheck pytest ## lint, type-check and run the whole test suite

pytest: $(DEV_STAMP) translations ## run the test suite only
	$(BIN)/python -m pytest

lint: $(DEV_STAMP) ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(DEV_STAMP) ## mypy on models/, training/ and service/
	$(BIN)/mypy

format: $(DEV_STAMP) ## apply ruff formatting and safe fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

docs: $(DEV_STAMP) ## regenerate docs/fields.md from the field spec
	$(BIN)/python -m models.spec.field_docs > docs/fields.md

model: $(DEV_STAMP) ## retrain the shipped default model bundle from the seeded synthetic portfolio
	$(BIN)/python -m training.default_model

notebooks: $(DEV_STAMP) ## regenerate notebooks/*.ipynb (outputs cleared) from their jupytext sources notebooks/NN_*.py
	$(BIN)/python notebooks/build_notebooks.py

bench: $(DEV_STAMP) ## run the benchmarks (prints ratios against bare baselines)
	$(BIN)/python -m benchmarks

clean: ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache polisure.egg-info

.PHONY: help venv run test pytest lint typecheck format docs model notebooks bench clean \
	translations messages

# facilitation — developer commands. Needs only python3, node and npm; everything else lands in
# .venv/ and node_modules/. Every target is safe to run again: stamp files skip work already done.
#
#   make run           install, create the demo moderator + workshop, serve on http://127.0.0.1:5000
#   make test          install with the test tools, lint, run the whole test suite
#   make lint          ruff
#   make translations  extract German msgids, update the English catalog, compile
#   make clean         remove .venv, node_modules and static/vendor

PYTHON ?= python3
NPM ?= npm
NODE ?= node
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
TRANSLATIONS := facilitation/translations
POT := $(TRANSLATIONS)/messages.pot
PYTEST_ARGS ?=

PY_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev
NODE_STAMP := node_modules/.installed
VENDOR_STAMP := static/vendor/.installed
PO_FILES := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: install run test lint translations clean db-upgrade

install: $(PY_STAMP) $(VENDOR_STAMP) $(MO_FILES) db-upgrade

run: install
	$(FLASK) quickstart
	$(BIN)/python wsgi.py

test: install $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .

translations: $(PY_STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --project facilitation --version 0.1.0 \
		--copyright-holder facilitation --no-location --sort-output -o $(POT) .
	$(BIN)/pybabel update -i $(POT) -d $(TRANSLATIONS) --ignore-obsolete --no-fuzzy-matching --ignore-pot-creation-date
	$(BIN)/pybabel compile -d $(TRANSLATIONS) --statistics
	@echo "Now translate every new msgid: fill in the empty msgstr lines in $(PO_FILES)."

clean:
	rm -rf $(VENV) node_modules static/vendor

db-upgrade: $(PY_STAMP)
	$(FLASK) db upgrade

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(PY_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check --quiet -r requirements.txt
	touch $@

$(DEV_STAMP): requirements-dev.txt requirements.txt $(PY_STAMP)
	$(BIN)/python -m pip install --disable-pip-version-check --quiet -r requirements-dev.txt
	touch $@

$(NODE_STAMP): package.json $(wildcard package-lock.json)
	if [ -f package-lock.json ]; then $(NPM) ci --no-audit --no-fund; else $(NPM) install --no-audit --no-fund; fi
	touch $@

$(VENDOR_STAMP): $(NODE_STAMP) scripts/vendor.mjs
	$(NODE) scripts/vendor.mjs
	touch $@

%.mo: %.po $(PY_STAMP)
	$(BIN)/pybabel compile -i $< -o $@

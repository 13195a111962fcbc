# The two commands a new user needs: `make book` and `make test`. Each does all set-up first:
# Debian packages, the virtual environment from the pinned lock, the npm assets, the data.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SCALE ?= 1.0
MONTHS ?= 37
PERIOD ?=
APT_PACKAGES := chromium poppler-utils fonts-dejavu-core

.PHONY: setup spark-classes book editions test test-fast qa bench data clean help

help:
	@echo "make book   - set up, generate the synthetic data if absent, release the latest period"
	@echo "make editions [FROM=2014-02 TO=2016-08] - every edition of the calendar into _build/site"
	@echo "make test   - set up and run the whole test suite (builds books)"
	@echo "make test-fast - unit and property tests only, no book build (the edit-test loop)"
	@echo "make qa PERIOD=YYYY-MM - re-run a release's notebooks (nbval) and check it in a browser"
	@echo "make qa EDITION=2016-05 - the same for an edition of the archive site (_build/site)"
	@echo "make bench [SCALE=1.0 MONTHS=37] - print time, CPU and peak memory of every stage"
	@echo "make spark-classes - archive Spark's classes once (make test does): Spark sessions start faster"

setup: .stamp-apt $(VENV)/.stamp node_modules/.stamp

# Debian packages: Chromium prints the PDF and runs the browser tests; pdftotext reads the PDF;
# Java runs the Spark engine of the measures (`--engine spark`, and its test in `make test`):
# Debian's default-jre-headless where the machine has no Java.
# npm and the venv module come from Debian only where the machine lacks them (a machine whose
# Node.js ships its own npm keeps it).
.stamp-apt: Makefile
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	command -v java >/dev/null 2>&1 || missing="$$missing default-jre-headless"; \
	$(PYTHON) -c 'import venv, ensurepip' >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@touch $@

$(VENV)/.stamp: requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version' 
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	@touch $@

# Spark's classes archived for the JVM's class data sharing (cms_stats.measures.spark_classes),
# for the tests that run Spark: each later Spark session starts in about half the time. Written
# once per environment (about a minute), checked in a second after; only a speed-up: a JVM that
# cannot write it leaves one warning line and Spark runs without it.
spark-classes: setup
	@$(PY) -m cms_stats.measures.spark_classes --if-missing

node_modules/.stamp: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

data: setup
	@test -f data/synthetic/extract.json || $(VENV)/bin/cms-stats synth --out data/synthetic --seed 2012 --scale $(SCALE)

book: data
	@period=$${PERIOD:-$$($(VENV)/bin/cms-stats latest-period)}; \
	$(VENV)/bin/cms-stats release --period $$period

FROM ?= 2014-02
TO ?= 2016-08
editions: data
	$(VENV)/bin/cms-stats editions --from $(FROM) --to $(TO)

# Two or more processes (pytest-xdist), a test module to each: the book builds wait on one core
# for much of their time (Sphinx, the PDF, the audit), so a second module runs beside them.
test: setup spark-classes
	$(VENV)/bin/pytest -q -n auto --dist loadfile

# Everything but the tests marked slow (book builds, full-scale data): seconds, not minutes.
test-fast: setup spark-classes
	$(VENV)/bin/pytest -q -m "not slow" -n auto --dist loadfile

EDITION ?=
qa: setup
	@test -n "$(PERIOD)$(EDITION)" || { echo "usage: make qa PERIOD=YYYY-MM or make qa EDITION=<id in _build/site>"; exit 2; }
	@which=$$( [ -n "$(EDITION)" ] && echo "--edition $(EDITION)" || echo "--period $(PERIOD)" ); \
	$(PY) -m cms_stats.qa nbval $$which && $(PY) -m cms_stats.qa browser $$which

bench: setup
	$(PY) benchmarks/bench.py --scale $(SCALE) --months $(MONTHS)

clean:
	rm -rf _build

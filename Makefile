# Two commands for a fresh clone:  make run  (nightly job on the bundled sample)  and  make test.
# Both create .venv when missing, install the project into it, and pick a Java that Spark 4.1 supports.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
DATE ?= 2012-07-03
LAKE ?= ./lakehouse
PYTEST_ARGS ?=
# make test runs the suite in this many processes (pytest-xdist), each with its own one-core Spark driver and
# whole test modules at a time, so a module's lakes are built once; 0 runs it in this process.
TEST_WORKERS ?= 2
# A JDK Spark 4.1 supports (17 or 21), found by scripts/find-java.sh; empty when there is none.
JAVA_HOME := $(shell scripts/find-java.sh 2>/dev/null)
export JAVA_HOME
# The GraphFrames jars (io.graphframes:graphframes-spark4_2.13:0.11.0 and its graphx jar) from a folder
# beside the clone when there is one; otherwise the session builder resolves them from Maven Central.
SHARED_JARS := $(abspath $(CURDIR)/../shared/jars)
ifneq ($(wildcard $(SHARED_JARS)/graphframes-spark4_2.13-0.11.0.jar),)
INFLUENCE_JARS_DIR ?= $(SHARED_JARS)
export INFLUENCE_JARS_DIR
endif

.PHONY: run run-cluster test lint format notebooks lab bench bench-overhead check-tools clean

run: $(VENV)/.installed-run
	$(VENV)/bin/influence nightly --date $(DATE) --lake $(LAKE)
	$(VENV)/bin/influence runs --lake $(LAKE)

# make run's night on a Spark standalone master and two workers started on this machine, stopped after it.
run-cluster: $(VENV)/.installed-run
	$(VENV)/bin/python -m influence.cluster --workers 2 -- $(VENV)/bin/influence nightly --date $(DATE) --lake $(LAKE)
	$(VENV)/bin/influence runs --lake $(LAKE)

test: $(VENV)/.installed-test
	$(VENV)/bin/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# Every notebook of notebooks/ executed top to bottom on the lake make run built; executed copies in <lake>/ops/notebooks.
notebooks: $(VENV)/.installed-test
	$(VENV)/bin/python -m influence.notebooks --lake $(LAKE)

# JupyterLab on the project's environment, opening notebooks/ on the lake make run built.
lab: $(VENV)/.installed-lab
	INFLUENCE_LAKE=$(abspath $(LAKE)) $(VENV)/bin/jupyter lab --notebook-dir notebooks

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed-test
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(VENV)/.installed-test
	$(VENV)/bin/python bench/centrality.py

bench-overhead: $(VENV)/.installed-test
	$(VENV)/bin/python bench/overhead.py

check-tools:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required but '$(PYTHON)' is not on PATH; install Python 3.11 or run make with PYTHON=/path/to/python3.11."; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { echo "Python 3.11 is required but '$(PYTHON)' is Python $$($(PYTHON) -c 'import platform; print(platform.python_version())'); run make with PYTHON=/path/to/python3.11."; exit 1; }
	@scripts/find-java.sh >/dev/null

$(VENV)/bin/python: | check-tools
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(VENV)/bin/python
	@scripts/find-java.sh >/dev/null
	$(VENV)/bin/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	@scripts/find-java.sh >/dev/null
	$(VENV)/bin/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

# JupyterLab itself: make lab only (the suite runs the notebooks on their kernel alone).
$(VENV)/.installed-lab: pyproject.toml | $(VENV)/bin/python
	@scripts/find-java.sh >/dev/null
	$(VENV)/bin/python -m pip install --quiet -e '.[lab]'
	touch $@ $(VENV)/.installed-run

clean:
	rm -rf $(VENV) $(LAKE) .pytest_cache build

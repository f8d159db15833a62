# Two entry points for a newcomer: `make run` and `make test`. Both create .venv on
# first use and reinstall packages only when a requirements file changed.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python

.PHONY: run test test-fast bench gallery serve-replicas clean

$(PY):
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.run-installed: requirements.txt | $(PY)
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.run-installed

# Two malloc arenas instead of 8 per core: the server's threads then return freed image
# buffers to the same pools, and its memory levels off instead of creeping up. Buffers of
# 1 MiB or more (images, feature stacks, cached bytes) get their own mapping, given back
# when freed: glibc otherwise raises that threshold as such buffers are freed and keeps
# them in its heap (250 MiB free there after a load run, a level that varies by round).
run: $(VENV)/.run-installed
	MALLOC_ARENA_MAX=$${MALLOC_ARENA_MAX:-2} MALLOC_MMAP_THRESHOLD_=$${MALLOC_MMAP_THRESHOLD_:-1048576} \
		$(PY) -m streamlit run app.py

# A lecture hall: N replicas behind nginx (Debian's `nginx` package) on port PORT.
N ?= 2
PORT ?= 8080
serve-replicas: $(VENV)/.run-installed
	$(PY) deploy/serve_replicas.py --replicas $(N) --port $(PORT)

test: $(VENV)/.dev-installed
	$(PY) -m ruff check .
	$(PY) -m pytest

# For quick local loops: lint and every test but the browser and load ones (marked browser).
test-fast: $(VENV)/.dev-installed
	$(PY) -m ruff check .
	$(PY) -m pytest -m "not browser"

bench: $(VENV)/.dev-installed
	$(PY) benchmarks/run_all.py

gallery: $(VENV)/.run-installed
	$(PY) -m conv_engine gallery --out gallery

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-output gallery build dist *.egg-info

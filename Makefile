# `make run` and `make test` each create .venv on first use (and again when pyproject.toml changes).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# The CPU build of PyTorch first, pinned, so nothing later pulls a CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	# compat mode: a plain path entry, so no import goes through setuptools' editable finder (~0.1 s at start-up)
	$(PY) -m pip install --quiet -e '.[test]' --config-settings editable_mode=compat
	touch $(STAMP)

# Byte-compile first: where PYTHONDONTWRITEBYTECODE is set, Python would otherwise recompile trainer's
# modules at every start (~50 ms); compileall skips what is up to date.
run: $(STAMP)
	$(PY) -m compileall -q trainer > /dev/null
	$(VENV)/bin/trainer

test: $(STAMP)
	$(PY) -m pytest -n 2 -q

bench: $(STAMP)
	$(PY) -m compileall -q trainer > /dev/null
	for f in benchmarks/bench_*.py; do $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info

# `make run` and `make test` each create .venv on first use (and again when pyproject.toml changes).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

# Which PyTorch the set-up installs, first and pinned, so that nothing later pulls another build:
#   TORCH_VERSION  the version (default 2.13.0);
#   TORCH_INDEX    the wheel index to take it from. Empty (the default): pip's configured index. On an ordinary Linux
#                  machine PyPI's torch is the CUDA build, so pass the CPU index there:
#                  make run TORCH_INDEX=https://download.pytorch.org/whl/cpu
#   TORCH=skip     install none: the venv sees the system's site-packages and reuses the torch installed there.
# Changing them after .venv exists needs `make clean` first.
TORCH         ?= install
TORCH_VERSION ?= 2.13.0
TORCH_INDEX   ?=
VENV_FLAGS    := $(if $(filter skip,$(TORCH)),--system-site-packages)

.PHONY: run test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV_FLAGS) $(VENV)
ifeq ($(TORCH),skip)
	@$(PY) -c "import torch; print('TORCH=skip: reusing torch', torch.__version__, 'from', torch.__path__[0])" \
		|| { echo "TORCH=skip, but no torch is installed for $(PYTHON): install one, or leave TORCH unset"; exit 1; }
else
	$(PY) -m pip install --quiet torch==$(TORCH_VERSION)$(if $(TORCH_INDEX), --index-url $(TORCH_INDEX))
endif
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

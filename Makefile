# symconv: `make demo` and `make test` set everything up on a fresh Debian machine
# (virtual environment, Python packages, the LaTeX engine) and then run.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
APT_PACKAGES := texlive-latex-base texlive-latex-recommended texlive-pictures poppler-utils chromium
# The installed-package test: the sdist and the wheel, a fresh venv that installs the wheel
# without the test extra, and a wheelhouse of symconv's runtime dependencies for it.
DIST       := build/dist
SMOKE_VENV := build/smoke-venv
WHEELHOUSE := $(VENV)/wheelhouse

.PHONY: demo test package-test bench lint typecheck system-deps docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# symconv's runtime dependencies as wheels, made once per install of .venv (so once per change
# of pyproject.toml) from pip's cache, which that install has just filled: the fresh venv of
# package-test then installs offline from here, with --no-index.
$(WHEELHOUSE)/.stamp: $(STAMP)
	rm -rf $(WHEELHOUSE)
	$(PY) -c 'from importlib.metadata import requires; print(*(r for r in requires("symconv") if "extra ==" not in r), sep="\n")' \
		> $(VENV)/runtime-requirements.txt
	$(PY) -m pip wheel --quiet --wheel-dir $(WHEELHOUSE) -r $(VENV)/runtime-requirements.txt
	touch $@

# pdflatex and pdftoppm (the LaTeX engine) and chromium (the explorer's browser tests, driven by
# Playwright with executable_path), from Debian's packages, when they are missing.
system-deps:
	@if command -v pdflatex >/dev/null && command -v pdftoppm >/dev/null && kpsewhich tikz.sty >/dev/null \
		&& command -v chromium >/dev/null; then \
		echo "LaTeX engine and chromium present"; \
	else \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(APT_PACKAGES); \
	fi

demo: $(STAMP) system-deps
	$(VENV)/bin/symconv explain

lint: $(STAMP)
	$(PY) -m ruff check symconv tests benchmarks
	$(PY) -m ruff format --check symconv tests benchmarks

typecheck: $(STAMP)
	$(PY) -m mypy symconv

# Build the sdist and the wheel, check them with twine, install the wheel into a fresh venv
# (no PyTorch, no matplotlib: --system-site-packages would see them) and run the smoke test
# there, outside the source tree.
# - An old symconv.egg-info would add the files its SOURCES.txt lists to the sdist, so it goes
#   first (the editable install does not use it).
# - PYTHONDONTWRITEBYTECODE is unset for the build, where it only makes setuptools warn that it
#   will not byte-compile; tests/test_packaging.py fails on any build warning.
# - --no-compile: the smoke test compiles only the modules it imports, not all of SymPy and
#   SciPy (about 20 s less).
package-test: $(STAMP) system-deps $(WHEELHOUSE)/.stamp
	rm -rf $(DIST) $(SMOKE_VENV) symconv.egg-info
	mkdir -p $(DIST)
	env -u PYTHONDONTWRITEBYTECODE $(PY) -m build --outdir $(DIST) . > $(DIST)/build.log 2>&1 \
		|| { cat $(DIST)/build.log; exit 1; }
	tail -n 1 $(DIST)/build.log
	$(PY) -m twine check --strict $(DIST)/*.whl $(DIST)/*.tar.gz
	$(PYTHON) -m venv --without-pip $(SMOKE_VENV)
	$(PY) -m pip --python $(SMOKE_VENV)/bin/python install --quiet --no-compile --no-index \
		--find-links $(WHEELHOUSE) $(DIST)/*.whl
	$(SMOKE_VENV)/bin/python -I tests/smoke_installed.py

# two workers, one test file each at a time (a file's module fixtures, such as the built wheel or the
# browser, stay in one process): the suite in about 4 minutes on 2 cores instead of 6.5
test: $(STAMP) system-deps lint typecheck package-test
	$(PY) -m pytest -q -n 2 --dist loadfile

bench: $(STAMP) system-deps
	$(PY) benchmarks/run.py

# The documentation site into build/site; strict: a broken link or reference fails it.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict

clean:
	rm -rf $(VENV) build *.egg-info

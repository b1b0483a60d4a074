#!/usr/bin/env bash
# Build the Debian 12 systemd image used by the lab hosts and every molecule scenario.
# No registry is reachable here: the rootfs comes from debootstrap and is imported with podman.
# The image is tagged with a hash of this recipe, so a changed recipe rebuilds and an unchanged
# one is a no-op (quick on rerun).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
image=${TICKPATH_IMAGE:-localhost/tickpath-debian12}

# Packages baked in: systemd + what Ansible needs, plus most of what the roles install anyway (baking
# them in keeps molecule runs off the mirror; the roles still declare and install them). tuned is left
# out: its polkitd dependency fails to configure inside debootstrap.
include=systemd,systemd-sysv,dbus,python3,python3-apt,sudo,iproute2,procps,kmod,udev,ca-certificates
include+=,iputils-ping,ethtool,linuxptp,chrony,irqbalance,rt-tests,numactl,hwloc-nox
include+=,libxdp1,libbpf1,xdp-tools,libelf1,python3-venv,python3-yaml,less

recipe_hash=$( (cat "$0"; echo "$include") | sha256sum | cut -c1-12)
tag="$image:$recipe_hash"

if podman image exists "$tag"; then
    echo "[image] $tag present"
    podman tag "$tag" "$image:latest"
    exit 0
fi

command -v debootstrap >/dev/null || { echo "build-image: debootstrap missing (run make deps)" >&2; exit 2; }
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}

work=$(mktemp -d /var/tmp/tickpath-rootfs.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
echo "[image] debootstrap bookworm from $mirror (about a minute)"
debootstrap --variant=minbase --include="$include" bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -20 "$work/debootstrap.log" >&2; exit 1; }

# A fresh machine-id per container, no baked hostname, and an apt cache that Ansible's
# cache_valid_time does not mistake for fresh (see ../shared/notes/machine.md).
: >"$rootfs/etc/machine-id"
rm -f "$rootfs/etc/hostname"
rm -rf "$rootfs"/var/lib/apt/lists/*
touch -d 2000-01-01 "$rootfs/var/lib/apt/lists"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb
# Baked-in services start disabled: the roles decide what runs (chrony would otherwise try to
# steer the clock this VM shares with every container).
for unit in chrony tuned irqbalance; do
    rm -f "$rootfs/etc/systemd/system/multi-user.target.wants/$unit.service"
done

echo "[image] importing as $tag"
tar -C "$rootfs" -c . | podman import \
    --change 'CMD ["/lib/systemd/systemd"]' \
    --change 'STOPSIGNAL=SIGRTMIN+3' \
    --change 'ENV container=podman' - "$tag" >/dev/null
podman tag "$tag" "$image:latest"
echo "[image] built $tag"

#!/usr/bin/env bash
# Build the disk image of the lab's VM trading host (trader-vm) from Debian packages only:
# debootstrap of Debian 12 into an ext4 partition of an MBR-partitioned raw disk, Debian's kernel
# (linux-image-amd64, 6.1) and grub installed into the disk's boot sector, so that the VM boots
# through its own boot loader and /etc/default/grub.d/tickpath.cfg + update-grub decide its next
# boot, as on a server. No cloud image, no registry.
#
# Also generated (once, under .cache/vm, git-ignored):
#   ssh/deploy_ed25519{,.pub}   key of the deploy user tickpath-deploy (passwordless sudo)
#   images/<hash>/disk.raw      the image (sparse), keyed by a hash of this script, the package
#                               list, the mirror and the deploy key: an unchanged recipe is reused
#   images/<hash>/host_ed25519.pub  the VM's SSH host key (generated at build time, baked in);
#                               scripts/vm.sh writes it into the known_hosts file Ansible checks
#   base.raw -> images/<hash>/disk.raw, base.hostkey.pub -> images/<hash>/host_ed25519.pub
#
# Usage: scripts/vm-image.sh            build unless cached; prints the image path last
# Env:   TICKPATH_VM_DIR (default <repo>/.cache/vm), TICKPATH_VM_DISK_SIZE (default 6G).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
vmdir=${TICKPATH_VM_DIR:-$top/.cache/vm}
size=${TICKPATH_VM_DISK_SIZE:-6G}
say() { printf '\033[1m[vm-image]\033[0m %s\n' "$*"; }
die() { echo "vm-image: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (loop devices, mount, chroot)"
for tool in debootstrap sfdisk partx losetup mkfs.ext4 ssh-keygen chroot blkid; do
    command -v "$tool" >/dev/null || die "$tool missing (scripts/install-deps.sh --vm)"
done

mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}

# debootstrap (minbase) brings these; the kernel and grub are installed afterwards with apt in
# the chroot (grub-pc's debconf questions are answered there). tuned is not baked in: the
# cpu_partitioning role installs it over the VM's network, as on a server.
include=systemd,systemd-sysv,udev,dbus,kmod,iproute2,procps,e2fsprogs,ca-certificates
include+=,openssh-server,sudo,python3,python3-apt,irqbalance,ethtool,iputils-ping,less,numactl
chroot_packages=(linux-image-amd64 grub-pc initramfs-tools zstd)

mkdir -p "$vmdir/ssh" "$vmdir/images"
key=$vmdir/ssh/deploy_ed25519
if [[ ! -f $key ]]; then
    say "deploy key: generating $key"
    ssh-keygen -q -t ed25519 -N '' -C tickpath-deploy@lab -f "$key"
fi

recipe_hash=$( (cat "$0"; echo "$include ${chroot_packages[*]} $mirror $size"; cat "$key.pub") \
    | sha256sum | cut -c1-12)
out=$vmdir/images/$recipe_hash
if [[ -f $out/disk.raw && -f $out/host_ed25519.pub ]]; then
    say "image $recipe_hash present ($out/disk.raw)"
    ln -sfn "images/$recipe_hash/disk.raw" "$vmdir/base.raw"
    ln -sfn "images/$recipe_hash/host_ed25519.pub" "$vmdir/base.hostkey.pub"
    echo "$out/disk.raw"
    exit 0
fi

start=$(date +%s)
work=$vmdir/build.tmp
root=$work/root
loop=""
cleanup() {
    set +e
    for m in dev/pts dev proc sys; do mountpoint -q "$root/$m" && umount "$root/$m"; done
    mountpoint -q "$root" && umount "$root"
    [[ -n $loop ]] && losetup -d "$loop"
    rm -rf "$work"
}
trap cleanup EXIT
# A build killed half-way leaves mounts and a loop device behind: clean them before starting.
if [[ -d $work ]]; then
    cleanup
    for l in $(losetup -j "$work/disk.raw" -O NAME -n 2>/dev/null); do losetup -d "$l"; done
fi
mkdir -p "$root"

say "disk: $size raw, MBR, one bootable ext4 partition"
truncate -s "$size" "$work/disk.raw"
printf 'label: dos\nstart=2048, type=83, bootable\n' | sfdisk -q "$work/disk.raw"
loop=$(losetup --find --show --partscan "$work/disk.raw")
part=${loop}p1
# Kernels without the MBR parser (CONFIG_MSDOS_PARTITION off, as on this project's machines) scan
# nothing: partx adds the partition from user space (BLKPG).
for _ in $(seq 10); do [[ -b $part ]] && break; sleep 0.1; done
[[ -b $part ]] || partx -a "$loop"
for _ in $(seq 50); do [[ -b $part ]] && break; sleep 0.1; done
[[ -b $part ]] || die "partition device $part did not appear"
mkfs.ext4 -q -L tickpath-root "$part"
uuid=$(blkid -s UUID -o value "$part")
mount "$part" "$root"

say "debootstrap bookworm from $mirror (about two minutes)"
debootstrap --variant=minbase --include="$include" bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -30 "$work/debootstrap.log" >&2; die "debootstrap failed"; }

mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --bind /dev "$root/dev"
in_root() { chroot "$root" env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"; }

# No service starts inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian}/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
rm -f "$root/etc/apt/sources.list"

# Before the kernel's initramfs is made: its fsck hook reads the root entry (pass 1), so the root
# file system is checked at boot as on a server.
printf 'UUID=%s / ext4 errors=remount-ro 0 1\n' "$uuid" >"$root/etc/fstab"

# grub-pc: the boot sector is written below by grub-install on the image's disk; the package
# must not ask which disk to use.
in_root debconf-set-selections <<'EOF'
grub-pc grub-pc/install_devices multiselect
grub-pc grub-pc/install_devices_empty boolean true
EOF
say "apt in the image: ${chroot_packages[*]}"
in_root apt-get -o DPkg::Lock::Timeout=900 update -qq >>"$work/debootstrap.log" 2>&1
in_root apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${chroot_packages[@]}" \
    >>"$work/debootstrap.log" 2>&1 || { tail -30 "$work/debootstrap.log" >&2; die "apt in the image failed"; }

say "configuring: hostname, network, ssh, deploy user, serial console, grub"
echo trader-vm >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\ttrader-vm\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
# A fresh machine-id at first boot of every overlay (scripts/vm.sh).
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"

# Interface names by MAC (scripts/vm.sh sets both MACs): mgmt0 is the management NIC (QEMU
# user-mode networking, DHCP), feed-a the multi-queue feed NIC (not configured in this phase).
cat >"$root/etc/systemd/network/10-mgmt0.link" <<'EOF'
[Match]
MACAddress=52:54:00:7e:00:01
[Link]
Name=mgmt0
EOF
cat >"$root/etc/systemd/network/10-feed-a.link" <<'EOF'
[Match]
MACAddress=52:54:00:7e:00:0a
[Link]
Name=feed-a
EOF
cat >"$root/etc/systemd/network/20-mgmt0.network" <<'EOF'
[Match]
Name=mgmt0
[Network]
DHCP=ipv4
LinkLocalAddressing=no
IPv6AcceptRA=no
EOF
cat >"$root/etc/systemd/network/30-feed-a.network" <<'EOF'
[Match]
Name=feed-a
[Network]
LinkLocalAddressing=no
IPv6AcceptRA=no
EOF
# QEMU's user-mode DNS forwarder (no resolved in the image).
echo 'nameserver 10.0.2.3' >"$root/etc/resolv.conf"
in_root systemctl enable systemd-networkd.service ssh.service >/dev/null 2>&1

# SSH: one host key, made here; its public part goes into Ansible's known_hosts (checked).
rm -f "$root"/etc/ssh/ssh_host_*
ssh-keygen -q -t ed25519 -N '' -C root@trader-vm -f "$root/etc/ssh/ssh_host_ed25519_key"
cat >"$root/etc/ssh/sshd_config.d/tickpath-lab.conf" <<'EOF'
# tickpath lab VM (scripts/vm-image.sh): keys only, one host key.
HostKey /etc/ssh/ssh_host_ed25519_key
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
UseDNS no
EOF

# The deploy user: an ordinary user, passwordless sudo, reached with the deploy key.
in_root useradd --create-home --shell /bin/bash tickpath-deploy
install -d -m 0700 "$root/home/tickpath-deploy/.ssh"
install -m 0600 "$key.pub" "$root/home/tickpath-deploy/.ssh/authorized_keys"
in_root chown -R tickpath-deploy:tickpath-deploy /home/tickpath-deploy/.ssh
echo 'tickpath-deploy ALL=(ALL) NOPASSWD:ALL' >"$root/etc/sudoers.d/tickpath-deploy"
chmod 0440 "$root/etc/sudoers.d/tickpath-deploy"

# Boot loader: serial console (ttyS0, the VM's log), distribution command line only; tickpath's
# arguments come later from /etc/default/grub.d/tickpath.cfg (roles/cpu_partitioning).
cat >"$root/etc/default/grub" <<'EOF'
# tickpath lab VM (scripts/vm-image.sh). tickpath's boot arguments are in
# /etc/default/grub.d/tickpath.cfg (roles/cpu_partitioning), sourced by update-grub after this.
GRUB_DEFAULT=0
GRUB_TIMEOUT=1
GRUB_DISTRIBUTOR=Debian
GRUB_CMDLINE_LINUX_DEFAULT=""
GRUB_CMDLINE_LINUX="console=ttyS0,115200n8"
GRUB_TERMINAL=serial
GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
EOF
# Only for this build's update-grub: the chroot has no /dev/disk/by-uuid (no udev here), so
# grub's 10_linux would write root=/dev/loopNp1. The guest's own update-grub (udev running)
# writes root=UUID=... once this file is gone.
printf 'GRUB_DEVICE=/dev/vda1\nGRUB_DISABLE_LINUX_UUID=true\n' >"$root/etc/default/grub.d/zz-image-build.cfg"
in_root grub-install --target=i386-pc --recheck "$loop" >>"$work/debootstrap.log" 2>&1 || {
    tail -20 "$work/debootstrap.log" >&2; die "grub-install failed"; }
in_root update-grub >>"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log" >&2; die "update-grub failed"; }
rm -f "$root/etc/default/grub.d/zz-image-build.cfg"
grep -q 'root=/dev/vda1' "$root/boot/grub/grub.cfg" || die "grub.cfg has no root=/dev/vda1"

# Like the container image (scripts/build-image.sh): apt's lists out and dated old, so the
# roles' cache_valid_time refreshes them from the VM.
rm -f "$root/usr/sbin/policy-rc.d"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb
touch -d 2000-01-01 "$root/var/lib/apt/lists"
cp "$root/etc/ssh/ssh_host_ed25519_key.pub" "$work/host_ed25519.pub"

for m in dev proc sys; do umount "$root/$m"; done
umount "$root"
e2fsck -fp "$part" >/dev/null || true
losetup -d "$loop"
loop=""

mkdir -p "$out"
mv "$work/disk.raw" "$out/disk.raw"
mv "$work/host_ed25519.pub" "$out/host_ed25519.pub"
mv "$work/debootstrap.log" "$out/build.log"
secs=$(($(date +%s) - start))
echo "$secs" >"$out/build-seconds"
ln -sfn "images/$recipe_hash/disk.raw" "$vmdir/base.raw"
ln -sfn "images/$recipe_hash/host_ed25519.pub" "$vmdir/base.hostkey.pub"
# Older images of other recipes are dropped (a few hundred MB each).
for d in "$vmdir"/images/*; do [[ $d == "$out" ]] || rm -rf "$d"; done
say "built image $recipe_hash in ${secs}s ($(du -h "$out/disk.raw" | cut -f1) used of $size)"
echo "$out/disk.raw"
